"""Planning in the browser: programme, decision date, audit record, time, team, plan, calculator."""

import datetime
import re
from decimal import Decimal
from html import escape

import pytest
from django.utils import timezone, translation

from audits.forms import plan_day_label
from audits.models import Audit, AuditStatus, AuditType, CertificationProgramme, TeamRole
from audits.services import (
    audit_update,
    plan_day_add,
    plan_slot_add,
    programme_create,
)
from core.actors import SYSTEM
from tests.conftest import CAST_NAMES, page_text
from tests.factories import CompetenceFactory, SiteFactory, UserFactory

MON, TUE, WED = (datetime.date(2027, 2, day) for day in (1, 2, 3))


# page -> expected status per cast user (anonymous, staff, lead, auditor, client, other).
# The lead is on the stage 2 team; the auditor on no team; "other" is another client's user.
PAGES = {
    "programme create": ("/programmes/new/", [302, 200, 403, 403, 403, 403]),
    "programme decision": ("/programmes/{programme}/decision/", [302, 200, 403, 404, 403, 404]),
    "special audit create": ("/programmes/{programme}/audits/new/", [302, 200, 403, 404, 403, 404]),
    "audit list": ("/audits/", [302, 200, 200, 200, 200, 200]),
    "audit detail": ("/audits/{audit}/", [302, 200, 200, 404, 200, 404]),
    "audit edit": ("/audits/{audit}/edit/", [302, 200, 403, 404, 403, 404]),
    "audit time": ("/audits/{audit}/time/", [302, 200, 200, 404, 403, 404]),
    "audit team": ("/audits/{audit}/team/", [302, 200, 403, 404, 403, 404]),
    "audit plan": ("/audits/{audit}/plan/", [302, 200, 200, 404, 403, 404]),
    "unknown audit": ("/audits/999999/", [302, 404, 404, 404, 404, 404]),
    "calculator": ("/calculator/", [302, 200, 200, 200, 403, 403]),
}


@pytest.mark.parametrize("page", PAGES)
def test_it_gives_each_cast_user_the_decided_answer(page, cast, stage2, login):
    template, expected = PAGES[page]
    url = template.format(programme=stage2.programme_id, audit=stage2.pk)
    got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == expected, f"{page} {url}: {dict(zip(CAST_NAMES, got, strict=True))}"


# POST-only actions: (url, expected per cast user). Readers get 403, outsiders 404.
ACTIONS = {
    "team remove": ("/audits/{audit}/team/{member}/remove/", [302, 302, 403, 404, 403, 404]),
    "day remove": ("/audits/{audit}/plan/days/{day}/remove/", [302, 302, 302, 404, 403, 404]),
    "plan confirm": ("/audits/{audit}/plan/confirm/", [302, 302, 302, 404, 403, 404]),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("name", CAST_NAMES)
def test_it_guards_each_post_action(action, name, cast, stage2, login):
    # One user per test: a successful call by one would change the answer for the next.
    template, expected = ACTIONS[action]
    url = template.format(audit=stage2.pk, member=stage2.lead.pk, day=stage2.first_day.pk)
    response = login(cast.user(name)).post(url)
    assert response.status_code == expected[CAST_NAMES.index(name)]
    if name == "anonymous":
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("url", ["/audits/{audit}/team/{member}/remove/", "/audits/{audit}/plan/confirm/"])
def test_it_refuses_get_on_post_actions(url, cast, stage2, login):
    response = login(cast.staff).get(url.format(audit=stage2.pk, member=stage2.lead.pk))
    assert response.status_code == 405


# -- Programme and decision ----------------------------------------------------------------------


def test_it_creates_a_programme_with_its_five_audits(cast, login):
    response = login(cast.staff).post(
        "/programmes/new/", {"organization": cast.org_a.pk, "standards": [cast.standard.pk]}
    )
    programme = CertificationProgramme.objects.get(organization=cast.org_a)
    assert response.status_code == 302
    assert response["Location"] == f"/programmes/{programme.pk}/"
    assert list(programme.audits.order_by("id").values_list("audit_type", flat=True)) == [
        "stage1",
        "stage2",
        "surveillance",
        "surveillance",
        "recertification",
    ]


def test_it_refuses_a_second_active_programme_and_keeps_the_choice(cast, programme, login):
    response = login(cast.staff).post(
        "/programmes/new/", {"organization": cast.org_a.pk, "standards": [cast.standard.pk]}
    )
    body = page_text(response)
    assert response.status_code == 200
    assert "already has an active programme" in body
    assert f'value="{cast.standard.pk}" id="id_standards_0" checked' in body
    assert CertificationProgramme.objects.count() == 1


def test_it_offers_the_organization_from_the_link(cast, login):
    body = page_text(login(cast.staff).get(f"/programmes/new/?organization={cast.org_a.pk}"))
    assert f'<option value="{cast.org_a.pk}" selected>' in body


def test_it_sets_due_dates_from_the_decision_date(cast, programme, login):
    response = login(cast.staff).post(
        f"/programmes/{programme.pk}/decision/", {"decision_date": "2027-03-15"}
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.decision_date == datetime.date(2027, 3, 15)
    surveillance_1 = programme.audits.get(audit_type=AuditType.SURVEILLANCE, sequence=1)
    assert surveillance_1.due_date == datetime.date(2028, 3, 15)
    body = page_text(login(cast.staff).get(f"/programmes/{programme.pk}/"))
    assert "15 Mar 2027" in body


def test_it_refuses_a_missing_decision_date_with_a_form_error(cast, programme, login):
    response = login(cast.staff).post(f"/programmes/{programme.pk}/decision/", {"decision_date": "soon"})
    assert response.status_code == 200
    assert "Enter a valid date." in page_text(response)
    programme.refresh_from_db()
    assert programme.decision_date is None


def test_it_adds_a_special_audit(cast, programme, login):
    response = login(cast.staff).post(
        f"/programmes/{programme.pk}/audits/new/",
        {"due_date": "2027-06-01", "scope": "Short-notice audit after a complaint"},
    )
    special = programme.audits.get(audit_type=AuditType.SPECIAL)
    assert response["Location"] == f"/audits/{special.pk}/"
    assert special.due_date == datetime.date(2027, 6, 1)
    assert special.scope == "Short-notice audit after a complaint"
    assert special.standards.get() == cast.standard


# -- Audit record and edit -----------------------------------------------------------------------


def test_it_shows_the_audit_record_to_the_client(cast, stage2, login):
    plan_slot_add(
        actor=SYSTEM,
        day=stage2.first_day,
        start=datetime.time(9),
        end=datetime.time(12),
        member=stage2.lead,
        activity="Complaints handling",
        clauses=[cast.standard.clauses.get(number="4.2")],
    )
    body = page_text(login(cast.client).get(f"/audits/{stage2.pk}/"))
    assert "Stage 2" in body
    assert "1 Feb 2027 – 3 Feb 2027" in body
    assert "Complaints handling" in body
    assert "4.2" in body
    assert "Lead auditor" in body
    # The justification the client can read, and no planning buttons for them.
    assert escape(stage2.time_calculation["justification"][0]) in body
    assert "Plan days and slots" not in body
    assert "Compute audit time" not in body


def test_it_shows_planners_what_stops_confirmation(cast, stage2, login):
    body = page_text(login(cast.lead).get(f"/audits/{stage2.pk}/"))
    assert "Before the plan can be confirmed" in body
    assert "Plan days and slots" in body


def test_it_edits_dates_and_sites(cast, stage2, login):
    stockholm = cast.org_a.sites.get(name="Stockholm")
    response = login(cast.staff).post(
        f"/audits/{stage2.pk}/edit/",
        {
            "mode": "on_site",
            "start_date": "2027-02-01",
            "end_date": "2027-02-02",
            "language": "Svenska",
            "objectives": "Determine conformity",
            "scope": "Inbound customer service",
            "criteria": "ISO 18295-1:2017",
            "sites": [stockholm.pk],
        },
    )
    assert response.status_code == 302
    stage2.refresh_from_db()
    assert stage2.end_date == TUE
    assert stage2.language == "Svenska"
    assert list(stage2.sites.all()) == [stockholm]


def test_it_refuses_an_end_before_the_start_and_keeps_the_text(cast, stage2, login):
    response = login(cast.staff).post(
        f"/audits/{stage2.pk}/edit/",
        {"mode": "on_site", "start_date": "2027-02-03", "end_date": "2027-02-01", "scope": "Kept text"},
    )
    body = page_text(response)
    assert response.status_code == 200
    assert "The last day cannot be before the first day." in body
    assert "Kept text" in body
    stage2.refresh_from_db()
    assert stage2.end_date == WED


def test_it_refuses_a_site_of_another_organization(cast, stage2, login):
    lulea = cast.org_b.sites.get()
    response = login(cast.staff).post(
        f"/audits/{stage2.pk}/edit/", {"mode": "on_site", "sites": [lulea.pk], "start_date": "2027-02-01"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in page_text(response)
    assert not stage2.sites.filter(pk=lulea.pk).exists()


# -- Audit time ----------------------------------------------------------------------------------


def _adjustments(*rows, keep=False):
    data = {
        "adjustment-TOTAL_FORMS": "3",
        "adjustment-INITIAL_FORMS": "0",
        "adjustment-MIN_NUM_FORMS": "0",
        "adjustment-MAX_NUM_FORMS": "10",
    }
    for index, (percent, justification) in enumerate(rows):
        data[f"adjustment-{index}-percent"] = percent
        data[f"adjustment-{index}-justification"] = justification
    if keep:
        data["keep_sample"] = "on"
    return data


def test_it_computes_the_time_with_an_adjustment(cast, stage2, login):
    response = login(cast.lead).post(
        f"/audits/{stage2.pk}/time/", _adjustments(("-10", "Simple, highly automated processes"), keep=True)
    )
    assert response.status_code == 302
    stage2.refresh_from_db()
    assert stage2.sampling_seed == 11
    assert stage2.time_calculation["adjustments"] == [
        {"percent": -10.0, "justification": "Simple, highly automated processes"}
    ]
    body = page_text(login(cast.client).get(f"/audits/{stage2.pk}/"))
    assert "Simple, highly automated processes" in body


def test_it_refuses_reductions_beyond_thirty_percent(cast, stage2, login):
    before = stage2.time_calculation
    response = login(cast.lead).post(
        f"/audits/{stage2.pk}/time/", _adjustments(("-20", "Low risk"), ("-15", "Few processes"))
    )
    body = page_text(response)
    assert response.status_code == 200
    assert "30" in body and "reduction" in body.lower()
    assert 'value="Few processes"' in body
    stage2.refresh_from_db()
    assert stage2.time_calculation == before


def test_it_asks_for_a_justification_for_each_adjustment(cast, stage2, login):
    response = login(cast.lead).post(f"/audits/{stage2.pk}/time/", _adjustments(("-10", "")))
    assert response.status_code == 200
    assert "needs a written justification" in page_text(response)


# -- Team ----------------------------------------------------------------------------------------


def test_it_shows_the_refusal_for_a_member_without_competence(cast, stage2, login):
    response = login(cast.staff).post(
        f"/audits/{stage2.pk}/team/", {"user": cast.auditor.pk, "role": TeamRole.AUDITOR}
    )
    body = page_text(response)
    assert response.status_code == 200
    assert "competence" in body
    assert not stage2.team.filter(user=cast.auditor).exists()


def test_it_adds_and_removes_a_member(cast, stage2, login):
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    client = login(cast.staff)
    response = client.post(f"/audits/{stage2.pk}/team/", {"user": cast.auditor.pk, "role": TeamRole.AUDITOR})
    assert response.status_code == 302
    member = stage2.team.get(user=cast.auditor)
    assert cast.auditor.has_perm("audits.view_audit", stage2)
    response = client.post(f"/audits/{stage2.pk}/team/{member.pk}/remove/")
    assert response.status_code == 302
    assert not stage2.team.filter(user=cast.auditor).exists()


def test_it_refuses_to_remove_a_member_with_slots_with_a_message(cast, stage2, login):
    plan_slot_add(
        actor=SYSTEM,
        day=stage2.first_day,
        start=datetime.time(9),
        end=datetime.time(10),
        member=stage2.lead,
        activity="x",
    )
    client = login(cast.staff)
    response = client.post(f"/audits/{stage2.pk}/team/{stage2.lead.pk}/remove/", follow=True)
    assert "has slots in the plan" in page_text(response)
    assert stage2.team.filter(pk=stage2.lead.pk).exists()


def test_it_offers_only_auditors_not_yet_on_the_team(cast, stage2, login):
    outsider = UserFactory(username="not-an-auditor")
    body = page_text(login(cast.staff).get(f"/audits/{stage2.pk}/team/"))
    assert f'<option value="{cast.auditor.pk}">' in body
    assert f'<option value="{cast.lead.pk}">' not in body
    assert f'<option value="{outsider.pk}">' not in body


# -- Plan ----------------------------------------------------------------------------------------


def _slot(stage2, **overrides):
    data = {
        "form": "slot",
        "slot-day": stage2.first_day.pk,
        "slot-start": "09:00",
        "slot-end": "12:00",
        "slot-member": stage2.lead.pk,
        "slot-activity": "Opening meeting and complaints handling",
        "slot-clauses": "4.1, 4.2",
    }
    data.update(overrides)
    return data


def test_it_adds_a_slot_with_its_clauses(cast, stage2, login):
    response = login(cast.lead).post(f"/audits/{stage2.pk}/plan/", _slot(stage2))
    assert response.status_code == 302
    slot = stage2.first_day.slots.get()
    assert sorted(slot.clauses.values_list("number", flat=True)) == ["4.1", "4.2"]


def test_it_refuses_an_overlap_and_keeps_what_was_typed(cast, stage2, login):
    client = login(cast.lead)
    client.post(f"/audits/{stage2.pk}/plan/", _slot(stage2))
    response = client.post(
        f"/audits/{stage2.pk}/plan/",
        _slot(stage2, **{"slot-start": "11:00", "slot-activity": "Staff interviews"}),
    )
    body = page_text(response)
    assert response.status_code == 400
    assert "overlaps" in body
    assert 'value="Staff interviews"' in body
    assert stage2.first_day.slots.count() == 1


def test_it_refuses_an_unknown_clause_number(cast, stage2, login):
    response = login(cast.lead).post(
        f"/audits/{stage2.pk}/plan/", _slot(stage2, **{"slot-clauses": "4.1, 9.9"})
    )
    assert response.status_code == 400
    assert "No clause 9.9" in page_text(response)
    assert not stage2.first_day.slots.exists()


def test_it_refuses_a_day_outside_the_audit_dates(cast, stage2, login):
    response = login(cast.lead).post(
        f"/audits/{stage2.pk}/plan/",
        {"form": "day", "day-date": "2027-03-01", "day-site": cast.org_a.sites.get(name="Malmö").pk},
    )
    assert response.status_code == 400
    assert "within the audit&#x27;s dates" in page_text(response)
    assert stage2.days.count() == 1


def test_it_refuses_a_site_outside_the_sample(cast, stage2, login):
    malmo = cast.org_a.sites.get(name="Malmö")
    stage2.sites.remove(malmo)
    response = login(cast.lead).post(
        f"/audits/{stage2.pk}/plan/", {"form": "day", "day-date": "2027-02-02", "day-site": malmo.pk}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in page_text(response)


def test_it_removes_a_slot_and_a_day(cast, stage2, login):
    client = login(cast.lead)
    client.post(f"/audits/{stage2.pk}/plan/", _slot(stage2))
    slot = stage2.first_day.slots.get()
    client.post(f"/audits/{stage2.pk}/plan/slots/{slot.pk}/remove/")
    assert not stage2.first_day.slots.exists()
    client.post(f"/audits/{stage2.pk}/plan/days/{stage2.first_day.pk}/remove/")
    assert not stage2.days.exists()


def test_it_refuses_removing_a_slot_of_another_audit(cast, stage2, programme, login):
    other = programme.audits.get(audit_type=AuditType.STAGE1)
    client = login(cast.lead)
    client.post(f"/audits/{stage2.pk}/plan/", _slot(stage2))
    slot = stage2.first_day.slots.get()
    # The lead is not on stage 1's team: 404 for it, and a slot id of stage 2 under it is never removed.
    assert client.post(f"/audits/{other.pk}/plan/slots/{slot.pk}/remove/").status_code == 404
    assert stage2.first_day.slots.exists()


def test_it_shows_why_the_plan_cannot_be_confirmed(cast, stage2, login):
    response = login(cast.lead).post(f"/audits/{stage2.pk}/plan/confirm/", follow=True)
    body = page_text(response)
    assert "Göteborg is in the sample but has no slot in the plan." in body
    stage2.refresh_from_db()
    assert stage2.status == AuditStatus.PLANNED


# -- Calculator ----------------------------------------------------------------------------------


def _calculate(client, **params):
    query = {
        "standard": "",
        "personnel": "155",
        "sites": "3",
        "audit_type": "initial",
        "adjustment-TOTAL_FORMS": "3",
        "adjustment-INITIAL_FORMS": "0",
    }
    query.update(params)
    return client.get("/calculator/", query)


def test_it_calculates_nordkontakt_in_the_browser(cast, login):
    response = _calculate(login(cast.auditor), standard=cast.standard.pk)
    body = page_text(response)
    assert response.status_code == 200
    # DOMAIN.md: 155 personnel at 3 sites under the ISO 18295 policy: 3.5 days, stage 1 0.5, stage 2 3.0.
    assert "<strong>3.5</strong> days" in body
    assert "0.5 / 3.0 days" in body


def test_it_answers_a_bad_calculator_input_with_a_form_error(cast, login):
    response = _calculate(login(cast.staff), standard=cast.standard.pk, personnel="0")
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 0.01." in page_text(response)


def test_it_shows_the_reduction_cap_in_the_calculator(cast, login):
    response = _calculate(
        login(cast.staff),
        standard=cast.standard.pk,
        **{"adjustment-0-percent": "-40", "adjustment-0-justification": "Tiny scope"},
    )
    assert response.status_code == 400
    assert "30" in page_text(response)


# -- Query counts --------------------------------------------------------------------------------


def test_it_renders_the_audit_record_in_a_constant_number_of_queries(
    cast, stage2, login, django_assert_max_num_queries
):
    client = login(cast.lead)
    plan_slot_add(
        actor=SYSTEM,
        day=stage2.first_day,
        start=datetime.time(8),
        end=datetime.time(9),
        member=stage2.lead,
        activity="a",
    )
    with django_assert_max_num_queries(30) as baseline:
        client.get(f"/audits/{stage2.pk}/")
    for site_name, day in (("Göteborg", TUE), ("Malmö", WED)):
        added = plan_day_add(actor=SYSTEM, audit=stage2, date=day, site=cast.org_a.sites.get(name=site_name))
        for hour in (9, 10, 11):
            plan_slot_add(
                actor=SYSTEM,
                day=added,
                start=datetime.time(hour),
                end=datetime.time(hour + 1),
                member=stage2.lead,
                activity=f"Slot {hour}",
                clauses=list(cast.standard.clauses.filter(auditable=True)),
            )
    with django_assert_max_num_queries(len(baseline)):
        response = client.get(f"/audits/{stage2.pk}/")
    assert "Slot 11" in response.content.decode()


def test_it_lists_audits_in_a_constant_number_of_queries(cast, stage2, login, django_assert_max_num_queries):
    client = login(cast.staff)
    with django_assert_max_num_queries(20) as baseline:
        client.get("/audits/")
    programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    with django_assert_max_num_queries(len(baseline)):
        response = client.get("/audits/")
    assert "Kundtjänst Norr AB" in response.content.decode()


def test_it_lists_only_the_clients_own_audits(cast, stage2, login):
    programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    body = login(cast.client).get("/audits/").content.decode()
    assert "Nordkontakt AB" in body
    assert "Kundtjänst Norr AB" not in body
    assert Audit.objects.filter(organization=cast.org_b).count() == 5


# -- The whole way: application to a confirmed stage 2 plan ---------------------------------------


def test_it_takes_nordkontakt_from_application_to_a_confirmed_stage_2_plan(cast, login, settings):
    settings.CERTIFICATION_BODY_NAME = "Test Certification AB"
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    staff = login(cast.staff)
    staff.post("/programmes/new/", {"organization": cast.org_a.pk, "standards": [cast.standard.pk]})
    programme = CertificationProgramme.objects.get(organization=cast.org_a)
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    response = staff.post(
        f"/audits/{audit.pk}/edit/",
        {"mode": "on_site", "start_date": "2027-02-01", "end_date": "2027-02-03", "language": "Svenska"},
    )
    assert response.status_code == 302
    assert staff.post(f"/audits/{audit.pk}/time/", _adjustments()).status_code == 302
    audit.refresh_from_db()
    assert audit.planned_days == Decimal("3.0")
    assert audit.sites.count() == 3
    staff.post(f"/audits/{audit.pk}/team/", {"user": cast.lead.pk, "role": TeamRole.LEAD_AUDITOR})
    lead = audit.team.get(user=cast.lead)
    for date, site_name in ((MON, "Stockholm"), (TUE, "Göteborg"), (WED, "Malmö")):
        site = cast.org_a.sites.get(name=site_name)
        staff.post(
            f"/audits/{audit.pk}/plan/", {"form": "day", "day-date": date.isoformat(), "day-site": site.pk}
        )
        day = audit.days.get(site=site)
        for start, end in (("08:00", "12:00"), ("13:00", "17:00")):
            response = staff.post(
                f"/audits/{audit.pk}/plan/",
                {
                    "form": "slot",
                    "slot-day": day.pk,
                    "slot-start": start,
                    "slot-end": end,
                    "slot-member": lead.pk,
                    "slot-activity": f"{site_name} {start}",
                    "slot-clauses": "4.1",
                },
            )
            assert response.status_code == 302, page_text(response)
    response = staff.post(f"/audits/{audit.pk}/plan/confirm/")
    assert response["Location"] == f"/audits/{audit.pk}/"
    audit.refresh_from_db()
    assert audit.status == AuditStatus.CONFIRMED
    body = page_text(login(cast.client).get(f"/audits/{audit.pk}/"))
    assert "Plan confirmed" in body
    assert "Malmö 13:00" in body


# -- Home pages: what is mine to do now ----------------------------------------------------------


def test_it_shows_staff_the_audits_late_or_at_risk(cast, programme, login):
    stage1 = programme.audits.get(audit_type=AuditType.STAGE1)
    audit_update(actor=SYSTEM, audit=stage1, due_date=timezone.localdate() + datetime.timedelta(days=10))
    body = page_text(login(cast.staff).get("/"))
    assert "Audits due without dates or team" in body
    assert f'href="/audits/{stage1.pk}/"' in body
    assert f'href="/audits/{programme.audits.get(audit_type=AuditType.STAGE2).pk}/"' not in body


def test_it_shows_auditors_and_clients_their_coming_audits(cast, stage2, login):
    programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    lead_home = page_text(login(cast.lead).get("/"))
    assert f'href="/audits/{stage2.pk}/"' in lead_home
    # The lead is on stage 2 only, not on the rest of Nordkontakt's programme.
    stage1 = stage2.programme.audits.get(audit_type=AuditType.STAGE1)
    assert f'href="/audits/{stage1.pk}/"' not in lead_home
    client_home = page_text(login(cast.client).get("/"))
    assert f'href="/audits/{stage2.pk}/"' in client_home
    assert "Kundtjänst Norr AB" not in client_home
    other_home = page_text(login(cast.other).get("/"))
    assert f'href="/audits/{stage2.pk}/"' not in other_home


def test_it_reopens_a_confirmed_plan_when_it_changes(cast, stage2, login):
    Audit.objects.filter(pk=stage2.pk).update(status=AuditStatus.CONFIRMED, confirmed_at=timezone.now())
    stage2.refresh_from_db()
    response = login(cast.lead).post(f"/audits/{stage2.pk}/plan/", _slot(stage2))
    assert response.status_code == 302
    stage2.refresh_from_db()
    assert stage2.status == AuditStatus.PLANNED
    assert stage2.confirmed_at is None


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_it_names_plan_days_as_people_write_dates(cast, stage2, login):
    body = page_text(login(cast.staff).get(f"/audits/{stage2.pk}/plan/"))
    assert f'<option value="{stage2.first_day.pk}">Mon 1 Feb 2027 · Stockholm</option>' in body
    assert "2027-02-01" not in body.split('id="add-day"')[0]


def test_it_confirms_an_added_day_and_slot_with_readable_dates(cast, stage2, login):
    staff = login(cast.staff)
    goteborg = cast.org_a.sites.get(name="Göteborg")
    response = staff.post(
        f"/audits/{stage2.pk}/plan/",
        {"form": "day", "day-date": TUE.isoformat(), "day-site": goteborg.pk},
        follow=True,
    )
    assert _messages(response) == ["Day added: Tue 2 Feb 2027 · Göteborg."]
    response = staff.post(
        f"/audits/{stage2.pk}/plan/",
        {
            "form": "slot",
            "slot-day": stage2.first_day.pk,
            "slot-start": "09:00",
            "slot-end": "12:00",
            "slot-member": stage2.lead.pk,
            "slot-activity": "Leadership",
            "slot-clauses": "4.1",
        },
        follow=True,
    )
    assert _messages(response) == ["Slot added: Mon 1 Feb 2027 · Stockholm · 09:00–12:00 Leadership."]


def test_it_names_plan_days_in_the_users_language(stage2):
    with translation.override("sv"):
        assert plan_day_label(stage2.first_day) == "mån 1 feb 2027 · Stockholm"


def test_it_names_a_site_once_when_it_is_named_after_its_city(cast, stage2, login):
    SiteFactory(organization=cast.org_a, name="Kista", city="Stockholm", effective_personnel=Decimal(5))
    staff = login(cast.staff)
    edit = page_text(staff.get(f"/audits/{stage2.pk}/edit/"))
    assert "> Stockholm</label>" in edit or ">Stockholm</label>" in edit
    assert "Stockholm (Stockholm)" not in edit
    # A site whose name does not say where it is keeps its city.
    assert "Kista (Stockholm)" in edit
    plan = page_text(staff.get(f"/audits/{stage2.pk}/plan/"))
    assert "Stockholm (Stockholm)" not in plan
    assert re.search(r"<h3 [^>]*>Monday 1 Feb 2027 · Stockholm</h3>", plan)


def test_it_keeps_the_city_in_a_plan_day_heading_when_the_site_is_named_otherwise(cast, stage2, login):
    kista = SiteFactory(
        organization=cast.org_a, name="Kista", city="Stockholm", effective_personnel=Decimal(5)
    )
    stage2.sites.add(kista)
    plan_day_add(actor=SYSTEM, audit=stage2, date=TUE, site=kista)
    plan = page_text(login(cast.staff).get(f"/audits/{stage2.pk}/plan/"))
    assert re.search(r"<h3 [^>]*>Tuesday 2 Feb 2027 · Kista, Stockholm</h3>", plan)
