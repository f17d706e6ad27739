"""Writes for transfers of certification (IAF MD 2): take in, review, decide.

Each write checks who acts (transfers.permissions) and its rule, and raises a DomainError (400),
ConflictError (409) or PermissionDenied (403) with a message fit for the user, naming the rule.
The states: draft -> under review -> ready for decision -> refused, or accepted with our own
certificate issued (one step: the grant issues it).
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from audits.services import audit_create_outside_programme, programme_take_over
from certificates.models import DecisionOutcome
from certificates.services import certificate_issue_transferred, transfer_decision_record
from core.actors import check
from core.errors import ConflictError, DomainError
from findings.uploads import inspect_upload
from transfers import permissions
from transfers.checklist import ITEMS, RULE_REVIEW
from transfers.models import (
    SURVEILLANCES_HELD,
    CycleStage,
    DocumentKind,
    NcGrade,
    NcState,
    OtherBodyNonconformity,
    ReviewAnswer,
    ReviewItem,
    Transfer,
    TransferDocument,
    TransferStatus,
)

RULE_ELIGIBLE = "IAF MD 2:2017 2.1"
RULE_NONCONFORMITIES = "IAF MD 2:2017 2.3"
RULE_DECISION = "ISO/IEC 17021-1 9.5"

# The certificate's details, as staff record them (transfer_create, transfer_update).
DETAIL_FIELDS = (
    "certificate_number",
    "issuing_body",
    "accreditation_body",
    "accredited",
    "accreditation_recognised",
    "scope",
    "issue_date",
    "expiry_date",
    "cycle_stage",
    "suspended",
    "reasons",
)
# What the decision's outcome may be: accept (grant our certification) or refuse.
ACCEPT = "accept"
REFUSE = "refuse"
OUTCOMES = (ACCEPT, REFUSE)


@dataclass(frozen=True)
class Blocker:
    """One reason the transfer cannot go on, with the rule it comes from."""

    message: str
    rule: str

    def __str__(self):
        return f"{self.message} ({self.rule})"


def _refusal(blockers: list[Blocker]) -> ConflictError:
    reasons = [str(blocker) for blocker in blockers]
    return ConflictError(" ".join(reasons), reasons=reasons)


# -- The rules ----------------------------------------------------------------------------------


def eligibility_blockers(transfer: Transfer, *, on: datetime.date) -> list[Blocker]:
    """IAF MD 2 2.1: only a valid, accredited certificate, under an accreditation we recognise
    (an IAF MLA signatory's), not suspended, is transferred."""
    blockers = []
    if transfer.suspended:
        blockers.append(
            Blocker(
                _("The current certificate is suspended: a suspended certificate is not transferred."),
                RULE_ELIGIBLE,
            )
        )
    if not (transfer.accredited and transfer.accreditation_recognised):
        blockers.append(
            Blocker(
                _(
                    "The current certificate's accreditation is not recognised: only a certificate issued "
                    "under accreditation by a signatory of the IAF MLA is transferred."
                ),
                RULE_ELIGIBLE,
            )
        )
    if transfer.expiry_date < on:
        blockers.append(
            Blocker(
                _("The current certificate expired on %(date)s: an expired certificate is not transferred.")
                % {"date": formats.date_format(transfer.expiry_date, "DATE_FORMAT")},
                RULE_ELIGIBLE,
            )
        )
    return blockers


def open_majors_blocker(transfer: Transfer) -> Blocker | None:
    """IAF MD 2: every major nonconformity the other body raised is closed before the transfer."""
    references = list(
        transfer.nonconformities.filter(grade=NcGrade.MAJOR, state=NcState.OPEN)
        .order_by("id")
        .values_list("reference", flat=True)
    )
    if not references:
        return None
    return Blocker(
        _("Major nonconformities of the issuing body are open: %(references)s. They must be closed first.")
        % {"references": ", ".join(references)},
        RULE_NONCONFORMITIES,
    )


def review_blocker(transfer: Transfer) -> Blocker | None:
    """The pre-transfer review is complete: every item answered, each with a note."""
    unanswered = [item for item in transfer.review_items.all() if not item.answered]
    if not unanswered:
        return None
    return Blocker(
        _("The pre-transfer review is not complete: %(count)s of its items have no answer with a note.")
        % {"count": len(unanswered)},
        RULE_REVIEW,
    )


def reviewer_blockers(transfer: Transfer, *, on: datetime.date) -> list[Blocker]:
    """A reviewer is chosen, and competent for the standard (a competence valid today)."""
    if transfer.reviewer is None:
        return [Blocker(_("Choose the reviewer first."), permissions.RULE_COMPETENCE)]
    return [
        Blocker(message, permissions.RULE_COMPETENCE)
        for message in permissions.reviewer_competence_problems(transfer.reviewer, transfer, on=on)
    ]


def readiness_blockers(transfer: Transfer, *, on: datetime.date) -> list[Blocker]:
    """Everything that stands against completing the review and accepting the transfer."""
    blockers = eligibility_blockers(transfer, on=on)
    majors = open_majors_blocker(transfer)
    if majors is not None:
        blockers.append(majors)
    review = review_blocker(transfer)
    if review is not None:
        blockers.append(review)
    return blockers + reviewer_blockers(transfer, on=on)


def decision_blockers(
    transfer: Transfer, *, user, outcome: str | None = None, on: datetime.date
) -> list[Blocker]:
    """Why this person may not decide now: the state, the decider's independence, and (for an
    acceptance, or with no outcome chosen) everything readiness_blockers lists."""
    blockers = []
    if transfer.status not in (TransferStatus.UNDER_REVIEW, TransferStatus.READY):
        blockers.append(
            Blocker(
                _("The transfer is %(status)s: there is nothing to decide.")
                % {"status": transfer.get_status_display().lower()},
                RULE_DECISION,
            )
        )
    blockers += [
        Blocker(message, rule) for rule, message in permissions.decider_conflicts(user, transfer, on=on)
    ]
    if outcome == REFUSE:
        return blockers
    if transfer.status == TransferStatus.UNDER_REVIEW:
        blockers.append(
            Blocker(_("The review is not completed yet: a transfer is accepted once it is."), RULE_REVIEW)
        )
    return blockers + readiness_blockers(transfer, on=on)


# -- Taking the transfer in ---------------------------------------------------------------------


def _lock(transfer: Transfer) -> Transfer:
    return Transfer.objects.select_for_update().select_related("standard", "organization").get(pk=transfer.pk)


def _require_open(transfer: Transfer) -> None:
    if transfer.status in (TransferStatus.REFUSED, TransferStatus.ISSUED):
        raise ConflictError(
            _("The transfer is decided (%(status)s): it no longer changes.")
            % {"status": transfer.get_status_display().lower()}
        )


def _clean_details(organization, details: dict, sites) -> tuple[dict, list]:
    cleaned = {name: details[name] for name in DETAIL_FIELDS if name in details}
    for name in ("certificate_number", "issuing_body", "accreditation_body", "scope", "reasons"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    for name in ("certificate_number", "issuing_body", "scope"):
        if name in cleaned and not cleaned[name]:
            raise DomainError(_("This field is required."), field=name)
    if "cycle_stage" in cleaned and cleaned["cycle_stage"] not in CycleStage.values:
        raise DomainError(_("Choose the stage in the cycle."), field="cycle_stage")
    sites = list(sites) if sites is not None else []
    if not sites:
        raise DomainError(_("Choose the sites the certificate covers."), field="sites")
    others = [site.name for site in sites if site.organization_id != organization.pk]
    if others:
        raise DomainError(
            _("%(sites)s is not a site of %(organization)s.")
            % {"sites": ", ".join(others), "organization": organization},
            field="sites",
        )
    return cleaned, sites


def _check_dates(transfer: Transfer) -> None:
    if transfer.expiry_date <= transfer.issue_date:
        raise DomainError(_("The expiry date must be after the issue date."), field="expiry_date")


@transaction.atomic
def transfer_create(*, user, organization, standard, sites, **details) -> Transfer:
    """Record a client's request to transfer its certificate, with the review's checklist to answer."""
    check(user, permissions.require_can_manage_transfers)
    cleaned, sites = _clean_details(organization, details, sites)
    missing = [name for name in ("issue_date", "expiry_date", "cycle_stage") if not cleaned.get(name)]
    if missing:
        raise DomainError(_("This field is required."), field=missing[0])
    transfer = Transfer(organization=organization, standard=standard, created_by=user, **cleaned)
    _check_dates(transfer)
    transfer.save()
    transfer.sites.set(sites)
    ReviewItem.objects.bulk_create(
        ReviewItem(transfer=transfer, item=item.code, order=order)
        for order, item in enumerate(ITEMS, start=1)
    )
    return transfer


@transaction.atomic
def transfer_update(*, user, transfer: Transfer, sites=None, **details) -> Transfer:
    """Correct the current certificate's details (a flag staff set once checked: the accreditation
    recognised, the certificate suspended) until the transfer is decided."""
    check(user, permissions.require_can_manage_transfers)
    transfer = _lock(transfer)
    _require_open(transfer)
    cleaned, sites = _clean_details(
        transfer.organization, details, sites if sites is not None else transfer.sites.all()
    )
    for name, value in cleaned.items():
        setattr(transfer, name, value)
    _check_dates(transfer)
    transfer.save()
    transfer.sites.set(sites)
    return transfer


@transaction.atomic
def transfer_assign_reviewer(*, user, transfer: Transfer, reviewer) -> Transfer:
    """Choose the reviewer: someone competent for the standard (refused with the rule otherwise)."""
    check(user, permissions.require_can_manage_transfers)
    transfer = _lock(transfer)
    _require_open(transfer)
    if transfer.status == TransferStatus.READY:
        raise ConflictError(_("The review is completed: its reviewer no longer changes."))
    problems = permissions.reviewer_competence_problems(reviewer, transfer, on=timezone.localdate())
    if problems:
        raise DomainError(" ".join(problems), field="reviewer", reasons=problems)
    transfer.reviewer = reviewer
    transfer.save(update_fields=["reviewer", "updated_at"])
    return transfer


@transaction.atomic
def transfer_start_review(*, user, transfer: Transfer) -> Transfer:
    """Hand the draft to its reviewer: refused for a certificate that cannot be transferred at all
    (suspended, accreditation not recognised, expired) or without a competent reviewer."""
    check(user, permissions.require_can_manage_transfers)
    transfer = _lock(transfer)
    if transfer.status != TransferStatus.DRAFT:
        raise ConflictError(_("The review has already started."))
    today = timezone.localdate()
    blockers = eligibility_blockers(transfer, on=today) + reviewer_blockers(transfer, on=today)
    if blockers:
        raise _refusal(blockers)
    transfer.status = TransferStatus.UNDER_REVIEW
    transfer.save(update_fields=["status", "updated_at"])
    return transfer


@transaction.atomic
def transfer_document_add(
    *, user, transfer: Transfer, upload, kind: str, description: str = ""
) -> TransferDocument:
    """Keep a document of the review, accepted by its content as evidence is (findings.uploads):
    the file is written only after it passed, and removed again when the database write fails."""
    check(user, permissions.require_can_manage_transfers)
    if kind not in DocumentKind.values:
        raise DomainError(_("Choose what the document is."), field="kind")
    description = (description or "").strip()
    if len(description) > TransferDocument._meta.get_field("description").max_length:  # type: ignore[operator]
        raise DomainError(_("The description is too long."), field="description")
    inspected = inspect_upload(upload)
    transfer = _lock(transfer)
    _require_open(transfer)
    document = TransferDocument(
        transfer=transfer,
        kind=kind,
        original_name=inspected.original_name,
        content_type=inspected.kind.mime,
        size=inspected.size,
        sha256=inspected.sha256,
        description=description,
        uploaded_by=user,
    )
    stored_name = None
    try:
        upload.seek(0)
        document.file.save(inspected.original_name, upload, save=False)
        stored_name = document.file.name
        document.save()
    except BaseException:
        if stored_name:
            document.file.storage.delete(stored_name)
        raise
    return document


@transaction.atomic
def nonconformity_record(
    *, user, transfer: Transfer, reference: str, grade: str, description: str
) -> OtherBodyNonconformity:
    """Record a nonconformity the issuing body raised and had not closed, open until shown closed."""
    check(user, permissions.require_can_manage_transfers)
    transfer = _lock(transfer)
    _require_open(transfer)
    reference = (reference or "").strip()
    description = (description or "").strip()
    if not reference:
        raise DomainError(_("Give the issuing body's reference."), field="reference")
    if grade not in NcGrade.values:
        raise DomainError(_("Choose the grade."), field="grade")
    if not description:
        raise DomainError(_("Describe the nonconformity."), field="description")
    return OtherBodyNonconformity.objects.create(
        transfer=transfer, reference=reference, grade=grade, description=description, recorded_by=user
    )


@transaction.atomic
def nonconformity_close(
    *, user, nonconformity: OtherBodyNonconformity, closed_on: datetime.date, closure_note: str
) -> OtherBodyNonconformity:
    """Record that the issuing body's nonconformity was closed, when and on what evidence."""
    check(user, permissions.require_can_manage_transfers)
    transfer = _lock(nonconformity.transfer)
    _require_open(transfer)
    nonconformity = OtherBodyNonconformity.objects.select_for_update().get(pk=nonconformity.pk)
    if nonconformity.state == NcState.CLOSED:
        raise ConflictError(_("This nonconformity is already closed."))
    closure_note = (closure_note or "").strip()
    if not closure_note:
        raise DomainError(_("Say how the closure was verified."), field="closure_note")
    if closed_on is None:
        raise DomainError(_("Give the date it was closed."), field="closed_on")
    if closed_on > timezone.localdate():
        raise DomainError(_("The closing date cannot be in the future."), field="closed_on")
    nonconformity.state = NcState.CLOSED
    nonconformity.closed_on = closed_on
    nonconformity.closure_note = closure_note
    nonconformity.save(update_fields=["state", "closed_on", "closure_note"])
    return nonconformity


@transaction.atomic
def transfer_plan_visit(*, user, transfer: Transfer):
    """A visit to the client as part of the review: a special audit of the standard, planned and
    held through the audits pages like any other, linked to the transfer."""
    check(user, permissions.require_can_manage_transfers)
    transfer = _lock(transfer)
    _require_open(transfer)
    if transfer.status == TransferStatus.READY:
        raise ConflictError(_("The review is completed: a visit belongs before that."))
    if transfer.visit_id is not None:
        raise ConflictError(_("The transfer already has its visit."))
    visit = audit_create_outside_programme(
        actor=user, organization=transfer.organization, standards=[transfer.standard], scope=transfer.scope
    )
    transfer.visit = visit
    transfer.save(update_fields=["visit", "updated_at"])
    return visit


# -- The review ---------------------------------------------------------------------------------


@transaction.atomic
def review_item_answer(*, user, item: ReviewItem, answer: str, note: str) -> ReviewItem:
    """The reviewer answers one question of the checklist, with a note of what was seen."""
    # The reviewer as stored now, not as the caller's copy had it.
    transfer = Transfer.objects.select_for_update().get(pk=item.transfer_id)
    check(user, permissions.require_can_review, transfer)
    if transfer.status != TransferStatus.UNDER_REVIEW:
        raise ConflictError(_("The review is not under way: its answers do not change now."))
    if answer not in ReviewAnswer.values:
        raise DomainError(_("Choose an answer."), field="answer")
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Write a note of what was seen."), field="note")
    item = ReviewItem.objects.select_for_update().get(pk=item.pk)
    item.answer = answer
    item.note = note
    item.answered_by = user
    item.answered_at = timezone.now()
    item.save(update_fields=["answer", "note", "answered_by", "answered_at"])
    return item


@transaction.atomic
def transfer_complete_review(*, user, transfer: Transfer) -> Transfer:
    """The reviewer completes the review: refused while an item lacks its answer, a major of the
    issuing body is open, the certificate cannot be transferred, or the reviewer is not competent."""
    transfer = _lock(transfer)
    check(user, permissions.require_can_review, transfer)
    if transfer.status != TransferStatus.UNDER_REVIEW:
        raise ConflictError(_("The review is not under way."))
    blockers = readiness_blockers(transfer, on=timezone.localdate())
    if blockers:
        raise _refusal(blockers)
    transfer.status = TransferStatus.READY
    transfer.review_completed_at = timezone.now()
    transfer.save(update_fields=["status", "review_completed_at", "updated_at"])
    return transfer


# -- The decision -------------------------------------------------------------------------------


@transaction.atomic
def transfer_decide(
    *,
    user,
    transfer: Transfer,
    outcome: str,
    rationale: str,
    decided_on: datetime.date | None = None,
) -> Transfer:
    """The decision, by someone not involved in the review (not the reviewer, not on the visit's
    team). A refusal ends the transfer. An acceptance needs the completed review and every rule met
    again; it records the certification decision, continues the cycle in a programme of ours (the
    next surveillance due within the running cycle) and issues our certificate, which keeps the
    current certificate's expiry."""
    check(user, permissions.require_can_decide_transfer)
    transfer = _lock(transfer)
    if outcome not in OUTCOMES:
        raise DomainError(_("Accept or refuse the transfer."), field="outcome")
    today = timezone.localdate()
    recorded_on = timezone.localdate(transfer.created_at)
    if decided_on is not None and decided_on < recorded_on:
        raise DomainError(_("The decision cannot come before the transfer was recorded."), field="decided_on")
    blockers = decision_blockers(transfer, user=user, outcome=outcome, on=decided_on or today)
    if blockers:
        # As for a decision on an audit: a decider who may not decide is refused with 400, a
        # transfer whose state or rules stand against the decision with 409.
        independent_rules = (permissions.RULE_INDEPENDENT_DECISION, permissions.RULE_NOT_CONSULTED)
        decidable = transfer.status in (TransferStatus.UNDER_REVIEW, TransferStatus.READY)
        conflicts = [blocker for blocker in blockers if blocker.rule in independent_rules]
        if decidable and conflicts:
            reasons = [str(blocker) for blocker in conflicts]
            raise DomainError(" ".join(reasons), reasons=reasons)
        raise _refusal(blockers)
    decision = transfer_decision_record(
        user=user,
        organization=transfer.organization,
        outcome=DecisionOutcome.GRANT if outcome == ACCEPT else DecisionOutcome.REFUSE,
        rationale=rationale,
        decided_on=decided_on,
    )
    transfer.decision = decision
    if outcome == REFUSE:
        transfer.status = TransferStatus.REFUSED
        transfer.save(update_fields=["decision", "status", "updated_at"])
        return transfer
    programme = programme_take_over(
        actor=user,
        organization=transfer.organization,
        standards=[transfer.standard],
        expiring_on=transfer.expiry_date,
        surveillances_held=SURVEILLANCES_HELD[CycleStage(transfer.cycle_stage)],
    )
    transfer.certificate = certificate_issue_transferred(
        decision=decision,
        user=user,
        programme=programme,
        scope=transfer.scope,
        site_scopes=[(site, site.activities) for site in transfer.sites.order_by("name", "id")],
        expiry_date=transfer.expiry_date,
    )
    transfer.status = TransferStatus.ISSUED
    transfer.save(update_fields=["decision", "certificate", "status", "updated_at"])
    return transfer
