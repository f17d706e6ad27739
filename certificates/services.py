"""Certification decisions and the certificate's life: issue, suspend, restore, withdraw, rescope, renew.

Each write checks its rule and raises a DomainError (400), ConflictError (409) or PermissionDenied
(403) with a message fit for the user; each change to a certificate is a CertificateEvent with
who and why, and a change of contents is a new revision whose PDF is made by a Celery task.
"""

import datetime
from typing import Literal, overload

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import SecurityEventKind
from accounts.security import record
from audits.cycle import add_months, cycle_dates, renewal_cycle_dates, restore_deadline
from audits.models import Audit, AuditStatus, AuditType, TeamMember
from audits.numbering import next_number
from audits.services import primary_standard, programme_next_cycle, programme_set_decision
from certificates.deliveries import certificate_pdf_queue
from certificates.models import (
    Certificate,
    CertificateEvent,
    CertificateEventKind,
    CertificateRevision,
    CertificateSite,
    CertificateStatus,
    Decision,
    DecisionOutcome,
)
from certificates.permissions import require_can_change_certificates, require_can_decide
from core.errors import ConflictError, DomainError
from findings.ncr import open_majors

CERTIFICATE_SERIES = "CERT"
# An audit made outside a programme (the API can) has no cycle for a decision to start or continue.
NO_PROGRAMME = gettext_lazy("This audit belongs to no certification programme: a decision needs its cycle.")

# Which decisions follow which audit (by its audit_type).
OUTCOMES_FOR: dict[str, tuple[DecisionOutcome, ...]] = {
    AuditType.STAGE2: (DecisionOutcome.GRANT, DecisionOutcome.REFUSE),
    AuditType.SURVEILLANCE: (DecisionOutcome.MAINTAIN, DecisionOutcome.REFUSE),
    AuditType.SPECIAL: (DecisionOutcome.MAINTAIN, DecisionOutcome.REFUSE),
    AuditType.RECERTIFICATION: (DecisionOutcome.RENEW, DecisionOutcome.REFUSE),
}


# -- Decision -----------------------------------------------------------------------------------


def stage_audits(audit: Audit):
    """The audits of the stage the decision rests on: stage 1 and 2 for an initial one, else the audit."""
    if audit.audit_type == AuditType.STAGE2 and audit.programme_id:
        return Audit.objects.filter(
            programme_id=audit.programme_id, audit_type__in=[AuditType.STAGE1, AuditType.STAGE2]
        )
    return Audit.objects.filter(pk=audit.pk)


def decision_problems(*, audit: Audit, user) -> list[str]:
    """Why this person may not decide on this audit now, in words; empty when they may."""
    problems = []
    if audit.status != AuditStatus.CLOSED:
        problems.append(
            _("The audit is not closed yet: the decision follows the closed audit and its report.")
        )
    if audit.audit_type not in OUTCOMES_FOR:
        problems.append(_("A stage 1 audit leads to stage 2, not to a certification decision."))
    if audit.programme_id is None:
        problems.append(str(NO_PROGRAMME))
    if Decision.objects.filter(audit=audit).exists():
        problems.append(_("This audit already has its decision."))
    member = (
        TeamMember.objects.filter(user=user, audit__in=stage_audits(audit)).select_related("audit").first()
        if user.is_authenticated
        else None
    )
    if member is not None:
        problems.append(
            _(
                "You were on the team of this stage's audit (%(audit)s, as %(role)s): the decision must be "
                "made by someone who was not (ISO/IEC 17021-1 9.5)."
            )
            % {"audit": member.audit.get_audit_type_display(), "role": member.get_role_display().lower()}
        )
    majors = []
    for stage_audit in stage_audits(audit):
        majors += list(open_majors(stage_audit).values_list("number", flat=True))
    if majors:
        problems.append(
            _("Major nonconformities are not closed: %(numbers)s. They must be verified closed first.")
            % {"numbers": ", ".join(sorted(majors))}
        )
    return problems


@transaction.atomic
def decision_record(
    *, audit: Audit, user, outcome: str, rationale: str, decided_on: datetime.date | None = None
) -> Decision:
    """Record the decision; a grant issues the certificate, a renewal renews it."""
    require_can_decide(user)
    # of=("self",): the programme is a nullable join, which PostgreSQL will not lock.
    audit = (
        Audit.objects.select_for_update(of=("self",))
        .select_related("organization", "programme")
        .get(pk=audit.pk)
    )
    allowed = OUTCOMES_FOR.get(AuditType(audit.audit_type), ())
    problems = decision_problems(audit=audit, user=user)
    programme = audit.programme
    if problems or programme is None:  # no programme is one of the problems
        conflict = audit.status != AuditStatus.CLOSED or Decision.objects.filter(audit=audit).exists()
        raise (ConflictError if conflict else DomainError)(" ".join(problems))
    if outcome not in allowed:
        raise DomainError(
            _("After this audit the decision is one of: %(choices)s.")
            % {"choices": ", ".join(str(DecisionOutcome(choice).label).lower() for choice in allowed)},
            field="outcome",
        )
    rationale = (rationale or "").strip()
    if not rationale:
        raise DomainError(_("Write the rationale for the decision."), field="rationale")
    today = timezone.localdate()
    decided_on = decided_on or today
    closed_on = timezone.localdate(audit.closed_at) if audit.closed_at else None
    if decided_on > today:
        raise DomainError(_("The decision date cannot be in the future."), field="decided_on")
    if closed_on and decided_on < closed_on:
        raise DomainError(_("The decision cannot come before the audit was closed."), field="decided_on")
    decision = Decision.objects.create(
        audit=audit, outcome=outcome, rationale=rationale, decided_on=decided_on, decided_by=user
    )
    record(
        SecurityEventKind.DECISION,
        actor=user,
        organization=audit.organization_id,
        target=f"audit {audit.pk}",
        outcome=outcome,
        decided_on=decided_on,
    )
    if outcome == DecisionOutcome.GRANT:
        programme_set_decision(actor=user, programme=programme, decision_date=decided_on)
        certificate_issue(decision=decision, user=user)
    elif outcome == DecisionOutcome.RENEW:
        certificate = _current_certificate(audit)
        certificate_renew(certificate=certificate, decision=decision, user=user)
    elif outcome == DecisionOutcome.MAINTAIN:
        maintained = _current_certificate(audit, required=False)
        if maintained is not None:
            _log(maintained, CertificateEventKind.MAINTAINED, user, rationale)
    return decision


@overload
def _current_certificate(audit: Audit, *, required: Literal[True] = ...) -> Certificate: ...
@overload
def _current_certificate(audit: Audit, *, required: Literal[False]) -> Certificate | None: ...
def _current_certificate(audit: Audit, *, required: bool = True) -> Certificate | None:
    certificate = (
        Certificate.objects.select_for_update()
        .filter(programme_id=audit.programme_id)
        .exclude(status=CertificateStatus.WITHDRAWN)
        .order_by("-issue_date", "-id")
        .first()
    )
    if certificate is None and required:
        raise ConflictError(_("There is no certificate of this programme to renew."))
    return certificate


# -- Certificates -------------------------------------------------------------------------------


def _log(certificate: Certificate, kind: str, user, reason: str = "") -> CertificateEvent:
    record(
        SecurityEventKind.CERTIFICATE_CHANGED,
        actor=user,
        organization=certificate.organization_id,
        target=f"certificate {certificate.number}",
        change=kind,
        revision=certificate.revision,
    )
    return CertificateEvent.objects.create(
        certificate=certificate, kind=kind, reason=reason, by=user, revision=certificate.revision
    )


def _snapshot(certificate: Certificate) -> dict:
    return {
        "number": certificate.number,
        "entity_name": certificate.entity_name,
        "entity_address": certificate.entity_address,
        "scope": certificate.scope,
        "standards": [
            {"code": standard.code, "title": standard.title, "edition": standard.edition}
            for standard in certificate.standards.order_by("code")
        ],
        "sites": [
            {
                "name": site.name,
                "address": site.address,
                "city": site.city,
                "country": site.country,
                "scope": site.scope,
            }
            for site in certificate.sites.order_by("id")
        ],
        "original_issue_date": certificate.original_issue_date.isoformat(),
        "issue_date": certificate.issue_date.isoformat(),
        "expiry_date": certificate.expiry_date.isoformat(),
        "lapsed_from": certificate.lapsed_from.isoformat() if certificate.lapsed_from else None,
        "lapsed_until": certificate.lapsed_until.isoformat() if certificate.lapsed_until else None,
        "revision": certificate.revision,
    }


def _new_revision(certificate: Certificate, reason: str) -> CertificateRevision:
    revision = CertificateRevision.objects.create(
        certificate=certificate,
        revision=certificate.revision,
        issue_date=certificate.issue_date,
        reason=reason[:300],
        snapshot=_snapshot(certificate),
    )
    # The certificate is saved; the PDF follows through the outbox when a worker is there.
    certificate_pdf_queue(revision=revision)
    return revision


def _set_sites(certificate: Certificate, site_scopes) -> None:
    certificate.sites.all().delete()
    for site, scope in site_scopes:
        if site.organization_id != certificate.organization_id:
            raise DomainError(
                _("%(site)s is not a site of %(organization)s.")
                % {"site": site.name, "organization": certificate.entity_name},
                field="sites",
            )
        CertificateSite.objects.create(
            certificate=certificate,
            site=site,
            name=site.name,
            address=", ".join(part for part in (site.address, site.postal_code) if part),
            city=site.city,
            country=str(site.country),
            scope=(scope or "").strip(),
        )


def certificate_issue(*, decision: Decision, user) -> Certificate:
    """The certificate a grant decision issues, with revision 1 and its PDF to come."""
    require_can_change_certificates(user)
    audit = decision.audit
    programme = audit.programme
    if programme is None:  # decision_record refuses such an audit before it comes here
        raise ConflictError(str(NO_PROGRAMME))
    organization = audit.organization
    scheme = primary_standard(audit).scheme
    dates = cycle_dates(decision_date=decision.decided_on, scheme=scheme)
    scope = audit.scope or programme.audits.exclude(scope="").values_list("scope", flat=True).first() or ""
    if not scope:
        raise DomainError(_("Write the audit's scope first: the certificate states it."), field="outcome")
    certificate = Certificate.objects.create(
        number=next_number(series=CERTIFICATE_SERIES, year=decision.decided_on.year),
        programme=programme,
        organization=organization,
        entity_name=organization.legal_name,
        entity_address=organization.full_address,
        scope=scope,
        original_issue_date=decision.decided_on,
        issue_date=decision.decided_on,
        expiry_date=dates.expiry,
        decision=decision,
    )
    certificate.standards.set(audit.standards.all())
    sites = organization.sites.order_by("-is_central_function", "name")
    _set_sites(certificate, [(site, site.activities) for site in sites])
    _new_revision(certificate, _("First issue"))
    _log(certificate, CertificateEventKind.ISSUED, user, decision.rationale)
    return certificate


def _lock(certificate: Certificate) -> Certificate:
    return Certificate.objects.select_for_update().get(pk=certificate.pk)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason: it is kept with the change."), field="reason")
    return reason


def _refuse(certificate: Certificate, action: str) -> ConflictError:
    return ConflictError(
        _("The certificate is %(status)s: it cannot be %(action)s.")
        % {"status": certificate.get_status_display().lower(), "action": action}
    )


def _require_not_expired(certificate: Certificate, today: datetime.date) -> None:
    """A certificate past its expiry date has expired, whether or not the daily run has marked it
    yet (it runs once a night): it is renewed after recertification, never changed."""
    if certificate.expiry_date < today:
        raise ConflictError(
            _("The certificate expired on %(date)s: renew it instead.")
            % {"date": formats.date_format(certificate.expiry_date, "DATE_FORMAT")}
        )


@transaction.atomic
def certificate_suspend(
    *, certificate: Certificate, user, reason: str, until: datetime.date | None = None
) -> Certificate:
    require_can_change_certificates(user)
    certificate = _lock(certificate)
    if certificate.status != CertificateStatus.ACTIVE:
        raise _refuse(certificate, _("suspended"))
    today = timezone.localdate()
    _require_not_expired(certificate, today)
    reason = _reason(reason)
    months = primary_standard(certificate).scheme.suspension_max_months
    longest = add_months(today, months)
    until = until or longest
    if until <= today:
        raise DomainError(_("The suspension must end after today."), field="until")
    if until > longest:
        raise DomainError(
            _("A suspension lasts at most %(months)s months (until %(date)s); then restore or withdraw.")
            % {"months": months, "date": formats.date_format(longest, "DATE_FORMAT")},
            field="until",
        )
    certificate.status = CertificateStatus.SUSPENDED
    certificate.suspended_until = until
    certificate.status_reason = reason
    certificate.save(update_fields=["status", "suspended_until", "status_reason", "updated_at"])
    _log(certificate, CertificateEventKind.SUSPENDED, user, reason)
    return certificate


@transaction.atomic
def certificate_restore(*, certificate: Certificate, user, reason: str = "") -> Certificate:
    require_can_change_certificates(user)
    certificate = _lock(certificate)
    if certificate.status != CertificateStatus.SUSPENDED:
        raise _refuse(certificate, _("restored"))
    _require_not_expired(certificate, timezone.localdate())
    certificate.status = CertificateStatus.ACTIVE
    certificate.suspended_until = None
    certificate.status_reason = ""
    certificate.save(update_fields=["status", "suspended_until", "status_reason", "updated_at"])
    _log(certificate, CertificateEventKind.RESTORED, user, (reason or "").strip())
    return certificate


@transaction.atomic
def certificate_withdraw(*, certificate: Certificate, user, reason: str) -> Certificate:
    require_can_change_certificates(user)
    certificate = _lock(certificate)
    if certificate.status not in (CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED):
        raise _refuse(certificate, _("withdrawn"))
    reason = _reason(reason)
    certificate.status = CertificateStatus.WITHDRAWN
    certificate.suspended_until = None
    certificate.status_reason = reason
    certificate.save(update_fields=["status", "suspended_until", "status_reason", "updated_at"])
    _log(certificate, CertificateEventKind.WITHDRAWN, user, reason)
    return certificate


@transaction.atomic
def certificate_change_scope(
    *, certificate: Certificate, user, reason: str, scope: str, site_scopes
) -> Certificate:
    """Reduce or extend the scope and sites: a new revision with today's issue date.

    A suspended certificate may only be reduced (17021-1 9.6.5: the scope is reduced to exclude
    the parts that do not meet the requirements): no site is added, and the scope's text is
    narrowed, which staff state in the reason. What remains is certified, so the reduction ends
    the suspension and the certificate is active again.
    """
    require_can_change_certificates(user)
    certificate = _lock(certificate)
    suspended = certificate.status == CertificateStatus.SUSPENDED
    if certificate.status not in (CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED):
        raise _refuse(certificate, _("changed"))
    today = timezone.localdate()
    _require_not_expired(certificate, today)
    # The new revision is issued today (never before the decision) and must expire after its issue.
    issue_date = max(today, certificate.decision.decided_on)
    if issue_date >= certificate.expiry_date:
        raise ConflictError(
            _("The certificate expires on %(date)s: no new revision can be issued on its last day; renew it.")
            % {"date": formats.date_format(certificate.expiry_date, "DATE_FORMAT")}
        )
    reason = _reason(reason)
    scope = (scope or "").strip()
    if not scope:
        raise DomainError(_("The certificate must state a scope."), field="scope")
    site_scopes = [(site, (site_scope or "").strip()) for site, site_scope in site_scopes]
    if not site_scopes:
        raise DomainError(_("A certificate covers at least one site."), field="sites")
    if suspended:
        _require_reduction(certificate, scope, site_scopes)
    certificate.scope = scope
    _set_sites(certificate, site_scopes)
    certificate.revision += 1
    certificate.issue_date = issue_date
    fields = ["scope", "revision", "issue_date", "updated_at"]
    if suspended:
        certificate.status = CertificateStatus.ACTIVE
        certificate.suspended_until = None
        certificate.status_reason = ""
        fields += ["status", "suspended_until", "status_reason"]
    certificate.save(update_fields=fields)
    _new_revision(certificate, reason)
    kind = CertificateEventKind.SCOPE_REDUCED if suspended else CertificateEventKind.SCOPE_CHANGED
    _log(certificate, kind, user, reason)
    return certificate


def _require_reduction(certificate: Certificate, scope: str, site_scopes) -> None:
    """A suspended certificate's change must reduce it: no site added, and something taken out."""
    covered = {entry.site_id: entry.scope for entry in certificate.sites.all()}
    added = [site.name for site, _site_scope in site_scopes if site.pk not in covered]
    if added:
        raise DomainError(
            _(
                "The certificate is suspended: its scope can only be reduced, and %(sites)s is not on it. "
                "Restore it first to extend it."
            )
            % {"sites": ", ".join(added)},
            field="sites",
        )
    unchanged = (
        scope == certificate.scope
        and len(site_scopes) == len(covered)
        and all(covered[site.pk] == site_scope for site, site_scope in site_scopes)
    )
    if unchanged:
        raise DomainError(
            _(
                "Nothing is taken out: to end a suspension by reducing the scope, remove the sites or "
                "narrow the scope that do not meet the requirements (or restore or withdraw the certificate)."
            ),
            field="scope",
        )


@transaction.atomic
def certificate_renew(*, certificate: Certificate, decision: Decision, user) -> Certificate:
    """Renewal on recertification: same number, new expiry, a new revision; the next cycle planned.

    The new expiry follows from the old one (17021-1 9.6.3.2.3), whenever the decision came; the
    issue date is the decision's. A decision after the expiry restores the certificate within the
    scheme's months after expiry (6 by default), and the lapse between the old expiry and the
    decision is stated on the certificate; later, the client starts again from stage 2.
    """
    require_can_change_certificates(user)
    certificate = _lock(certificate)
    if certificate.status == CertificateStatus.WITHDRAWN:
        raise _refuse(certificate, _("renewed"))
    scheme = primary_standard(certificate).scheme
    decided_on = decision.decided_on
    expired_on = certificate.expiry_date
    if decided_on > restore_deadline(expired_on=expired_on, scheme=scheme):
        raise ConflictError(
            _(
                "The certificate expired on %(expired)s, more than %(months)s months before this decision: "
                "certification can no longer be restored by recertification. The client must start over "
                "from a stage 2 audit."
            )
            % {
                "expired": formats.date_format(expired_on, "DATE_FORMAT"),
                "months": scheme.restore_after_expiry_months,
            }
        )
    dates = renewal_cycle_dates(expiring_on=expired_on, scheme=scheme)
    # Not certified from the day after the old expiry to the day before the decision, if any day.
    lapse_starts = expired_on + datetime.timedelta(days=1)
    lapsed = decided_on > lapse_starts
    certificate.lapsed_from = lapse_starts if lapsed else None
    certificate.lapsed_until = decided_on - datetime.timedelta(days=1) if lapsed else None
    certificate.expiry_date = dates.expiry
    certificate.issue_date = decided_on
    certificate.revision += 1
    certificate.status = CertificateStatus.ACTIVE
    certificate.suspended_until = None
    certificate.status_reason = ""
    certificate.decision = decision
    certificate.save()
    if lapsed:
        _new_revision(certificate, _("Restored after recertification, following a lapse"))
    else:
        _new_revision(certificate, _("Renewed after recertification"))
    _log(certificate, CertificateEventKind.RENEWED, user, decision.rationale)
    programme_next_cycle(
        actor=user, programme=certificate.programme, decision_date=decided_on, expiring_on=expired_on
    )
    return certificate


@transaction.atomic
def certificates_daily(*, today: datetime.date) -> dict:
    """Expire certificates past their expiry date; flag suspensions past their end, once each.

    A system service: celery beat runs it each morning; no person acts.
    """
    expired = 0
    for certificate in Certificate.objects.select_for_update().filter(
        status__in=[CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED], expiry_date__lt=today
    ):
        certificate.status = CertificateStatus.EXPIRED
        certificate.suspended_until = None
        certificate.save(update_fields=["status", "suspended_until", "updated_at"])
        _log(certificate, CertificateEventKind.EXPIRED, None, _("Past its expiry date."))
        expired += 1
    flagged = 0
    overdue = Certificate.objects.filter(status=CertificateStatus.SUSPENDED, suspended_until__lt=today)
    for certificate in overdue:
        # Once per suspension: a flag raised since the latest suspension began is enough.
        suspended_at = certificate.events.filter(kind=CertificateEventKind.SUSPENDED).order_by("-at").first()
        flags = certificate.events.filter(kind=CertificateEventKind.SUSPENSION_OVERDUE)
        if suspended_at is not None:
            flags = flags.filter(at__gte=suspended_at.at)
        if flags.exists():
            continue
        _log(
            certificate,
            CertificateEventKind.SUSPENSION_OVERDUE,
            None,
            _("The suspension ended on %(date)s: restore, reduce the scope or withdraw.")
            # The query chose suspensions ending before today: suspended_until is never None here.
            % {"date": formats.date_format(certificate.suspended_until, "DATE_FORMAT")},  # type: ignore[arg-type]
        )
        flagged += 1
    return {"expired": expired, "suspensions_overdue": flagged}
