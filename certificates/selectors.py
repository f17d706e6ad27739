"""Reads of decisions and certificates."""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from accounts.roles import is_staff_member
from audits import sampling
from audits.cycle import add_months
from audits.models import Audit, AuditStatus, AuditType, TeamMember
from audits.services import primary_standard
from certificates.models import Certificate, CertificateStatus
from clients.selectors import membership_of
from core.errors import DomainError
from findings.models import Finding, Nonconformity
from reports.selectors import planned_clauses
from standards.models import CertificationScheme, Clause


def certificates_for_user(user):
    """Staff all; a client's users their organisation's; everyone else none (404)."""
    if is_staff_member(user):
        return Certificate.objects.all()
    membership = membership_of(user)
    if membership is not None:
        return Certificate.objects.filter(organization_id=membership.organization_id)
    return Certificate.objects.none()


def decision_audits(audit: Audit) -> QuerySet[Audit]:
    """The audits a decision on this audit rests on: stage 1 and stage 2 for the initial
    certification, else the audit itself (the recertification audit for a renewal)."""
    if audit.audit_type == AuditType.STAGE2 and audit.programme_id:
        return Audit.objects.filter(
            programme_id=audit.programme_id, audit_type__in=[AuditType.STAGE1, AuditType.STAGE2]
        ).order_by("id")
    return Audit.objects.filter(pk=audit.pk)


@dataclass(frozen=True)
class SampleCoverage:
    """The sites of the audit a decision follows: in scope, in the sample, audited, certifiable.

    A site is audited when the audit recorded a finding there (as the report counts it). The
    sample is valid (IAF MD 1) when every sampled site was audited and the audited sites besides
    the central function are at least the sample size; then it covers every site the client had
    when the audit closed, and a certificate may carry them; else only the audited sites.
    """

    in_scope: list
    sampled: list
    audited: list
    not_audited: list
    sample_valid: bool
    certifiable: list


def sample_coverage(audit: Audit) -> SampleCoverage:
    sites = list(audit.organization.sites.order_by("-is_central_function", "name", "id"))
    sampled_ids = set(audit.sites.values_list("pk", flat=True))
    audited_ids = set(
        Finding.objects.current().filter(audit=audit, site__isnull=False).values_list("site_id", flat=True)
    )
    sampled = [site for site in sites if site.pk in sampled_ids]
    audited = [site for site in sites if site.pk in audited_ids]
    not_audited = [site for site in sampled if site.pk not in audited_ids]
    # A site added after the audit was closed was not in the population the sample was drawn from.
    existing = [site for site in sites if audit.closed_at is None or site.created_at <= audit.closed_at]
    sample_valid = False
    if sampled and not not_audited and audit.audit_type in sampling.AUDIT_TYPE_RULES:
        try:
            scheme = primary_standard(audit).scheme
            needed = sampling.sample_size(
                non_central_sites=sum(1 for site in existing if not site.is_central_function),
                audit_type=audit.audit_type,
                sampling_allowed=scheme.multi_site_sampling_allowed,
            )
        except (DomainError, CertificationScheme.DoesNotExist):
            needed = None
        audited_others = sum(1 for site in audited if not site.is_central_function)
        central_audited = all(site.pk in audited_ids for site in existing if site.is_central_function)
        sample_valid = needed is not None and central_audited and audited_others >= needed
    certifiable = existing if sample_valid else audited
    return SampleCoverage(
        in_scope=sites,
        sampled=sampled,
        audited=audited,
        not_audited=not_audited,
        sample_valid=sample_valid,
        certifiable=certifiable,
    )


def decisions_waiting() -> QuerySet[Audit]:
    """Closed audits that lead to a decision and have none yet (staff's home page)."""
    return (
        Audit.objects.filter(
            status=AuditStatus.CLOSED,
            audit_type__in=["stage2", "surveillance", "special", "recertification"],
            decision__isnull=True,
        )
        .select_related("organization")
        .prefetch_related("standards", "sites")
        .order_by("closed_at", "id")
    )


def certificates_expiring(today: datetime.date, *, days: int = 120):
    """Active certificates expiring within `days`: their recertification must be done before."""
    return Certificate.objects.filter(
        status=CertificateStatus.ACTIVE, expiry_date__lte=today + datetime.timedelta(days=days)
    ).order_by("expiry_date", "number")


# Staff see a certificate expiring within this many months that has no recertification planned.
RECERTIFICATION_WARNING_MONTHS = 6


def certificates_expiring_unplanned(
    today: datetime.date, *, months: int = RECERTIFICATION_WARNING_MONTHS
) -> QuerySet[Certificate]:
    """Active or suspended certificates expiring within `months` whose programme has no
    recertification audit with dates (held or planned) since the certificate was issued."""
    planned = Audit.objects.filter(
        programme_id=OuterRef("programme_id"),
        audit_type=AuditType.RECERTIFICATION,
        start_date__isnull=False,
        start_date__gte=OuterRef("issue_date"),
    ).exclude(status=AuditStatus.CANCELLED)
    return (
        Certificate.objects.filter(
            status__in=[CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED],
            expiry_date__lte=add_months(today, months),
        )
        .filter(~Exists(planned))
        .select_related("organization")
        .order_by("expiry_date", "number")
    )


def current_certificates_for_user(user) -> QuerySet[Certificate]:
    """The certificates the user sees that are not withdrawn or expired, soonest expiry first."""
    return (
        certificates_for_user(user)
        .filter(status__in=[CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED])
        .order_by("expiry_date", "number")
    )


@dataclass(frozen=True)
class ClauseCoverage:
    clause: Clause
    planned: bool
    findings: int


@dataclass(frozen=True)
class DecisionReview:
    """What staff review before a decision (17021-1 9.5.2): the audits it rests on with the
    team's recommendation and conclusion, every nonconformity, the sites, and the clauses."""

    audits: list
    nonconformities: list
    coverage: SampleCoverage
    clauses: list[ClauseCoverage]


def decision_review(audit: Audit) -> DecisionReview:
    basis = list(
        decision_audits(audit).prefetch_related(
            Prefetch("team", queryset=TeamMember.objects.select_related("user").order_by("role", "id"))
        )
    )
    nonconformities = list(
        Nonconformity.objects.filter(audit__in=[item.pk for item in basis])
        .select_related("audit", "finding__clause__standard", "finding__site")
        .order_by("number")
    )
    planned = {clause.pk: clause for clause in planned_clauses(audit)}
    found: Counter[int] = Counter()
    clauses = dict(planned)
    for finding in Finding.objects.current().filter(audit=audit).select_related("clause__standard"):
        found[finding.clause_id] += 1
        clauses.setdefault(finding.clause_id, finding.clause)
    ordered = sorted(clauses.values(), key=lambda clause: (clause.standard.code, clause.order, clause.number))
    return DecisionReview(
        audits=basis,
        nonconformities=nonconformities,
        coverage=sample_coverage(audit),
        clauses=[ClauseCoverage(clause, clause.pk in planned, found[clause.pk]) for clause in ordered],
    )
