"""The on-site checklist: clause states, progress, quick grading, conflicts, history, access."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from audits.models import Audit, AuditStatus, AuditType, TeamRole
from audits.services import (
    programme_create,
    team_member_add,
)
from core.actors import SYSTEM
from core.errors import ConflictError
from findings.models import ChangeAction, Finding, FindingChange, Grade
from findings.services import finding_create, finding_update
from tests.conftest import CAST_NAMES, page_text
from tests.factories import ClauseFactory, CompetenceFactory, StandardFactory


def _record(onsite_audit, user, clause, grade=Grade.CONFORMING, statement="", site=None):
    return finding_create(
        audit=onsite_audit,
        user=user,
        clause=clause,
        grade=grade,
        statement=statement,
        site=site or onsite_audit.stockholm,
    )


PAGES = {
    "checklist": ("/audits/{audit}/checklist/", [302, 200, 200, 404, 403, 404]),
    "clause": ("/audits/{audit}/checklist/{clause}/", [302, 200, 200, 404, 403, 404]),
    "history": ("/audits/{audit}/history/", [302, 200, 200, 404, 403, 404]),
    "finding edit": ("/findings/{finding}/edit/", [302, 403, 200, 404, 403, 404]),
    "evidence add": ("/findings/{finding}/evidence/", [302, 403, 200, 404, 403, 404]),
}


@pytest.mark.parametrize("page", PAGES)
def test_it_gives_each_cast_user_the_decided_answer(page, cast, onsite_audit, login):
    finding = _record(onsite_audit, cast.lead, onsite_audit.clause_41)
    template, expected = PAGES[page]
    url = template.format(audit=onsite_audit.pk, clause=onsite_audit.clause_41.pk, finding=finding.pk)
    got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == expected, f"{page}: {dict(zip(CAST_NAMES, got, strict=True))}"


def test_it_lets_the_client_read_the_findings_once_the_audit_is_closed(cast, onsite_audit, login):
    _record(
        onsite_audit,
        cast.lead,
        onsite_audit.clause_41,
        Grade.OFI,
        "Call scripts could name the complaints route",
    )
    Audit.objects.filter(pk=onsite_audit.pk).update(status=AuditStatus.CLOSED, closed_at=timezone.now())
    body = page_text(
        login(cast.client).get(f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_41.pk}/")
    )
    assert "Call scripts could name the complaints route" in body
    assert "Save finding" not in body
    assert login(cast.other).get(f"/audits/{onsite_audit.pk}/checklist/").status_code == 404


def test_it_refuses_findings_from_staff_who_are_not_on_the_team(cast, onsite_audit, login):
    response = login(cast.staff).post(
        f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_41.pk}/", {"grade": "conforming"}
    )
    assert response.status_code == 403
    assert not Finding.objects.exists()


def test_it_shows_states_and_progress(cast, onsite_audit, login):
    _record(onsite_audit, cast.lead, onsite_audit.clause_41, Grade.MINOR, "No complaints log")
    body = page_text(login(cast.lead).get(f"/audits/{onsite_audit.pk}/checklist/"))
    # Stockholm has 4.1 planned (1 of 1 audited); the other sites have every auditable clause planned.
    assert "Stockholm</a>: 1 of 1 clauses" in body
    assert "Göteborg</a>: 0 of 2 clauses" in body
    assert re.search(r"4\.1</span> General.*?grade-minor\">Minor NC", body)
    assert re.search(r"4\.2</span> Communication.*?grade-none\">Not yet audited", body)
    assert (
        f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_42.pk}/" in body
    )  # continue with the next open clause


def test_it_shows_a_finding_just_saved(cast, onsite_audit, login):
    client = login(cast.lead)
    url = f"/audits/{onsite_audit.pk}/checklist/"
    assert re.search(r"4\.2</span> Communication.*?grade-none\">Not yet audited", page_text(client.get(url)))
    client.post(
        f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_42.pk}/",
        {"grade": "conforming", "site": onsite_audit.stockholm.pk},
    )
    body = page_text(client.get(url))
    assert (
        '4.2</span> Communication</span> <span class="task-meta"><span class="count">1'
        '<span class="visually-hidden"> finding recorded</span></span><span class="tag grade-conforming">'
    ) in body


def test_it_prints_each_clause_in_the_readers_language_with_links_to_the_chosen_site(
    cast, onsite_audit, login
):
    _record(onsite_audit, cast.lead, onsite_audit.clause_41, Grade.OFI, "Scripts name no complaints route")
    _record(onsite_audit, cast.lead, onsite_audit.clause_41, Grade.MINOR, "No complaints log")
    cast.lead.language = "sv"
    cast.lead.save()
    stockholm = onsite_audit.stockholm.pk
    body = page_text(login(cast.lead).get(f"/audits/{onsite_audit.pk}/checklist/?site={stockholm}"))
    with translation.override("sv"):
        recorded = translation.ngettext("finding recorded", "findings recorded", 2)
        minor, open_ = translation.gettext("Minor NC"), translation.gettext("Not yet audited")
        go_on = translation.gettext("Continue with %(number)s") % {"number": "4.2"}
    assert (recorded, minor, open_) != ("findings recorded", "Minor NC", "Not yet audited")
    assert body.count("<h3>4 Customer relationship</h3>") == 1  # once, above its first clause
    clause_41, clause_42 = (
        f"/audits/{onsite_audit.pk}/checklist/{clause.pk}/?site={stockholm}"
        for clause in (onsite_audit.clause_41, onsite_audit.clause_42)
    )
    assert (
        f'<a href="{clause_41}"> <span class="task-title"><span class="clause-number">4.1</span> General'
        '</span> <span class="task-meta"><span class="count">2'
        f'<span class="visually-hidden"> {recorded}</span></span><span class="tag grade-minor">{minor}</span>'
        " </span> </a>"
    ) in body
    assert f'<a href="{clause_42}"> <span class="task-title"><span class="clause-number">4.2</span>' in body
    assert f'<span class="tag grade-none">{open_}</span>' in body
    assert f'<a class="button" href="{clause_42}">{go_on}</a>' in body  # 4.1, planned here, has findings


@pytest.mark.parametrize(
    ("show", "present", "absent"),
    [("open", "4.2", "4.1"), ("nc", "4.1", "4.2"), ("mine", "4.1", "4.2"), ("all", "4.2", None)],
)
def test_it_filters_the_checklist(show, present, absent, cast, onsite_audit, login):
    _record(onsite_audit, cast.lead, onsite_audit.clause_41, Grade.MAJOR, "No complaints handling at all")
    body = page_text(login(cast.lead).get(f"/audits/{onsite_audit.pk}/checklist/?show={show}"))
    assert f'clause-number">{present}<' in body
    if absent:
        assert f'clause-number">{absent}<' not in body


def test_it_records_a_quick_grade(cast, onsite_audit, login):
    response = login(cast.lead).post(
        f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_42.pk}/",
        {"grade": "conforming", "site": onsite_audit.stockholm.pk},
    )
    assert response.status_code == 302
    assert "saved=1" in response["Location"]
    finding = Finding.objects.get()
    assert (finding.grade, finding.site, finding.recorded_by) == (
        "conforming",
        onsite_audit.stockholm,
        cast.lead,
    )
    onsite_audit.refresh_from_db()
    assert onsite_audit.status == AuditStatus.IN_PROGRESS
    assert FindingChange.objects.get().action == ChangeAction.CREATED


def test_it_keeps_the_text_when_a_nonconformity_has_no_statement(cast, onsite_audit, login):
    response = login(cast.lead).post(
        f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_41.pk}/",
        {"grade": "major", "evidence": "Complaints register for October", "site": onsite_audit.stockholm.pk},
    )
    body = page_text(response)
    assert response.status_code == 400
    assert "Write what was required and what was observed" in body
    assert "Complaints register for October" in body
    assert not Finding.objects.exists()


def test_it_refuses_a_heading_clause(cast, onsite_audit, login):
    heading = cast.standard.clauses.get(number="4")
    assert (
        login(cast.lead)
        .post(f"/audits/{onsite_audit.pk}/checklist/{heading.pk}/", {"grade": "ofi"})
        .status_code
        == 404
    )


def test_it_refuses_findings_before_the_plan_is_confirmed(cast, onsite_audit, login):
    Audit.objects.filter(pk=onsite_audit.pk).update(status=AuditStatus.PLANNED)
    with pytest.raises(ConflictError, match="Confirm the audit plan"):
        _record(onsite_audit, cast.lead, onsite_audit.clause_41)


def test_it_refuses_saving_over_a_newer_version_and_shows_the_other_change(cast, onsite_audit, login):
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    team_member_add(actor=SYSTEM, audit=onsite_audit, user=cast.auditor, role=TeamRole.AUDITOR)
    # A new member makes the confirmed plan a draft; staff confirm it again.
    Audit.objects.filter(pk=onsite_audit.pk).update(status=AuditStatus.CONFIRMED)
    finding = _record(onsite_audit, cast.lead, onsite_audit.clause_41, Grade.OFI, "First words")
    finding_update(finding=finding, user=cast.auditor, version=1, statement="The auditor's words")
    response = login(cast.lead).post(
        f"/findings/{finding.pk}/edit/",
        {"version": 1, "grade": "ofi", "statement": "The lead's words", "site": onsite_audit.stockholm.pk},
    )
    body = page_text(response)
    assert response.status_code == 409
    assert "Someone else changed this finding" in body
    assert "The auditor&#x27;s words" in body
    assert "The lead&#x27;s words" in body
    finding.refresh_from_db()
    assert (finding.statement, finding.version) == ("The auditor's words", 2)
    # Saving again over the version now shown goes through.
    response = login(cast.lead).post(
        f"/findings/{finding.pk}/edit/",
        {"version": 2, "grade": "ofi", "statement": "Merged words", "site": onsite_audit.stockholm.pk},
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.statement, finding.version) == ("Merged words", 3)


def test_it_keeps_the_history_and_shows_it_in_words(cast, onsite_audit, login):
    finding = _record(onsite_audit, cast.lead, onsite_audit.clause_41, Grade.OFI, "Before")
    finding_update(finding=finding, user=cast.lead, version=1, grade=Grade.MINOR, statement="After")
    client = login(cast.lead)
    client.post(f"/findings/{finding.pk}/remove/", {"version": 2})
    assert list(FindingChange.objects.order_by("id").values_list("action", "version")) == [
        ("created", 1),
        ("updated", 2),
        ("removed", 3),
    ]
    assert FindingChange.objects.get(action="updated").changes == {
        "grade": ["ofi", "minor"],
        "statement": ["Before", "After"],
    }
    body = page_text(login(cast.staff).get(f"/audits/{onsite_audit.pk}/history/"))
    assert "<del>OFI</del> → Minor NC" in body
    assert "Removed" in body
    finding.refresh_from_db()
    assert finding.removed_at is not None


def test_it_locks_findings_after_the_audit_is_closed(cast, onsite_audit, login):
    finding = _record(onsite_audit, cast.lead, onsite_audit.clause_41)
    Audit.objects.filter(pk=onsite_audit.pk).update(status=AuditStatus.CLOSED, closed_at=timezone.now())
    with pytest.raises(ConflictError, match="locked"):
        finding_update(finding=finding, user=cast.lead, version=1, statement="late change")
    response = login(cast.lead).post(f"/findings/{finding.pk}/remove/", {"version": 1}, follow=True)
    assert "locked" in page_text(response)
    assert Finding.objects.current().count() == 1


def test_it_renders_the_checklist_in_a_constant_number_of_queries(
    cast, onsite_audit, login, django_assert_max_num_queries
):
    client = login(cast.lead)
    # At most 15 (issue 9's target for the big audit), and the same with 300 findings.
    with django_assert_max_num_queries(15) as baseline:
        client.get(f"/audits/{onsite_audit.pk}/checklist/")
    # The size the issue names: two standards, about 120 clauses, 3 sites and 300 findings.
    second = StandardFactory(code="ISO 18295-2:2017", title="Clients of contact centres")
    onsite_audit.standards.add(second)
    heading = cast.standard.clauses.get(number="4")
    second_heading = ClauseFactory(standard=second, number="5", title="Client requirements", auditable=False)
    clauses = [
        ClauseFactory(standard=cast.standard, number=f"4.{n}", title=f"Clause {n}", parent=heading)
        for n in range(3, 61)
    ] + [
        ClauseFactory(standard=second, number=f"5.{n}", title=f"Client clause {n}", parent=second_heading)
        for n in range(1, 61)
    ]
    sites = list(onsite_audit.sites.all())
    for index in range(300):
        clause = clauses[index % len(clauses)]
        _record(
            onsite_audit, cast.lead, clause, Grade.OFI, f"finding {index}", site=sites[index % len(sites)]
        )
    with django_assert_max_num_queries(len(baseline)):
        response = client.get(f"/audits/{onsite_audit.pk}/checklist/")
    body = response.content.decode()
    assert "Client clause 60" in body
    assert "Clause 60" in body
    # With two standards, each clause names its own.
    assert '<span class="muted">(ISO 18295-2:2017)</span>' in body
    with django_assert_max_num_queries(len(baseline)):
        client.get(f"/audits/{onsite_audit.pk}/checklist/?site={sites[0].pk}&show=open")


def test_it_renders_a_clause_in_a_constant_number_of_queries(
    cast, onsite_audit, login, django_assert_max_num_queries
):
    client = login(cast.lead)
    url = f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_41.pk}/"
    _record(onsite_audit, cast.lead, onsite_audit.clause_41, Grade.OFI, "one")
    with django_assert_max_num_queries(30) as baseline:
        client.get(url)
    for index in range(10):
        _record(onsite_audit, cast.lead, onsite_audit.clause_41, Grade.OFI, f"more {index}")
    with django_assert_max_num_queries(len(baseline)):
        response = client.get(url)
    assert "more 9" in response.content.decode()


def test_it_shows_a_client_nothing_of_another_clients_audit(cast, onsite_audit, login):
    other_programme = programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    other_audit = other_programme.audits.get(audit_type=AuditType.STAGE2)
    Audit.objects.filter(pk=other_audit.pk).update(status=AuditStatus.CLOSED, closed_at=timezone.now())
    assert login(cast.client).get(f"/audits/{other_audit.pk}/checklist/").status_code == 404
    assert login(cast.client).get(f"/audits/{other_audit.pk}/history/").status_code == 404


def test_it_shows_the_auditor_todays_slots(cast, onsite_audit, login):
    body = page_text(login(cast.lead).get("/"))
    assert "09:00–12:00 · Stockholm" in body
    assert f"/audits/{onsite_audit.pk}/checklist/?site={onsite_audit.stockholm.pk}&amp;show=mine" in body
    assert "Today" not in page_text(login(cast.auditor).get("/"))


def test_my_slots_today_leads_on_to_my_next_clause(login, cast, onsite_audit):
    url = reverse("findings:checklist", args=[onsite_audit.pk]) + "?show=mine"

    page = login(cast.lead).get(url).content.decode()

    assert "Continue with 4.1" in page
    assert "Continue with 4.2" not in page  # 4.2 is in no slot of the lead's today


def test_it_links_the_checklist_to_the_audit_record_once_every_clause_has_a_finding(
    cast, onsite_audit, login
):
    onsite_audit = onsite_audit
    for clause in (onsite_audit.clause_41, onsite_audit.clause_42):
        finding_create(
            audit=onsite_audit,
            user=cast.lead,
            clause=clause,
            grade=Grade.CONFORMING,
            site=onsite_audit.stockholm,
        )
    body = page_text(login(cast.lead).get(f"/audits/{onsite_audit.pk}/checklist/"))
    assert "Continue with" not in body  # nothing left to audit
    assert f'href="/audits/{onsite_audit.pk}/">Audit record</a>' in body


def test_it_links_the_checklist_to_the_audit_record_while_clauses_are_open(cast, onsite_audit, login):
    onsite_audit = onsite_audit
    body = page_text(login(cast.lead).get(f"/audits/{onsite_audit.pk}/checklist/"))
    assert "Continue with 4.1" in body
    assert f'href="/audits/{onsite_audit.pk}/">Audit record</a>' in body
