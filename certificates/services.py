"""Certification decisions and the certificate's life: issue, suspend, restore, withdraw, rescope, renew.

Each write checks its rule and raises a DomainError (400), ConflictError (409) or PermissionDenied
(403) with a message fit for the user; each change to a certificate is a CertificateEvent with
who and why, and a change of contents is a new revision whose PDF is made by a Celery task.
"""

import datetime
from dataclasses import dataclass
from typing import Literal, overload

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import SecurityEventKind
from accounts.security import record
from audits.cycle import add_months, cycle_dates, renewal_cycle_dates, restore_deadline
from audits.models import Audit, AuditStatus, AuditType
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
from certificates.permissions import (
    DECIDER_COOLING_OFF_MONTHS,
    decider_conflicts,
    require_can_change_certificates,
    require_can_decide,
)
from certificates.selectors import decision_audits, sample_coverage
from clients.models import ConsultancyDeclaration, ConsultancyKind
from core.errors import ConflictError, DomainError
from findings.models import Grade, Nonconformity, NonconformityStatus
from standards.models import CertificationScheme
from standards.selectors import accreditations_of

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

# The outcomes that certify: every rule of 17021-1 9.5 on the nonconformities and the sample holds.
CERTIFYING = (DecisionOutcome.GRANT, DecisionOutcome.RENEW)

RULE_DECISION = "ISO/IEC 17021-1 9.5"
RULE_NONCONFORMITIES = "ISO/IEC 17021-1 9.5.3"
RULE_STAGE2_REPEAT = "ISO/IEC 17021-1 9.5.3.2"
RULE_IMPARTIALITY = "ISO/IEC 17021-1 5.2"
RULE_SAMPLE = "IAF MD 1"


@dataclass(frozen=True)
class Blocker:
    """One reason the decision cannot be made now, with the rule it comes from.

    `certifying_only`: it stands against a grant or a renewal, not against a refusal.
    """

    message: str
    rule: str
    certifying_only: bool = False

    def __str__(self):
        return f"{self.message} ({self.rule})"


@dataclass(frozen=True)
class LateMajors:
    """At initial certification: the last day to verify majors closed (the scheme's months after
    the last day of stage 2) and the majors not verified by then. Past that day, stage 2 must be
    repeated (ISO/IEC 17021-1 9.5.3.2)."""

    deadline: datetime.date
    months: int
    numbers: tuple[str, ...]


def stage2_majors_late(audit: Audit, *, on: datetime.date) -> LateMajors | None:
    """The majors of an initial certification verified too late, or not yet by `on` when that is
    past the deadline; None for any other audit or while stage 2 has no dates."""
    if audit.audit_type != AuditType.STAGE2 or audit.end_date is None:
        return None
    try:
        months = primary_standard(audit).scheme.initial_major_nc_max_months
    except (DomainError, CertificationScheme.DoesNotExist):
        months = CertificationScheme._meta.get_field("initial_major_nc_max_months").default
    deadline = add_months(audit.end_date, months)
    late = []
    for major in Nonconformity.objects.filter(audit__in=decision_audits(audit), grade=Grade.MAJOR).order_by(
        "number"
    ):
        verified_on = timezone.localdate(major.closed_at) if major.closed_at else None
        if (verified_on is None and on > deadline) or (verified_on is not None and verified_on > deadline):
            late.append(major.number)
    return LateMajors(deadline=deadline, months=months, numbers=tuple(late))


def _decision_state_blockers(audit: Audit, *, superseding: Decision | None = None) -> list[Blocker]:
    """17021-1 9.5: the audit is closed, leads to a decision, belongs to a programme and has no
    decision yet (but the one `superseding` replaces, when a decision is taken again)."""
    blockers = []
    if audit.status != AuditStatus.CLOSED:
        blockers.append(
            Blocker(
                _("The audit is not closed yet: the decision follows the closed audit and its report."),
                RULE_DECISION,
            )
        )
    if audit.audit_type not in OUTCOMES_FOR:
        blockers.append(
            Blocker(_("A stage 1 audit leads to stage 2, not to a certification decision."), RULE_DECISION)
        )
    if audit.programme_id is None:
        blockers.append(Blocker(str(NO_PROGRAMME), RULE_DECISION))
    if superseding is None and Decision.objects.filter(audit=audit).exists():
        blockers.append(Blocker(_("This audit already has its decision."), RULE_DECISION))
    return blockers


def _decider_conflict_blockers(user, audit: Audit, *, on: datetime.date) -> list[Blocker]:
    """17021-1 5.2: what keeps this person from deciding on this audit (decider_conflicts)."""
    return [Blocker(message, rule) for rule, message in decider_conflicts(user, audit, on=on)]


def _open_majors_blocker(basis) -> Blocker | None:
    """17021-1 9.5.3: every major nonconformity of the audits decided on is verified closed."""
    majors = sorted(
        Nonconformity.objects.filter(audit__in=basis, grade=Grade.MAJOR)
        .exclude(status=NonconformityStatus.CLOSED)
        .values_list("number", flat=True)
    )
    if not majors:
        return None
    return Blocker(
        _("Major nonconformities are not closed: %(numbers)s. They must be verified closed first.")
        % {"numbers": ", ".join(majors)},
        RULE_NONCONFORMITIES,
    )


def _open_minors_blocker(basis) -> Blocker | None:
    """17021-1 9.5.3, against certifying: every minor has an accepted correction and plan."""
    minors = sorted(
        Nonconformity.objects.filter(audit__in=basis, grade=Grade.MINOR)
        .exclude(status__in=[NonconformityStatus.ACCEPTED, NonconformityStatus.CLOSED])
        .values_list("number", flat=True)
    )
    if not minors:
        return None
    return Blocker(
        _("Minor nonconformities have no accepted correction and corrective-action plan yet: %(numbers)s.")
        % {"numbers": ", ".join(minors)},
        RULE_NONCONFORMITIES,
        certifying_only=True,
    )


def _late_majors_blocker(audit: Audit, *, on: datetime.date) -> Blocker | None:
    """17021-1 9.5.3.2, against certifying: stage 2's majors verified closed within the scheme's
    months, else stage 2 is repeated."""
    late = stage2_majors_late(audit, on=on)
    if late is None or not late.numbers:
        return None
    return Blocker(
        _(
            "Major nonconformities were not verified closed by %(date)s, %(months)s months after "
            "the last day of stage 2: %(numbers)s. Stage 2 must be repeated before certification."
        )
        % {
            "date": formats.date_format(late.deadline, "DATE_FORMAT"),
            "months": late.months,
            "numbers": ", ".join(late.numbers),
        },
        RULE_STAGE2_REPEAT,
        certifying_only=True,
    )


def _unaudited_sample_blocker(audit: Audit) -> Blocker | None:
    """IAF MD 1, against certifying: every site of the sample was audited (for an audit that
    leads to a decision)."""
    if audit.audit_type not in OUTCOMES_FOR:
        return None
    not_audited = sample_coverage(audit).not_audited
    if not not_audited:
        return None
    return Blocker(
        _("Sites of the sample were not audited: %(sites)s. Audit them before certifying.")
        % {"sites": ", ".join(site.name for site in not_audited)},
        RULE_SAMPLE,
        certifying_only=True,
    )


def _related_consultancy_blocker(audit: Audit, *, on: datetime.date) -> Blocker | None:
    """17021-1 5.2, against certifying: no consultancy by a body related to the certification body
    within the cooling-off months."""
    consulted = (
        ConsultancyDeclaration.objects.filter(
            organization_id=audit.organization_id,
            kind=ConsultancyKind.CONSULTANCY,
            related_to_certification_body=True,
            until__gte=add_months(on, -DECIDER_COOLING_OFF_MONTHS),
        )
        .order_by("-until")
        .first()
    )
    if consulted is None:
        return None
    return Blocker(
        _(
            "%(provider)s, a body related to the certification body, gave this client "
            "management-system consultancy until %(until)s: no certification within two years."
        )
        % {
            "provider": consulted.provider,
            "until": formats.date_format(consulted.until, "DATE_FORMAT"),
        },
        RULE_IMPARTIALITY,
        certifying_only=True,
    )


def decision_blockers(
    *,
    audit: Audit,
    user,
    outcome: str | None = None,
    on: datetime.date | None = None,
    superseding: Decision | None = None,
) -> list[Blocker]:
    """Every reason this person may not make this decision on this audit now, each with its rule.

    With no outcome, those against any decision and those against a grant or renewal (marked
    certifying_only): what the review page lists before staff choose. With `superseding`, the
    audit's decision taken again (decision_reconsider): the same rules, but that decision.
    """
    on = on or timezone.localdate()
    blockers = _decision_state_blockers(audit, superseding=superseding)
    blockers += _decider_conflict_blockers(user, audit, on=on)
    basis = decision_audits(audit)
    majors = _open_majors_blocker(basis)
    if majors is not None:
        blockers.append(majors)
    if outcome is not None and outcome not in CERTIFYING:
        return blockers
    # Only against a grant or a renewal (certifying_only), in the order the review page lists them.
    certifying = [
        _open_minors_blocker(basis),
        _late_majors_blocker(audit, on=on),
        _unaudited_sample_blocker(audit),
        _related_consultancy_blocker(audit, on=on),
    ]
    blockers += [blocker for blocker in certifying if blocker is not None]
    return blockers


def decision_problems(*, audit: Audit, user, outcome: str | None = None) -> list[str]:
    """decision_blockers in words, each with its rule; empty when the decision may be made."""
    return [str(blocker) for blocker in decision_blockers(audit=audit, user=user, outcome=outcome)]


def _refusal(blockers: list[Blocker], *, conflict: bool) -> DomainError:
    reasons = [str(blocker) for blocker in blockers]
    return (ConflictError if conflict else DomainError)(" ".join(reasons), reasons=reasons)


def _certified_sites(audit: Audit, site_scopes) -> list[tuple]:
    """(site, scope) pairs the certificate carries: those chosen, each audited or covered by a
    valid sample; by default every such site with its activities."""
    certifiable = sample_coverage(audit).certifiable
    if site_scopes is None:
        return [(site, site.activities) for site in certifiable]
    site_scopes = list(site_scopes)
    if not site_scopes:
        raise DomainError(_("A certificate covers at least one site."), field="sites")
    allowed = {site.pk for site in certifiable}
    refused = [site.name for site, _scope in site_scopes if site.pk not in allowed]
    if refused:
        raise DomainError(
            _("Not audited and not covered by a valid sample, so not certifiable: %(sites)s (%(rule)s).")
            % {"sites": ", ".join(refused), "rule": RULE_SAMPLE},
            field="sites",
        )
    return site_scopes


def _locked_for_decision(audit: Audit) -> Audit:
    """The audit again, locked for the decision, with its organization and programme."""
    # of=("self",): the programme is a nullable join, which PostgreSQL will not lock.
    return (
        Audit.objects.select_for_update(of=("self",))
        .select_related("organization", "programme")
        .get(pk=audit.pk)
    )


def _require_decidable(
    *, audit: Audit, user, outcome: str, on: datetime.date, superseding: Decision | None = None
) -> None:
    """Refuse the decision while a blocker stands (409 when the audit is not closed or already
    decided, and against certifying), or when the outcome does not follow this audit (400)."""
    allowed = OUTCOMES_FOR.get(AuditType(audit.audit_type), ())
    blockers = decision_blockers(audit=audit, user=user, outcome=outcome, on=on, superseding=superseding)
    standing = [blocker for blocker in blockers if not blocker.certifying_only]
    if standing or audit.programme is None:  # no programme is one of the problems
        decided = superseding is None and Decision.objects.filter(audit=audit).exists()
        conflict = audit.status != AuditStatus.CLOSED or decided
        raise _refusal(standing, conflict=conflict)
    if outcome not in allowed:
        raise DomainError(
            _("After this audit the decision is one of: %(choices)s.")
            % {"choices": ", ".join(str(DecisionOutcome(choice).label).lower() for choice in allowed)},
            field="outcome",
        )
    if blockers:  # what stands against certifying (17021-1 9.5), the API's 409 with the reasons
        raise _refusal(blockers, conflict=True)


def _required_rationale(rationale: str) -> str:
    """The rationale, stripped; refused when empty."""
    rationale = (rationale or "").strip()
    if not rationale:
        raise DomainError(_("Write the rationale for the decision."), field="rationale")
    return rationale


def _checked_decision_date(
    audit: Audit, *, decided_on: datetime.date | None, today: datetime.date
) -> datetime.date:
    """The decision's date (default today): not in the future, not before the audit was closed."""
    decided_on = decided_on or today
    closed_on = timezone.localdate(audit.closed_at) if audit.closed_at else None
    if decided_on > today:
        raise DomainError(_("The decision date cannot be in the future."), field="decided_on")
    if closed_on and decided_on < closed_on:
        raise DomainError(_("The decision cannot come before the audit was closed."), field="decided_on")
    return decided_on


def _carry_out(decision: Decision, *, user, scope: str | None, certified_sites) -> None:
    """What the decision does to the certificate: a grant sets the programme's decision date and
    issues it, a renewal renews it, a maintenance is logged on the current one if any."""
    audit = _decided_audit(decision)
    if decision.outcome == DecisionOutcome.GRANT:
        programme = audit.programme
        if programme is None:  # decision_record refuses such an audit before it comes here
            raise ConflictError(str(NO_PROGRAMME))
        programme_set_decision(actor=user, programme=programme, decision_date=decision.decided_on)
        certificate_issue(decision=decision, user=user, scope=scope, site_scopes=certified_sites)
    elif decision.outcome == DecisionOutcome.RENEW:
        certificate = _current_certificate(audit)
        certificate_renew(certificate=certificate, decision=decision, user=user)
    elif decision.outcome == DecisionOutcome.MAINTAIN:
        maintained = _current_certificate(audit, required=False)
        if maintained is not None:
            _log(maintained, CertificateEventKind.MAINTAINED, user, decision.rationale)


@transaction.atomic
def decision_record(
    *,
    audit: Audit,
    user,
    outcome: str,
    rationale: str,
    decided_on: datetime.date | None = None,
    scope: str | None = None,
    site_scopes=None,
) -> Decision:
    """Record the decision; a grant issues the certificate, a renewal renews it.

    A grant's certificate carries `scope` (default: the audit's) and `site_scopes`, (site, scope)
    pairs each audited or covered by a valid sample (default: every such site).
    """
    require_can_decide(user)
    audit = _locked_for_decision(audit)
    today = timezone.localdate()
    _require_decidable(audit=audit, user=user, outcome=outcome, on=decided_on or today)
    certified_sites = _certified_sites(audit, site_scopes) if outcome == DecisionOutcome.GRANT else None
    rationale = _required_rationale(rationale)
    decided_on = _checked_decision_date(audit, decided_on=decided_on, today=today)
    decision = _decision_create(
        user=user,
        organization_id=audit.organization_id,
        target=f"audit {audit.pk}",
        audit=audit,
        outcome=outcome,
        rationale=rationale,
        decided_on=decided_on,
    )
    _carry_out(decision, user=user, scope=scope, certified_sites=certified_sites)
    return decision


def _decision_create(*, user, organization_id: int, target: str, **fields) -> Decision:
    """The decision row and its line in the security log: every decision is made here."""
    decision = Decision.objects.create(decided_by=user, **fields)
    record(
        SecurityEventKind.DECISION,
        actor=user,
        organization=organization_id,
        target=target.format(decision=decision),
        outcome=decision.outcome,
        decided_on=decision.decided_on,
    )
    return decision


@transaction.atomic
def decision_reconsider(
    *,
    previous: Decision,
    user,
    outcome: str,
    rationale: str,
    decided_on: datetime.date | None = None,
    scope: str | None = None,
) -> Decision:
    """Take a refusal again (after an upheld appeal, say): a new decision to grant or renew, on the
    refused decision's audit, naming the decision it supersedes, which is never edited.

    The rules of a decision hold as for decision_record (who may decide, the nonconformities, the
    sample, consultancy...), all but "already decided"; a grant issues the certificate.
    """
    require_can_decide(user)
    previous = Decision.objects.select_for_update().get(pk=previous.pk)
    if previous.outcome != DecisionOutcome.REFUSE:
        raise ConflictError(_("Only a refusal is taken again by a new decision to certify."))
    if previous.audit_id is None:
        raise ConflictError(_("A refused transfer is decided again on the transfer, not here."))
    if Decision.objects.filter(supersedes=previous).exists():
        raise ConflictError(_("This decision was already taken again."))
    if outcome not in CERTIFYING:
        raise DomainError(_("The new decision grants or renews the certification."), field="outcome")
    audit = _locked_for_decision(_decided_audit(previous))
    today = timezone.localdate()
    _require_decidable(audit=audit, user=user, outcome=outcome, on=decided_on or today, superseding=previous)
    certified_sites = _certified_sites(audit, None) if outcome == DecisionOutcome.GRANT else None
    rationale = _required_rationale(rationale)
    decided_on = _checked_decision_date(audit, decided_on=decided_on, today=today)
    if decided_on < previous.decided_on:
        raise DomainError(_("The new decision cannot come before the one it supersedes."), field="decided_on")
    decision = _decision_create(
        user=user,
        organization_id=audit.organization_id,
        target=f"audit {audit.pk}",
        audit=None,
        supersedes=previous,
        outcome=outcome,
        rationale=rationale,
        decided_on=decided_on,
    )
    _carry_out(decision, user=user, scope=scope, certified_sites=certified_sites)
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
    standards = list(certificate.standards.select_related("scheme").order_by("code"))
    return {
        "number": certificate.number,
        "entity_name": certificate.entity_name,
        "entity_address": certificate.entity_address,
        "scope": certificate.scope,
        "standards": [
            {"code": standard.code, "title": standard.title, "edition": standard.edition}
            for standard in standards
        ],
        # The mark and number the certificate bears: only for standards whose scheme is accredited.
        "accreditations": accreditations_of(standards),
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


def certificate_issue(*, decision: Decision, user, scope: str | None = None, site_scopes=None) -> Certificate:
    """The certificate a grant decision issues, with revision 1 and its PDF to come: the scope
    and (site, scope) pairs chosen at the decision, by default the audit's scope and every site
    the audit covers (decision_record checks the choice against the sample)."""
    require_can_change_certificates(user)
    audit = _decided_audit(decision)
    programme = audit.programme
    if programme is None:  # decision_record refuses such an audit before it comes here
        raise ConflictError(str(NO_PROGRAMME))
    organization = audit.organization
    scheme = primary_standard(audit).scheme
    dates = cycle_dates(decision_date=decision.decided_on, scheme=scheme)
    scope = (
        (scope or "").strip()
        or audit.scope
        or programme.audits.exclude(scope="").values_list("scope", flat=True).first()
        or ""
    )
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
    if site_scopes is None:
        site_scopes = [(site, site.activities) for site in sample_coverage(audit).certifiable]
    _set_sites(certificate, site_scopes)
    _new_revision(certificate, _("First issue"))
    _log(certificate, CertificateEventKind.ISSUED, user, decision.rationale)
    return certificate


def _decided_audit(decision: Decision) -> Audit:
    """The audit a decision rests on; a transfer's decision rests on none (certificate_issue_transferred)."""
    audit = decision.decided_audit
    if audit is None:
        raise ConflictError(_("This decision is on a transfer of certification, not on an audit."))
    return audit


# -- Transfer of certification from another body (IAF MD 2) -------------------------------------

TRANSFER_OUTCOMES = (DecisionOutcome.GRANT, DecisionOutcome.REFUSE)


@transaction.atomic
def transfer_decision_record(
    *, user, organization, outcome: str, rationale: str, decided_on: datetime.date | None = None
) -> Decision:
    """The decision on taking over a certificate issued by another body (IAF MD 2): grant or refuse.

    It rests on the pre-transfer review, not on an audit of ours, so it names no audit; the
    transfer links to it. Whether this person may decide on this transfer (not the reviewer, not
    on the visit's team) is the transfer's rule, checked by transfers.services before this.
    """
    require_can_decide(user)
    if outcome not in TRANSFER_OUTCOMES:
        raise DomainError(
            _("A transfer is granted or refused."),
            field="outcome",
        )
    rationale = _required_rationale(rationale)
    today = timezone.localdate()
    decided_on = decided_on or today
    if decided_on > today:
        raise DomainError(_("The decision date cannot be in the future."), field="decided_on")
    return _decision_create(
        user=user,
        organization_id=organization.pk,
        target="transfer decision {decision.pk}",
        audit=None,
        outcome=outcome,
        rationale=rationale,
        decided_on=decided_on,
    )


@transaction.atomic
def certificate_issue_transferred(
    *, decision: Decision, user, programme, scope: str, site_scopes, expiry_date: datetime.date
) -> Certificate:
    """Our own certificate for a client certified by another body, after our decision to grant the
    transfer (IAF MD 2): issued on the decision's date, for the programme's standards, and expiring
    when the current cycle ends, with the transferred certificate (`expiry_date`), not a fresh
    cycle from the decision."""
    require_can_change_certificates(user)
    if (
        decision.audit_id is not None
        or decision.supersedes_id is not None
        or decision.outcome != DecisionOutcome.GRANT
    ):
        raise ConflictError(_("Only a granted transfer issues a transferred certificate."))
    if expiry_date <= decision.decided_on:
        raise ConflictError(
            _("The certificate to transfer expired on %(date)s: there is no running cycle to take over.")
            % {"date": formats.date_format(expiry_date, "DATE_FORMAT")}
        )
    scope = (scope or "").strip()
    if not scope:
        raise DomainError(_("The certificate must state a scope."), field="scope")
    site_scopes = list(site_scopes)
    if not site_scopes:
        raise DomainError(_("A certificate covers at least one site."), field="sites")
    organization = programme.organization
    certificate = Certificate.objects.create(
        number=next_number(series=CERTIFICATE_SERIES, year=decision.decided_on.year),
        programme=programme,
        organization=organization,
        entity_name=organization.legal_name,
        entity_address=organization.full_address,
        scope=scope,
        original_issue_date=decision.decided_on,
        issue_date=decision.decided_on,
        expiry_date=expiry_date,
        decision=decision,
    )
    certificate.standards.set(programme.standards.all())
    _set_sites(certificate, site_scopes)
    _new_revision(certificate, _("First issue, on transfer from another certification body"))
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
