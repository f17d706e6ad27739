"""Bulk planning: staff plan several programmes' next audits from the due list in one sending."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from audits.bulk_planning import plan_next_audits, proposed_dates
from audits.cycle import add_months
from audits.models import Audit, AuditStatus, AuditType, TeamRole
from audits.selectors import programmes_due
from audits.services import programme_create, programme_set_decision
from core.actors import SYSTEM
from tests.accounts.test_submitted_once import form_token
from tests.conftest import page_text

URL = "/planning/due/"


@pytest.fixture
def due(cast, closed_audit):
    """Two programmes whose first surveillance falls due within 90 days, undated: Nordkontakt's,
    after a stage 2 led by the lead (3 days), and Kundtjänst Norr's with no audit held yet."""
    today = timezone.localdate()
    nordkontakt = closed_audit.programme
    programme_set_decision(actor=SYSTEM, programme=nordkontakt, decision_date=add_months(today, -11))
    norr = programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    programme_set_decision(actor=SYSTEM, programme=norr, decision_date=add_months(today, -11))
    return nordkontakt, norr


def _surveillance(programme) -> Audit:
    return programme.audits.get(audit_type=AuditType.SURVEILLANCE, sequence=1)


def test_the_due_list_offers_each_programmes_next_undated_audit(cast, due, login):
    nordkontakt, norr = due
    assert {audit.pk for audit in programmes_due(timezone.localdate())} == {
        _surveillance(nordkontakt).pk,
        _surveillance(norr).pk,
    }
    body = login(cast.staff).get(URL).content.decode()
    assert f'name="programme" value="{nordkontakt.pk}"' in body
    assert f'name="programme" value="{norr.pk}"' in body


def test_it_plans_the_chosen_audits_with_proposed_dates_and_the_last_team(cast, due, login):
    nordkontakt, norr = due
    client = login(cast.staff)
    token = form_token(client.get(URL), URL)
    response = client.post(URL, {"programme": [nordkontakt.pk, norr.pk], "form_token": token}, follow=True)
    text = page_text(response)
    surveillance = _surveillance(nordkontakt)
    assert surveillance.start_date is not None
    assert surveillance.start_date <= surveillance.end_date
    assert surveillance.start_date >= timezone.localdate() + datetime.timedelta(days=14)
    assert surveillance.start_date.weekday() < 5
    assert surveillance.status == AuditStatus.PLANNED  # not confirmed: every check still ahead
    assert list(surveillance.team.values_list("user__username", "role")) == [("lead", TeamRole.LEAD_AUDITOR)]
    assert "Nordkontakt AB: Surveillance 1 planned" in text
    # Kundtjänst Norr has no audit before: dates, no team to copy.
    assert _surveillance(norr).start_date is not None
    assert not _surveillance(norr).team.exists()
    assert "Kundtjänst Norr AB: Surveillance 1 planned" in text
    assert _surveillance(nordkontakt).pk not in {a.pk for a in programmes_due(timezone.localdate())}


def test_a_refused_programme_is_reported_and_the_others_still_planned(cast, due, login):
    nordkontakt, norr = due
    Audit.objects.filter(pk=_surveillance(norr).pk).update(
        start_date=timezone.localdate() + datetime.timedelta(days=40),
        end_date=timezone.localdate() + datetime.timedelta(days=40),
    )
    result = plan_next_audits(actor=cast.staff, programmes=[norr, nordkontakt], today=timezone.localdate())
    assert [planned.programme for planned in result.planned] == [nordkontakt]
    ((refused),) = result.refused
    assert refused.programme == norr
    assert "already has dates" in refused.reason


def test_the_page_says_which_were_refused_and_why(cast, due, login):
    nordkontakt, norr = due
    Audit.objects.filter(programme=norr).update(due_date=None)
    client = login(cast.staff)
    response = client.post(URL, {"programme": [nordkontakt.pk, norr.pk]}, follow=True)
    text = page_text(response)
    assert "Nordkontakt AB: Surveillance 1 planned" in text
    assert "Kundtjänst Norr AB not planned" in text
    assert "no due date yet" in text


def test_a_member_who_fails_a_check_is_not_copied_and_said_so(cast, due):
    nordkontakt, _norr = due
    cast.lead.competences.update(valid_to=timezone.localdate())
    result = plan_next_audits(actor=cast.staff, programmes=[nordkontakt], today=timezone.localdate())
    (planned,) = result.planned
    assert planned.members == []
    assert len(planned.not_copied) == 1
    assert not _surveillance(nordkontakt).team.exists()
    assert _surveillance(nordkontakt).start_date is not None


def test_a_second_sending_of_the_same_form_plans_nothing_more(cast, due, login):
    nordkontakt, _norr = due
    client = login(cast.staff)
    token = form_token(client.get(URL), URL)
    data = {"programme": [nordkontakt.pk], "form_token": token}
    client.post(URL, data)
    first = _surveillance(nordkontakt)
    response = client.post(URL, data, follow=True)
    assert "already sent and saved" in page_text(response)
    again = _surveillance(nordkontakt)
    assert (again.start_date, again.end_date) == (first.start_date, first.end_date)
    assert again.team.count() == 1


def test_a_new_sending_for_a_planned_programme_is_refused(cast, due, login):
    nordkontakt, _norr = due
    client = login(cast.staff)
    client.post(URL, {"programme": [nordkontakt.pk]})
    response = client.post(URL, {"programme": [nordkontakt.pk]}, follow=True)
    assert "Nordkontakt AB not planned" in page_text(response)
    assert _surveillance(nordkontakt).team.count() == 1


def test_sending_nothing_chosen_is_refused_with_a_summary(cast, due, login):
    response = login(cast.staff).post(URL, {})
    assert response.status_code == 400
    assert "Choose at least one programme" in page_text(response)


@pytest.mark.parametrize("role", ["lead", "auditor", "client", "other"])
def test_only_staff_plan_in_bulk(cast, due, role, login):
    nordkontakt, _norr = due
    client = login(cast.user(role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"programme": [nordkontakt.pk]}).status_code == 403
    assert _surveillance(nordkontakt).start_date is None
    with pytest.raises(PermissionDenied):
        plan_next_audits(actor=cast.user(role), programmes=[nordkontakt], today=timezone.localdate())


def test_anonymous_is_sent_to_sign_in(due, login):
    response = login(None).get(URL)
    assert response.status_code == 302
    assert "/login" in response["Location"] or "accounts" in response["Location"]


def test_the_dates_end_before_the_due_date_when_there_is_time():
    today = datetime.date(2027, 3, 1)
    audit = Audit(due_date=datetime.date(2027, 6, 30))
    previous = Audit(start_date=datetime.date(2026, 6, 1), end_date=datetime.date(2026, 6, 3))
    start, end = proposed_dates(audit, previous, today)
    assert (end - start).days == 2
    assert end < audit.due_date - datetime.timedelta(days=14)
    assert start.weekday() < 5 and end.weekday() < 5


def test_a_deactivated_member_is_not_copied(cast, due):
    nordkontakt, _norr = due
    cast.lead.is_active = False
    cast.lead.save(update_fields=["is_active"])
    result = plan_next_audits(actor=cast.staff, programmes=[nordkontakt], today=timezone.localdate())
    (planned,) = result.planned
    assert planned.members == []
    assert "deactivated" in planned.not_copied[0]
