"""Remote and hybrid audits (IAF MD 4): an ICT feasibility and risk check before the plan is confirmed,
and a warning when less of the audit time is on site than the scheme asks."""

import pytest
from django.core.exceptions import PermissionDenied

from audits.documents import plan_pdf_render
from audits.models import Audit, AuditStatus, AuditType, IctCheck
from audits.services import (
    audit_update,
    ict_check_record,
    ict_problems,
    onsite_share_warning,
    plan_confirm,
    plan_problems,
)
from core.actors import SYSTEM
from core.errors import ConflictError, DomainError
from tests.conftest import page_text, pdf_text

CHECK = {
    "tools": "Teams video with screen sharing; the client's SharePoint for records.",
    "connectivity": "Tested with the client's IT on a call a week before.",
    "confidentiality": "No recording; screens shared only by the client.",
    "limitations": "The call floor itself: seen on site on the second day.",
}


@pytest.fixture
def planned(cast, onsite_audit):
    """onsite_audit with only Stockholm in the sample, its short plan justified, back to planned."""
    audit_update(actor=SYSTEM, audit=onsite_audit, sites=[onsite_audit.stockholm])
    Audit.objects.filter(pk=onsite_audit.pk).update(
        status=AuditStatus.PLANNED, plan_justification="A short plan, for the test."
    )
    onsite_audit.refresh_from_db()
    assert plan_problems(onsite_audit) == []
    return onsite_audit


def hybrid(audit) -> Audit:
    return audit_update(actor=SYSTEM, audit=audit, mode="hybrid")


def record(audit, actor=SYSTEM, **changes) -> IctCheck:
    data = {**CHECK, "remote_percent": 30, "feasible": True, **changes}
    return ict_check_record(actor=actor, audit=audit, **data)


def test_a_hybrid_audit_plan_cannot_be_confirmed_without_an_ict_check(planned):
    hybrid(planned)

    with pytest.raises(DomainError, match="Record the ICT feasibility and risk check"):
        plan_confirm(actor=SYSTEM, audit=planned)

    planned.refresh_from_db()
    assert planned.status == AuditStatus.PLANNED


def test_a_remote_audit_plan_cannot_be_confirmed_without_an_ict_check(planned):
    audit_update(actor=SYSTEM, audit=planned, mode="remote")

    assert "Record the ICT feasibility and risk check of this remote or hybrid audit." in plan_problems(
        planned
    )


def test_an_on_site_audit_needs_no_ict_check(planned):
    assert ict_problems(planned) == []
    with pytest.raises(ConflictError, match="held on site"):
        record(planned)
    assert not IctCheck.objects.exists()


def test_a_recorded_feasible_check_lets_the_hybrid_plan_be_confirmed(cast, planned):
    hybrid(planned)

    check = record(planned, actor=cast.lead)

    assert (check.tools, check.remote_percent, check.feasible, check.checked_by) == (
        CHECK["tools"],
        30,
        True,
        cast.lead,
    )
    plan_confirm(actor=SYSTEM, audit=planned)
    planned.refresh_from_db()
    assert planned.status == AuditStatus.CONFIRMED


def test_a_check_that_finds_remote_auditing_not_feasible_blocks_the_plan(planned):
    hybrid(planned)
    record(planned, feasible=False)

    with pytest.raises(DomainError, match="not feasible: hold the audit on site"):
        plan_confirm(actor=SYSTEM, audit=planned)


@pytest.mark.parametrize("field", sorted(CHECK))
def test_each_part_of_the_check_is_required(planned, field):
    hybrid(planned)

    with pytest.raises(DomainError) as error:
        record(planned, **{field: "  "})

    assert error.value.field == field
    assert not IctCheck.objects.exists()


@pytest.mark.parametrize("percent", [0, 100])
def test_a_hybrid_audit_holds_part_of_its_time_remotely(planned, percent):
    hybrid(planned)

    with pytest.raises(DomainError, match="between 1 and 99"):
        record(planned, remote_percent=percent)


def test_a_remote_audit_is_held_remotely_in_full(planned):
    audit_update(actor=SYSTEM, audit=planned, mode="remote")

    assert record(planned, remote_percent=20).remote_percent == 100


def test_it_lets_only_staff_and_the_lead_record_the_check(cast, planned):
    hybrid(planned)
    for person in (cast.client, cast.auditor, cast.other):
        with pytest.raises(PermissionDenied):
            record(planned, actor=person)
    record(planned, actor=cast.staff)
    assert IctCheck.objects.get().checked_by == cast.staff


def test_recording_the_check_again_makes_a_confirmed_plan_a_draft(planned):
    hybrid(planned)
    record(planned)
    plan_confirm(actor=SYSTEM, audit=planned)

    record(planned, tools="Zoom instead.")

    planned.refresh_from_db()
    assert planned.status == AuditStatus.PLANNED
    assert IctCheck.objects.get().tools == "Zoom instead."


# -- The share on site ----------------------------------------------------------------------------


def test_it_warns_when_the_on_site_share_falls_below_the_scheme_minimum(cast, planned):
    # The iso-18295 preset asks for 60 % on site; half the time remote leaves 50 %.
    hybrid(planned)
    record(planned, remote_percent=50)

    warning = onsite_share_warning(planned)

    assert warning == "Only 50 % of the audit time is on site, less than the 60 % the scheme asks for."
    with pytest.raises(DomainError, match="Only 50 % of the audit time is on site"):
        plan_confirm(actor=SYSTEM, audit=planned)


def test_a_justified_low_on_site_share_is_still_warned_about_but_does_not_block(planned):
    hybrid(planned)
    record(planned, remote_percent=50, onsite_justification="The client works from home by design.")

    assert onsite_share_warning(planned) is not None
    assert ict_problems(planned) == []
    plan_confirm(actor=SYSTEM, audit=planned)


def test_the_minimum_is_the_schemes_policy(cast, planned):
    scheme = cast.standard.scheme
    scheme.min_onsite_percent = 80  # the IAF MD 5 default
    scheme.save()
    hybrid(planned)
    record(planned, remote_percent=30)

    assert "less than the 80 % the scheme asks for" in onsite_share_warning(planned)


def test_a_remote_stage_1_under_a_scheme_that_allows_it_is_not_warned_about(cast, programme):
    stage1 = programme.audits.get(audit_type=AuditType.STAGE1)
    audit_update(actor=SYSTEM, audit=stage1, mode="remote")
    assert onsite_share_warning(stage1) is None

    cast.standard.scheme.stage1_remote_allowed = False
    cast.standard.scheme.save()
    assert "Only 0 % of the audit time is on site" in onsite_share_warning(stage1)


# -- The plan page --------------------------------------------------------------------------------


def test_the_plan_page_records_the_check_and_shows_the_warning(cast, planned, login):
    hybrid(planned)
    url = f"/audits/{planned.pk}/plan/"
    lead = login(cast.lead)
    text = page_text(lead.get(url))
    assert "ICT feasibility and risk check" in text
    assert "Record the ICT feasibility and risk check of this remote or hybrid audit." in text

    data = {"form": "ict", **{f"ict-{name}": value for name, value in CHECK.items()}}
    response = lead.post(url, {**data, "ict-remote_percent": "50", "ict-feasible": "yes"})

    assert response.status_code == 302
    assert IctCheck.objects.get(audit=planned).remote_percent == 50
    text = page_text(lead.get(url))
    assert "Only 50 % of the audit time is on site, less than the 60 % the scheme asks for." in text


def test_the_plan_page_shows_a_refused_check_with_the_text_kept(cast, planned, login):
    hybrid(planned)
    data = {"form": "ict", **{f"ict-{name}": value for name, value in CHECK.items()}}

    response = login(cast.lead).post(
        f"/audits/{planned.pk}/plan/", {**data, "ict-remote_percent": "100", "ict-feasible": "yes"}
    )

    assert response.status_code == 400
    text = page_text(response)
    assert "between 1 and 99" in text
    assert "on a call a week before." in text
    assert not IctCheck.objects.exists()


def test_the_plan_page_of_an_on_site_audit_has_no_ict_check(cast, planned, login):
    assert "ICT feasibility and risk check" not in page_text(
        login(cast.lead).get(f"/audits/{planned.pk}/plan/")
    )


# -- The API --------------------------------------------------------------------------------------


def test_the_api_records_the_check_and_answers_with_the_plan(cast, planned, api):
    hybrid(planned)
    url = f"/api/v1/audits/{planned.pk}/plan/"
    assert (
        "Record the ICT feasibility and risk check of this remote or hybrid audit."
        in (api(cast.lead).get(url).json()["problems"])
    )
    body = {**CHECK, "remote_percent": 50, "feasible": True}

    response = api(cast.lead).post(f"{url}ict-check/", body, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert (
        data["onsite_warning"]
        == "Only 50 % of the audit time is on site, less than the 60 % the scheme asks for."
    )
    assert any("Only 50 %" in problem for problem in data["problems"])
    assert IctCheck.objects.get(audit=planned).checked_by == cast.lead


def test_the_api_refuses_a_check_of_an_on_site_audit_with_409(cast, planned, api):
    body = {**CHECK, "remote_percent": 50, "feasible": True}

    response = api(cast.lead).post(f"/api/v1/audits/{planned.pk}/plan/ict-check/", body, format="json")

    assert response.status_code == 409
    assert "held on site" in response.json()["detail"]


def test_the_api_answers_a_bad_check_with_400(cast, planned, api):
    hybrid(planned)
    body = {**CHECK, "remote_percent": 100, "feasible": True}

    response = api(cast.lead).post(f"/api/v1/audits/{planned.pk}/plan/ict-check/", body, format="json")

    assert response.status_code == 400
    assert "remote_percent" in response.json()
    assert not IctCheck.objects.exists()


def test_the_plan_pdf_names_the_ict_used(planned):
    hybrid(planned)
    record(planned, tools="Teams video with screen sharing.")

    text = " ".join(pdf_text(plan_pdf_render(audit=planned)).split())

    assert "ICT used" in text
    assert "Teams video with screen sharing." in text
