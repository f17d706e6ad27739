"""What forms offer before anyone types: the site a new finding guesses, the statement's label, the
team role offered next."""

import datetime
import re

from django.urls import reverse

from audits.forms import TeamMemberForm
from audits.models import AuditDay, TeamRole


def selected_site(response) -> str | None:
    select = re.search(r'<select name="site"[^>]*>(.*?)</select>', response.content.decode(), re.S).group(1)
    chosen = re.search(r'<option value="(\d*)" selected>', select)
    return (chosen.group(1) or None) if chosen else None


def clause_page(login, user, audit, clause, query=""):
    return login(user).get(reverse("findings:clause", args=[audit.pk, clause.pk]) + query)


def test_it_chooses_the_site_the_audit_is_at_today(login, cast, onsite_audit):
    response = clause_page(login, cast.lead, onsite_audit, onsite_audit.clause_42)

    assert selected_site(response) == str(onsite_audit.stockholm.pk)


def test_the_site_named_in_the_address_wins(login, cast, onsite_audit):
    malmo = cast.org_a.sites.get(name="Malmö")

    response = clause_page(login, cast.lead, onsite_audit, onsite_audit.clause_42, f"?site={malmo.pk}")

    assert selected_site(response) == str(malmo.pk)


def test_it_guesses_no_site_when_the_audit_is_at_two_today(login, cast, onsite_audit):
    goteborg = cast.org_a.sites.get(name="Göteborg")
    AuditDay.objects.create(audit=onsite_audit, date=onsite_audit.start_date, site=goteborg)

    response = clause_page(login, cast.lead, onsite_audit, onsite_audit.clause_42)

    assert selected_site(response) is None


def test_it_guesses_no_site_on_a_day_without_plan_at_a_multi_site_audit(login, cast, onsite_audit):
    AuditDay.objects.filter(audit=onsite_audit).update(
        date=onsite_audit.start_date + datetime.timedelta(days=1)
    )

    response = clause_page(login, cast.lead, onsite_audit, onsite_audit.clause_42)

    assert onsite_audit.sites.count() > 1
    assert selected_site(response) is None


def test_the_statement_says_when_it_is_needed_instead_of_optional(login, cast, onsite_audit):
    page = clause_page(login, cast.lead, onsite_audit, onsite_audit.clause_42).content.decode()

    label = re.search(r'<label for="id_statement">(.*?)</label>', page, re.S).group(1)
    assert "optional" not in label
    assert "Needed for a nonconformity, an observation or an opportunity for improvement." in page
    evidence_label = re.search(r'<label for="id_evidence">(.*?)</label>', page, re.S).group(1)
    assert "(optional)" in evidence_label


def test_the_team_form_offers_lead_auditor_first_and_auditor_once_there_is_a_lead(cast, onsite_audit):
    assert TeamMemberForm(audit=onsite_audit)["role"].value() == TeamRole.AUDITOR

    onsite_audit.team.update(role=TeamRole.AUDITOR)

    assert TeamMemberForm(audit=onsite_audit)["role"].value() == TeamRole.LEAD_AUDITOR
