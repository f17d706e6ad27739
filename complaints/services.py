"""Complaints and appeals: file, acknowledge, assign, report progress, decide, close; and what a
case may lead to (a special audit or a suspension after a complaint, a reinstatement after an
upheld appeal), always through the audits' and certificates' own services.

Each write checks its actor through complaints.permissions and the case's state through
TRANSITIONS, and raises a DomainError (400), ConflictError (409) or PermissionDenied (403) with a
message fit for the user. Every step is a timeline entry; the e-mails to the submitter go through
the outbox in the submitter's language.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import is_staff_member
from audits.models import AuditType, CertificationProgramme, ProgrammeStatus
from audits.numbering import next_number
from audits.services import audit_add
from certificates.models import (
    Certificate,
    CertificateEvent,
    CertificateEventKind,
    CertificateStatus,
    Decision,
    DecisionOutcome,
)
from certificates.services import certificate_restore, certificate_suspend, decision_reconsider
from clients.models import Organization
from clients.selectors import membership_of
from complaints.deliveries import case_email_queue, outcome_letter_queue
from complaints.models import (
    Appeal,
    AppealAgainst,
    CaseOutcome,
    CaseSource,
    CaseState,
    Complaint,
    ComplaintAbout,
    EntryKind,
    TimelineEntry,
)
from complaints.permissions import (
    appeal_decider_conflicts,
    can_investigate,
    investigator_conflicts,
    require_can_file_in_portal,
    require_can_handle_cases,
    require_can_report_progress,
)
from complaints.selectors import APPEALABLE_EVENTS, case_scheme
from core.actors import SYSTEM, check
from core.errors import ConflictError, DomainError
from core.working_days import add_working_days
from findings.models import Nonconformity, NonconformityEventKind
from findings.ncr import nonconformity_regrade
from standards.models import CertificationScheme

COMPLAINT_SERIES = "K"
APPEAL_SERIES = "A"

# Which state each step leads from and to: the only changes a case's state may make.
TRANSITIONS: dict[str, tuple[str, str]] = {
    "acknowledge": (CaseState.RECEIVED, CaseState.ACKNOWLEDGED),
    "investigate": (CaseState.ACKNOWLEDGED, CaseState.INVESTIGATING),
    "decide": (CaseState.INVESTIGATING, CaseState.DECIDED),
    "close": (CaseState.DECIDED, CaseState.CLOSED),
}


# -- Deadlines ----------------------------------------------------------------------------------


def _policy_default(field: str) -> int:
    """The scheme model's default: the one place the policy's defaults are written."""
    default = CertificationScheme._meta.get_field(field).default  # type: ignore[union-attr]
    return int(default)


def case_deadlines(
    *, received_on: datetime.date, scheme: CertificationScheme | None
) -> tuple[datetime.date, datetime.date]:
    """(acknowledge by, answer by): the scheme's working days to acknowledge and calendar days to
    answer after receipt; the policy's defaults (5 and 30) for a case that concerns no scheme."""
    if scheme is not None:
        acknowledge_days = scheme.complaint_acknowledge_working_days
        answer_days = scheme.complaint_answer_days
    else:
        acknowledge_days = _policy_default("complaint_acknowledge_working_days")
        answer_days = _policy_default("complaint_answer_days")
    return (
        add_working_days(received_on, acknowledge_days),
        received_on + datetime.timedelta(days=answer_days),
    )


# -- Filing -------------------------------------------------------------------------------------


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    return value


def _submitter(user, source: str, *, name: str, email: str, language: str) -> dict:
    """Who filed it: the signed-in person in the portal; as given on the public form or by staff."""
    if source == CaseSource.PORTAL:
        require_can_file_in_portal(user)
        name = user.get_full_name() or user.username
        email = user.email
        language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    elif source == CaseSource.STAFF:
        check(user, require_can_handle_cases)
    elif source != CaseSource.PUBLIC:
        raise DomainError(_("Choose how the case was received."), field="source")
    languages = {code for code, _label in settings.LANGUAGES}
    return {
        "submitter_name": _text(name, "submitter_name", _("Give the name of who files it.")),
        "submitter_email": _text(email, "submitter_email", _("Give an e-mail address for the answer.")),
        "submitter_language": language if language in languages else settings.LANGUAGE_CODE,
        "submitted_by": user if source == CaseSource.PORTAL else None,
    }


def _received(case, *, user, received_on: datetime.date | None) -> None:
    today = timezone.localdate()
    received_on = received_on or today
    if received_on > today:
        raise DomainError(_("The date received cannot be in the future."), field="received_on")
    case.received_on = received_on
    case.acknowledge_by, case.answer_by = case_deadlines(received_on=received_on, scheme=case_scheme(case))


def _entry(case, kind: str, *, user=None, text: str = "", visible: bool = True) -> TimelineEntry:
    author = user if user is not None and user is not SYSTEM and user.is_authenticated else None
    return TimelineEntry.objects.create(
        complaint=case if isinstance(case, Complaint) else None,
        appeal=case if isinstance(case, Appeal) else None,
        kind=kind,
        text=text,
        visible_to_submitter=visible,
        author=author,
    )


@transaction.atomic
def complaint_file(
    *,
    user,
    source: str,
    subject: str,
    description: str,
    submitter_name: str = "",
    submitter_email: str = "",
    submitter_language: str = "",
    organization: Organization | None = None,
    certificate: Certificate | None = None,
    received_on: datetime.date | None = None,
) -> Complaint:
    """A complaint received: from the public form (anyone), a client's user in the portal, or
    staff recording a letter or call. A receipt e-mail with its number goes to the submitter."""
    complaint = Complaint(
        source=source,
        subject=_text(subject, "subject", _("Give the complaint a subject.")),
        description=_text(description, "description", _("Describe the complaint.")),
        **_submitter(user, source, name=submitter_name, email=submitter_email, language=submitter_language),
    )
    if source == CaseSource.PORTAL:
        membership = membership_of(user)
        complaint.submitter_organization = membership.organization if membership else None
    if certificate is not None:
        if organization is not None and certificate.organization_id != organization.pk:
            raise DomainError(_("The certificate is not the organisation's."), field="certificate")
        organization = certificate.organization
    if organization is not None:
        complaint.about = ComplaintAbout.CLIENT
        complaint.organization = organization
        complaint.certificate = certificate
    _received(complaint, user=user, received_on=received_on if source == CaseSource.STAFF else None)
    complaint.number = next_number(series=COMPLAINT_SERIES, year=complaint.received_on.year)
    complaint.save()
    _entry(complaint, EntryKind.RECEIVED, user=user if source != CaseSource.PUBLIC else None)
    case_email_queue(case=complaint, occasion="received")
    return complaint


def appeal_target(
    *, organization_id: int | None, decision=None, certificate_event=None, nonconformity=None
) -> dict:
    """What the appeal is against, checked to be the organisation's (when given) and appealable."""
    given = [item for item in (decision, certificate_event, nonconformity) if item is not None]
    if len(given) != 1:
        raise DomainError(_("Choose the decision the appeal is against."), field="against")
    if decision is not None:
        decided_audit = decision.decided_audit
        if decided_audit is None:
            raise DomainError(
                _(
                    "A decision on a transfer of certification is appealed by letter to the "
                    "certification body."
                ),
                field="against",
            )
        owner, against = decided_audit.organization_id, AppealAgainst.DECISION
    elif certificate_event is not None:
        if certificate_event.kind not in APPEALABLE_EVENTS:
            raise DomainError(_("This change to the certificate cannot be appealed."), field="against")
        owner = certificate_event.certificate.organization_id
        against = {
            CertificateEventKind.SUSPENDED: AppealAgainst.SUSPENSION,
            CertificateEventKind.WITHDRAWN: AppealAgainst.WITHDRAWAL,
        }.get(certificate_event.kind, AppealAgainst.SCOPE_REDUCTION)
    else:
        owner, against = nonconformity.audit.organization_id, AppealAgainst.NC_GRADE
    if organization_id is not None and owner != organization_id:
        raise DomainError(_("Choose the decision the appeal is against."), field="against")
    return {
        "organization_id": owner,
        "against": against,
        "decision": decision,
        "certificate_event": certificate_event,
        "nonconformity": nonconformity,
    }


@transaction.atomic
def appeal_file(
    *,
    user,
    source: str,
    subject: str,
    description: str,
    decision: Decision | None = None,
    certificate_event: CertificateEvent | None = None,
    nonconformity: Nonconformity | None = None,
    submitter_name: str = "",
    submitter_email: str = "",
    submitter_language: str = "",
    received_on: datetime.date | None = None,
) -> Appeal:
    """An appeal by a client against a decision concerning it: filed by its user in the portal, or
    recorded by staff from its letter."""
    if source not in (CaseSource.PORTAL, CaseSource.STAFF):
        raise DomainError(
            _("An appeal comes from a client, through the portal or recorded by staff."), field="source"
        )
    submitter = _submitter(
        user, source, name=submitter_name, email=submitter_email, language=submitter_language
    )
    membership = membership_of(user) if source == CaseSource.PORTAL else None
    target = appeal_target(
        organization_id=membership.organization_id if membership else None,
        decision=decision,
        certificate_event=certificate_event,
        nonconformity=nonconformity,
    )
    appeal = Appeal(
        source=source,
        subject=_text(subject, "subject", _("Give the appeal a subject.")),
        description=_text(description, "description", _("Say why you appeal.")),
        **submitter,
        **target,
    )
    _received(appeal, user=user, received_on=received_on if source == CaseSource.STAFF else None)
    appeal.number = next_number(series=APPEAL_SERIES, year=appeal.received_on.year)
    appeal.save()
    _entry(appeal, EntryKind.RECEIVED, user=user)
    case_email_queue(case=appeal, occasion="received")
    return appeal


# -- Handling -----------------------------------------------------------------------------------


def _locked(case):
    return type(case).objects.select_for_update().get(pk=case.pk)


def _step(case, step: str) -> None:
    """Refuse a step the case's state does not allow, naming the state."""
    source, target = TRANSITIONS[step]
    if case.state != source:
        refusals = {
            "acknowledge": _("The case is %(state)s: it cannot be acknowledged now."),
            "investigate": _("The case is %(state)s: its investigation cannot start now."),
            "decide": _("The case is %(state)s: it cannot be decided now."),
            "close": _("The case is %(state)s: it cannot be closed now."),
        }
        raise ConflictError(refusals[step] % {"state": case.get_state_display().lower()})
    case.state = target


def _require_open(case) -> None:
    if case.state == CaseState.CLOSED:
        raise ConflictError(_("The case is closed."))


@transaction.atomic
def case_acknowledge(*, user, case, text: str = ""):
    """Acknowledge receipt (17021-1 9.7, 9.8): the handler is who acknowledges unless one is set;
    the submitter is e-mailed in their language."""
    check(user, require_can_handle_cases)
    case = _locked(case)
    _step(case, "acknowledge")
    case.acknowledged_on = timezone.localdate()
    if case.handler_id is None and user is not SYSTEM:
        case.handler = user
    case.save(update_fields=["state", "acknowledged_on", "handler"])
    _entry(case, EntryKind.ACKNOWLEDGED, user=user, text=(text or "").strip())
    case_email_queue(case=case, occasion="acknowledged")
    return case


def _conflicts(user, case) -> list[tuple[str, str]]:
    if isinstance(case, Complaint):
        return investigator_conflicts(user, case)
    return appeal_decider_conflicts(user, case, on=timezone.localdate())


def _refuse_conflicts(conflicts: list[tuple[str, str]], *, field: str) -> None:
    if conflicts:
        reasons = [f"{message} ({rule})" for rule, message in conflicts]
        raise DomainError(" ".join(reasons), field=field, reasons=reasons)


@transaction.atomic
def case_assign(*, user, case, handler=None, investigator=None):
    """Set the handler (certification staff) and the investigator (staff or an auditor, not
    involved in what the case is about). Naming an investigator puts an acknowledged case under
    investigation."""
    check(user, require_can_handle_cases)
    case = _locked(case)
    _require_open(case)
    if case.state == CaseState.DECIDED:
        raise ConflictError(_("The case is decided: only closing it is left."))
    if handler is None and investigator is None:
        raise DomainError(_("Choose a handler or an investigator."), field="handler")
    changed = []
    names = []
    if handler is not None:
        if not is_staff_member(handler):
            raise DomainError(_("The handler is one of the certification staff."), field="handler")
        case.handler = handler
        changed.append("handler")
        names.append(_("handler %(name)s") % {"name": handler.get_full_name() or handler.username})
    if investigator is not None:
        if not can_investigate(investigator):
            raise DomainError(
                _("The investigator is one of the certification staff or an auditor."), field="investigator"
            )
        _refuse_conflicts(_conflicts(investigator, case), field="investigator")
        if case.state == CaseState.RECEIVED:
            raise ConflictError(_("Acknowledge the case before its investigation starts."))
        if case.state == CaseState.ACKNOWLEDGED:
            _step(case, "investigate")
            changed.append("state")
        case.investigator = investigator
        changed.append("investigator")
        names.append(
            _("investigator %(name)s") % {"name": investigator.get_full_name() or investigator.username}
        )
    case.save(update_fields=changed)
    _entry(case, EntryKind.ASSIGNED, user=user, text=", ".join(names), visible=False)
    return case


@transaction.atomic
def case_report_progress(*, user, case, text: str, visible_to_submitter: bool = False) -> TimelineEntry:
    """A progress report on an open case; one marked visible is e-mailed to the submitter."""
    case = _locked(case)
    check(user, require_can_report_progress, case)
    _require_open(case)
    entry = _entry(
        case,
        EntryKind.PROGRESS,
        user=user,
        text=_text(text, "text", _("Write the progress report.")),
        visible=visible_to_submitter,
    )
    if visible_to_submitter:
        case_email_queue(case=case, occasion=f"progress-{entry.pk}")
    return entry


@transaction.atomic
def case_decide(*, user, case, outcome: str, reasons: str):
    """The outcome with its reasons, by someone not involved in what the case is about (17021-1
    9.7, 9.8); the outcome letter (PDF, in the submitter's language) is made and e-mailed."""
    check(user, require_can_handle_cases)
    case = _locked(case)
    if outcome not in CaseOutcome.values:
        raise DomainError(_("Choose the outcome."), field="outcome")
    reasons = _text(reasons, "reasons", _("Give the reasons for the outcome: the submitter reads them."))
    if user is not SYSTEM:
        _refuse_conflicts(_conflicts(user, case), field="outcome")
    _step(case, "decide")
    case.outcome = outcome
    case.reasons = reasons
    case.decided_on = timezone.localdate()
    case.decided_by = user if user is not SYSTEM else None
    case.save(update_fields=["state", "outcome", "reasons", "decided_on", "decided_by"])
    _entry(case, EntryKind.DECIDED, user=user, text=f"{case.get_outcome_display()}: {reasons}")
    outcome_letter_queue(case=case)
    return case


@transaction.atomic
def case_close(*, user, case, text: str = ""):
    check(user, require_can_handle_cases)
    case = _locked(case)
    _step(case, "close")
    case.closed_on = timezone.localdate()
    case.save(update_fields=["state", "closed_on"])
    _entry(case, EntryKind.CLOSED, user=user, text=(text or "").strip())
    return case


# -- What a case leads to -----------------------------------------------------------------------


def _client_complaint(complaint: Complaint) -> Organization:
    organization = complaint.organization
    if complaint.about != ComplaintAbout.CLIENT or organization is None:
        raise ConflictError(_("Only a complaint about a certified client leads to an audit or a suspension."))
    return organization


@transaction.atomic
def complaint_special_audit(
    *, user, complaint: Complaint, reason: str, due_date: datetime.date | None = None
):
    """A special audit of the client complained about (17021-1 9.6.4), made through the audits'
    service in the client's programme and linked to the complaint, with the reason."""
    check(user, require_can_handle_cases)
    complaint = _locked(complaint)
    _require_open(complaint)
    organization = _client_complaint(complaint)
    reason = _text(reason, "reason", _("Give the reason: it is kept with the audit."))
    if complaint.special_audit_id is not None:
        raise ConflictError(_("A special audit was already arranged for this complaint."))
    if due_date is not None and due_date < timezone.localdate():
        raise DomainError(_("The audit cannot be due in the past."), field="due_date")
    programme = (
        complaint.certificate.programme
        if complaint.certificate is not None
        else CertificationProgramme.objects.filter(organization=organization, status=ProgrammeStatus.ACTIVE)
        .order_by("-id")
        .first()
    )
    if programme is None:
        raise ConflictError(_("The organisation has no active certification programme to add the audit to."))
    audit = audit_add(
        actor=user,
        programme=programme,
        audit_type=AuditType.SPECIAL,
        due_date=due_date,
        scope=_("After complaint %(number)s: %(reason)s") % {"number": complaint.number, "reason": reason},
    )
    complaint.special_audit = audit
    complaint.save(update_fields=["special_audit"])
    _entry(complaint, EntryKind.SPECIAL_AUDIT, user=user, text=reason, visible=False)
    return audit


@transaction.atomic
def complaint_suspend(
    *, user, complaint: Complaint, reason: str, until: datetime.date | None = None
) -> Certificate:
    """Suspend the certificate complained about, through the certificates' service, with the reason."""
    check(user, require_can_handle_cases)
    complaint = _locked(complaint)
    _require_open(complaint)
    _client_complaint(complaint)
    suspended = complaint.certificate
    if suspended is None:
        raise ConflictError(_("The complaint names no certificate to suspend."))
    reason = _text(reason, "reason", _("Give the reason: it is kept with the change."))
    certificate = certificate_suspend(
        certificate=suspended,
        user=user,
        reason=_("After complaint %(number)s: %(reason)s") % {"number": complaint.number, "reason": reason},
        until=until,
    )
    _entry(complaint, EntryKind.SUSPENSION, user=user, text=reason, visible=False)
    return certificate


# What staff do themselves after an upheld appeal against a withdrawal or a scope reduction: there
# is no un-withdrawing, and no scope given back without the certificate's own steps.
NO_REMEDY_HERE = gettext_lazy(
    "An upheld appeal against a withdrawal or a reduction of scope is carried out through the "
    "certificate's own steps: a change of scope or sites, or a new certification decision after an "
    "audit. A withdrawn certificate is never un-withdrawn."
)


def _upheld(appeal: Appeal) -> Appeal:
    """The appeal, locked, once decided upheld (in whole or part) and not yet carried out."""
    appeal = _locked(appeal)
    if appeal.state != CaseState.DECIDED or appeal.outcome not in (CaseOutcome.UPHELD, CaseOutcome.PARTLY):
        raise ConflictError(_("Only an upheld appeal, once decided, reverses what was appealed."))
    if appeal.against in (AppealAgainst.WITHDRAWAL, AppealAgainst.SCOPE_REDUCTION):
        raise ConflictError(str(NO_REMEDY_HERE))
    return appeal


@transaction.atomic
def appeal_redecide(
    *, user, appeal: Appeal, outcome: str, rationale: str, scope: str | None = None
) -> Decision:
    """An upheld appeal against a refusal: a new decision to grant or renew through the
    certificates' service (the same rules as any decision, the refusal itself untouched), linked
    to the appeal."""
    check(user, require_can_handle_cases)
    appeal = _upheld(appeal)
    appealed = appeal.decision
    if appeal.against != AppealAgainst.DECISION or appealed is None:
        raise ConflictError(_("Only an appeal against a certification decision is met by a new decision."))
    if appeal.remedy_decision_id is not None:
        raise ConflictError(_("A new decision was already taken on this appeal."))
    if appealed.outcome != DecisionOutcome.REFUSE:
        raise ConflictError(
            _("The decision appealed did not refuse certification: take the next decision in the usual way.")
        )
    rationale = _text(rationale, "rationale", _("Write the rationale for the decision."))
    decision = decision_reconsider(
        previous=appealed,
        user=user,
        outcome=outcome,
        rationale=_("Appeal %(number)s upheld: %(reason)s") % {"number": appeal.number, "reason": rationale},
        scope=scope,
    )
    appeal.remedy_decision = decision
    appeal.save(update_fields=["remedy_decision"])
    _entry(appeal, EntryKind.REDECIDED, user=user, text=f"{decision.get_outcome_display()}: {rationale}")
    return decision


@transaction.atomic
def appeal_regrade(*, user, appeal: Appeal, grade: str, reason: str) -> Nonconformity:
    """An upheld appeal against a nonconformity's grade: the grade changed through the findings'
    service (a "regraded" step, its deadlines following the new grade), with the reason."""
    check(user, require_can_handle_cases)
    appeal = _upheld(appeal)
    graded = appeal.nonconformity
    if appeal.against != AppealAgainst.NC_GRADE or graded is None:
        raise ConflictError(_("Only an appeal against a nonconformity's grade changes the grade."))
    if appeal.remedy_nc_event_id is not None:
        raise ConflictError(_("The nonconformity was already regraded on this appeal."))
    reason = _text(reason, "reason", _("Give the reason: it is kept with the change."))
    nonconformity = nonconformity_regrade(
        nonconformity=graded,
        user=user,
        grade=grade,
        reason=_("Appeal %(number)s upheld: %(reason)s") % {"number": appeal.number, "reason": reason},
    )
    appeal.remedy_nc_event = (
        nonconformity.events.filter(kind=NonconformityEventKind.REGRADED).order_by("-at", "-id").first()
    )
    appeal.save(update_fields=["remedy_nc_event"])
    _entry(appeal, EntryKind.REGRADED, user=user, text=f"{nonconformity.get_grade_display()}: {reason}")
    return nonconformity


@transaction.atomic
def appeal_reinstate(*, user, appeal: Appeal, reason: str) -> Certificate:
    """An upheld appeal against a suspension lifts it with the certificates' restore service (a new
    event, never an edit of the suspension), linked to the appeal."""
    check(user, require_can_handle_cases)
    appeal = _upheld(appeal)
    suspension = appeal.certificate_event
    if appeal.against != AppealAgainst.SUSPENSION or suspension is None:
        raise ConflictError(
            _("Only an appeal against a suspension is reversed by reinstating the certificate.")
        )
    if appeal.remedy_event_id is not None:
        raise ConflictError(_("The certificate was already reinstated on this appeal."))
    reason = _text(reason, "reason", _("Give the reason: it is kept with the change."))
    certificate = suspension.certificate
    if certificate.status != CertificateStatus.SUSPENDED:
        raise ConflictError(
            _("The certificate is %(status)s, not suspended.")
            % {"status": certificate.get_status_display().lower()}
        )
    certificate = certificate_restore(
        certificate=certificate,
        user=user,
        reason=_("Appeal %(number)s upheld: %(reason)s") % {"number": appeal.number, "reason": reason},
    )
    appeal.remedy_event = (
        certificate.events.filter(kind=CertificateEventKind.RESTORED).order_by("-at", "-id").first()
    )
    appeal.save(update_fields=["remedy_event"])
    _entry(appeal, EntryKind.REINSTATEMENT, user=user, text=reason)
    return certificate
