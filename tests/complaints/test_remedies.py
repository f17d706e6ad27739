"""What an upheld appeal reverses, each through the lower apps' own services: a refusal by a new
decision that supersedes it, a nonconformity's grade by a "regraded" step; a withdrawal or a scope
reduction is left to the certificate's own steps, and the page and the refusal say so."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from audits.models import TeamMember
from certificates.models import Certificate, DecisionOutcome
from certificates.services import certificate_withdraw, decision_record, transfer_decision_record
from clients.models import ConsultancyDeclaration
from complaints.models import AppealAgainst, EntryKind
from complaints.services import (
    appeal_file,
    appeal_redecide,
    appeal_regrade,
    appeal_reinstate,
    case_acknowledge,
    case_assign,
    case_decide,
)
from core.errors import ConflictError, DomainError
from findings.models import Grade, Nonconformity, NonconformityEventKind
from tests.conftest import page_text, ready_to_certify


@pytest.fixture
def refusal(cast, closed_audit):
    return decision_record(audit=closed_audit, user=cast.staff, outcome="refuse", rationale="Minor open.")


def _appeal(cast, staff2, *, upheld=True, **against):
    appeal = appeal_file(
        user=cast.client, source="portal", subject="Unfair", description="Please look again.", **against
    )
    case_acknowledge(user=cast.staff, case=appeal)
    case_assign(user=cast.staff, case=appeal, investigator=staff2)
    if upheld:
        case_decide(user=staff2, case=appeal, outcome="upheld", reasons="We agree.")
    appeal.refresh_from_db()
    return appeal


def test_an_upheld_appeal_against_a_refusal_is_met_by_a_new_decision_that_grants(
    cast, staff2, closed_audit, refusal
):
    appeal = _appeal(cast, staff2, upheld=False, decision=refusal)
    with pytest.raises(ConflictError, match="upheld"):
        appeal_redecide(user=staff2, appeal=appeal, outcome="grant", rationale="x")
    case_decide(user=staff2, case=appeal, outcome="upheld", reasons="We agree.")
    with pytest.raises(PermissionDenied):
        appeal_redecide(user=cast.client, appeal=appeal, outcome="grant", rationale="x")
    # The same rules as any grant: the minor's plan is not accepted yet.
    with pytest.raises(ConflictError, match="9.5"):
        appeal_redecide(user=staff2, appeal=appeal, outcome="grant", rationale="Plan accepted.")
    ready_to_certify(closed_audit)
    with pytest.raises(ConflictError, match="reinstating"):
        appeal_reinstate(user=staff2, appeal=appeal, reason="x")
    decision = appeal_redecide(user=staff2, appeal=appeal, outcome="grant", rationale="Plan accepted.")
    assert decision.supersedes == refusal and decision.outcome == DecisionOutcome.GRANT
    assert appeal.number in decision.rationale
    assert Certificate.objects.get().decision == decision
    refusal.refresh_from_db()
    assert refusal.outcome == DecisionOutcome.REFUSE and refusal.audit == closed_audit
    appeal.refresh_from_db()
    assert appeal.remedy_decision == decision
    assert appeal.timeline.filter(kind=EntryKind.REDECIDED).exists()
    with pytest.raises(ConflictError, match="already"):
        appeal_redecide(user=staff2, appeal=appeal, outcome="grant", rationale="Again.")


def test_the_new_decision_is_refused_to_a_decider_on_the_team_or_who_consulted_for_the_client(
    cast, staff2, closed_audit, refusal
):
    appeal = _appeal(cast, staff2, decision=refusal)
    ready_to_certify(closed_audit)
    TeamMember.objects.create(audit=closed_audit, user=staff2, role="auditor")
    with pytest.raises(DomainError, match="You were on the team"):
        appeal_redecide(user=staff2, appeal=appeal, outcome="grant", rationale="Plan accepted.")
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a,
        provider="Kvalitetshuset",
        person=cast.staff,
        until=timezone.localdate() - datetime.timedelta(days=100),
    )
    with pytest.raises(DomainError, match="You declared management-system consultancy"):
        appeal_redecide(user=cast.staff, appeal=appeal, outcome="grant", rationale="Plan accepted.")
    appeal.refresh_from_db()
    assert appeal.remedy_decision is None and not refusal.superseded_by.exists()


def test_only_a_refusal_is_taken_again(cast, staff2, certificate):
    appeal = _appeal(cast, staff2, decision=certificate.decision)
    with pytest.raises(ConflictError, match="did not refuse"):
        appeal_redecide(user=staff2, appeal=appeal, outcome="grant", rationale="x")


def test_an_upheld_appeal_against_a_grade_regrades_the_nonconformity_by_a_new_step(
    cast, staff2, closed_audit
):
    nonconformity = Nonconformity.objects.get()
    assert nonconformity.close_due is None
    appeal = _appeal(cast, staff2, nonconformity=nonconformity)
    with pytest.raises(ConflictError, match="already minor"):
        appeal_regrade(user=staff2, appeal=appeal, grade="minor", reason="x")
    regraded = appeal_regrade(user=staff2, appeal=appeal, grade="major", reason="Repeated.")
    assert regraded.grade == Grade.MAJOR and regraded.close_due is not None
    event = regraded.events.get(kind=NonconformityEventKind.REGRADED)
    assert appeal.number in event.comment and "Repeated." in event.comment
    appeal.refresh_from_db()
    assert appeal.remedy_nc_event == event
    assert appeal.timeline.filter(kind=EntryKind.REGRADED).exists()
    with pytest.raises(ConflictError, match="already"):
        appeal_regrade(user=staff2, appeal=appeal, grade="minor", reason="Again.")


def test_a_withdrawal_appeal_is_left_to_the_certificates_own_steps(cast, staff2, certificate, login):

    certificate_withdraw(certificate=certificate, user=cast.staff, reason="Misuse of the mark.")
    event = certificate.events.get(kind="withdrawn")
    appeal = _appeal(cast, staff2, certificate_event=event)
    assert appeal.against == AppealAgainst.WITHDRAWAL
    for act in (
        lambda: appeal_reinstate(user=staff2, appeal=appeal, reason="x"),
        lambda: appeal_redecide(user=staff2, appeal=appeal, outcome="grant", rationale="x"),
    ):
        with pytest.raises(ConflictError, match="never un-withdrawn"):
            act()
    assert "never un-withdrawn" in page_text(login(cast.staff).get(f"/appeals/{appeal.pk}/"))


def test_the_page_and_the_api_take_the_new_decision_and_the_regrading(
    cast, staff2, closed_audit, refusal, login, api
):
    appeal = _appeal(cast, staff2, decision=refusal)
    ready_to_certify(closed_audit)
    url = f"/appeals/{appeal.pk}/"
    assert "redecide-rationale" in login(staff2).get(url).content.decode()
    assert login(cast.client).post(
        url + "redecide/", {"redecide-outcome": "grant", "redecide-rationale": "x"}
    ).status_code in (403, 404)
    bad = login(staff2).post(url + "redecide/", {"redecide-outcome": "maintain", "redecide-rationale": "x"})
    assert bad.status_code == 400
    done = login(staff2).post(
        url + "redecide/", {"redecide-outcome": "grant", "redecide-rationale": "Plan accepted."}
    )
    assert done.status_code == 302
    appeal.refresh_from_db()
    assert appeal.remedy_decision.outcome == DecisionOutcome.GRANT
    again = api(staff2).post(
        f"/api/v1/appeals/{appeal.pk}/redecide/", {"outcome": "grant", "rationale": "x"}, format="json"
    )
    assert again.status_code == 409 and "already" in str(again.json())

    nc_appeal = _appeal(cast, staff2, nonconformity=Nonconformity.objects.get())
    api_url = f"/api/v1/appeals/{nc_appeal.pk}/regrade/"
    assert api(cast.client).post(api_url, {"grade": "major", "reason": "x"}, format="json").status_code == 403
    assert api(staff2).post(api_url, {"grade": "ofi", "reason": "x"}, format="json").status_code == 400
    response = api(staff2).post(api_url, {"grade": "major", "reason": "Repeated."}, format="json")
    assert response.status_code == 200 and response.json()["remedy_nc_event"] is not None


def test_a_decision_on_a_transfer_is_not_appealed_through_certdesk(cast, staff2, login):
    on_transfer = transfer_decision_record(
        user=cast.staff, organization=cast.org_a, outcome="refuse", rationale="Accreditation not recognised."
    )
    with pytest.raises(DomainError, match="transfer of certification") as refused:
        appeal_file(
            user=cast.staff,
            source="staff",
            subject="Transfer",
            description="Please look again.",
            submitter_name="Eva Lund",
            submitter_email="eva@example.se",
            decision=on_transfer,
        )
    assert refused.value.field == "against"
    # Staff's form lists the decisions that may be appealed, and this one is not among them.
    page = login(cast.staff).get("/appeals/new/")
    assert page.status_code == 200 and f"decision-{on_transfer.pk}" not in page.content.decode()
