"""The nonconformity workflow: the client answers, the team reviews, verifies and closes.

States: awaiting_response -> awaiting_review -> accepted -> closed; a rejected answer goes back to
awaiting_response with the reviewer's reasons. Each step is a NonconformityEvent (dated and
attributed) and queues the e-mail for that step once the transaction commits.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.models import Audit
from audits.selectors import audits_for_user
from core.errors import ConflictError, DomainError
from findings import permissions
from findings.deadlines import nc_deadlines, nonconformity_scheme
from findings.deliveries import nonconformity_step_queue
from findings.models import (
    NONCONFORMITY_GRADES,
    AttachmentPurpose,
    Grade,
    InternalNote,
    Nonconformity,
    NonconformityAttachment,
    NonconformityEvent,
    NonconformityEventKind,
    NonconformityResponse,
    NonconformityStatus,
    ReviewDecision,
    VerificationMethod,
)
from findings.uploads import inspect_upload

# The most files one answer or verification may carry.
MAX_FILES = 10

# -- Who ----------------------------------------------------------------------------------------


def nonconformities_for_user(user) -> QuerySet[Nonconformity]:
    """Staff all; the team those of its audits; the client's users their organisation's (by a join)."""
    return Nonconformity.objects.filter(audit__in=audits_for_user(user).values("pk"))


def is_overdue(nonconformity: Nonconformity, today) -> bool:
    """The same rule as Nonconformity.objects.overdue(), for one record in hand."""
    if nonconformity.status == NonconformityStatus.CLOSED:
        return False
    late_answer = (
        nonconformity.status == NonconformityStatus.AWAITING_RESPONSE and nonconformity.response_due < today
    )
    late_close = (
        nonconformity.grade == Grade.MAJOR and nonconformity.close_due and nonconformity.close_due < today
    )
    return bool(late_answer or late_close)


def _lock(nonconformity: Nonconformity) -> Nonconformity:
    return (
        Nonconformity.objects.select_for_update(of=("self",))
        .select_related("audit__organization", "finding__clause")
        .get(pk=nonconformity.pk)
    )


def _require_state(nonconformity: Nonconformity, *states: str, action: str) -> None:
    if nonconformity.status not in states:
        raise ConflictError(
            _("This nonconformity is %(state)s: it cannot be %(action)s now.")
            % {"state": nonconformity.get_status_display().lower(), "action": action}
        )


def _text(value: str, *, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("%(label)s is needed.") % {"label": label}, field=field)
    return value


# -- Files --------------------------------------------------------------------------------------


def _inspect_all(files):
    files = [upload for upload in files if upload]
    if len(files) > MAX_FILES:
        raise DomainError(_("At most %(count)s files at a time.") % {"count": MAX_FILES}, field="files")
    # Every file is checked before any is stored: one refused file stores none of them.
    return [(upload, inspect_upload(upload)) for upload in files]


def _store_files(inspected, *, nonconformity, response, purpose, user, stored: list):
    for upload, checked in inspected:
        attachment = NonconformityAttachment(
            nonconformity=nonconformity,
            response=response,
            purpose=purpose,
            original_name=checked.original_name,
            content_type=checked.kind.mime,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=user,
        )
        upload.seek(0)
        attachment.file.save(checked.original_name, upload, save=False)
        stored.append((attachment.file.storage, attachment.file.name))
        attachment.save()


def _with_files(work):
    """Run `work(stored)` in a transaction; if it fails, delete the files it wrote."""
    stored: list = []
    try:
        with transaction.atomic():
            return work(stored)
    except BaseException:
        for storage, name in stored:
            storage.delete(name)
        raise


def _event(nonconformity, kind, user, *, response=None, comment="") -> NonconformityEvent:
    event = NonconformityEvent.objects.create(
        nonconformity=nonconformity, kind=kind, by=user, response=response, comment=comment
    )
    # Recorded with the step: its e-mail, and the NCR and summary PDFs made again to match, sent
    # once the step commits, even if the broker is down meanwhile.
    nonconformity_step_queue(event=event)
    return event


# -- Steps --------------------------------------------------------------------------------------


def nonconformity_issued(*, nonconformity: Nonconformity, user) -> NonconformityEvent:
    """Record that the NCR went to the client (called when the audit is closed)."""
    return _event(nonconformity, NonconformityEventKind.ISSUED, user)


def nonconformity_respond(
    *,
    nonconformity: Nonconformity,
    user,
    correction: str,
    root_cause: str,
    corrective_action: str,
    responsible: str = "",
    target_date=None,
    files=(),
) -> NonconformityResponse:
    """The client's answer: a new round each time, never an edit of an earlier one."""
    permissions.require_can_answer(user, nonconformity)
    correction = _text(correction, field="correction", label=_("The correction"))
    root_cause = _text(root_cause, field="root_cause", label=_("The root cause"))
    corrective_action = _text(corrective_action, field="corrective_action", label=_("The corrective action"))
    if target_date is not None and target_date < timezone.localdate():
        raise DomainError(_("The target date cannot be in the past."), field="target_date")
    inspected = _inspect_all(files)

    def work(stored):
        locked = _lock(nonconformity)
        _require_state(locked, NonconformityStatus.AWAITING_RESPONSE, action=_("answered"))
        response = NonconformityResponse.objects.create(
            nonconformity=locked,
            round=locked.responses.count() + 1,
            correction=correction,
            root_cause=root_cause,
            corrective_action=corrective_action,
            responsible=(responsible or "").strip(),
            target_date=target_date,
            submitted_by=user,
        )
        _store_files(
            inspected,
            nonconformity=locked,
            response=response,
            purpose=AttachmentPurpose.RESPONSE,
            user=user,
            stored=stored,
        )
        locked.status = NonconformityStatus.AWAITING_REVIEW
        locked.save(update_fields=["status"])
        _event(locked, NonconformityEventKind.ANSWERED, user, response=response)
        return response

    return _with_files(work)


@transaction.atomic
def nonconformity_review(
    *, nonconformity: Nonconformity, user, decision: str, comment: str = ""
) -> Nonconformity:
    """Accept the latest answer, or reject it with the reasons the client will read."""
    permissions.require_can_review(user, nonconformity)
    locked = _lock(nonconformity)
    _require_state(locked, NonconformityStatus.AWAITING_REVIEW, action=_("reviewed"))
    if decision not in ReviewDecision.values:
        raise DomainError(_("Accept or reject the answer."), field="decision")
    comment = (comment or "").strip()
    if decision == ReviewDecision.REJECT and not comment:
        raise DomainError(_("Say why the answer is rejected: the client reads it."), field="comment")
    response = locked.responses.order_by("-round").first()
    now = timezone.now()
    response.decision = decision
    response.review_comment = comment
    response.reviewed_by = user
    response.reviewed_at = now
    response.save(update_fields=["decision", "review_comment", "reviewed_by", "reviewed_at"])
    if decision == ReviewDecision.ACCEPT:
        locked.status = NonconformityStatus.ACCEPTED
        locked.accepted_at, locked.accepted_by = now, user
        kind = NonconformityEventKind.ACCEPTED
    else:
        locked.status = NonconformityStatus.AWAITING_RESPONSE
        kind = NonconformityEventKind.REJECTED
    locked.save(update_fields=["status", "accepted_at", "accepted_by"])
    _event(locked, kind, user, response=response, comment=comment)
    return locked


def nonconformity_verify(
    *, nonconformity: Nonconformity, user, comment: str, method: str = VerificationMethod.DESK, files=()
) -> Nonconformity:
    """Verify the accepted correction and action were implemented and work; close the NCR."""
    permissions.require_can_verify(user, nonconformity)
    comment = _text(comment, field="comment", label=_("What was verified"))
    if method not in VerificationMethod.values:
        raise DomainError(_("Say whether it was verified at the desk or on site."), field="method")
    inspected = _inspect_all(files)

    def work(stored):
        locked = _lock(nonconformity)
        _require_state(locked, NonconformityStatus.ACCEPTED, action=_("verified"))
        _store_files(
            inspected,
            nonconformity=locked,
            response=None,
            purpose=AttachmentPurpose.VERIFICATION,
            user=user,
            stored=stored,
        )
        locked.status = NonconformityStatus.CLOSED
        locked.verification_method = method
        locked.verification_comment = comment
        locked.closed_at, locked.closed_by = timezone.now(), user
        locked.save(
            update_fields=["status", "verification_method", "verification_comment", "closed_at", "closed_by"]
        )
        _event(locked, NonconformityEventKind.CLOSED, user, comment=comment)
        return locked

    return _with_files(work)


def nonconformity_regrade(*, nonconformity: Nonconformity, user, grade: str, reason: str) -> Nonconformity:
    """Change an open nonconformity's grade (after an upheld appeal): a "regraded" step with the
    reason, never a silent edit; its deadlines follow the new grade as they would have from the
    audit's close (a minor has no closure date). The finding, as the team recorded it, stays."""
    permissions.require_can_regrade(user)
    if grade not in NONCONFORMITY_GRADES:
        raise DomainError(_("A nonconformity is minor or major."), field="grade")
    reason = _text(reason, field="reason", label=_("The reason"))
    with transaction.atomic():
        locked = _lock(nonconformity)
        if locked.status == NonconformityStatus.CLOSED:
            raise ConflictError(_("This nonconformity is closed: its grade no longer changes anything."))
        if locked.grade == grade:
            raise ConflictError(
                _("This nonconformity is already %(grade)s.") % {"grade": locked.get_grade_display().lower()},
                field="grade",
            )
        old = locked.get_grade_display()
        closed_on = (
            timezone.localdate(locked.audit.closed_at) if locked.audit.closed_at else locked.created_at.date()
        )
        _response_due, close_due = nc_deadlines(
            grade=grade, closed_on=closed_on, scheme=nonconformity_scheme(locked)
        )
        locked.grade = grade
        locked.close_due = close_due
        locked.save(update_fields=["grade", "close_due"])
        comment = _("%(old)s to %(new)s: %(reason)s") % {
            "old": old,
            "new": locked.get_grade_display(),
            "reason": reason,
        }
        _event(locked, NonconformityEventKind.REGRADED, user, comment=comment)
        return locked


def internal_note_add(*, nonconformity: Nonconformity, user, text: str) -> InternalNote:
    permissions.require_can_write_internal_note(user, nonconformity)
    return InternalNote.objects.create(
        nonconformity=nonconformity, author=user, text=_text(text, field="text", label=_("The note"))
    )


def open_majors(audit: Audit) -> QuerySet[Nonconformity]:
    """Majors of the audit not yet verified closed: they block a certification decision."""
    return audit.nonconformities.filter(grade=Grade.MAJOR).exclude(status=NonconformityStatus.CLOSED)
