"""Closing an audit: the team's recommendation, the nonconformities it raises, the report it triggers.

Why an app of its own, above findings: findings depend on audits (a finding is recorded against an
audit's clause), and the closing and its report depend on both (closing locks the findings, raises
nonconformities from them and makes the report of the audit with its findings). Kept inside audits
they would make audits import findings and findings import audits; here the arrows point down only.

The lead auditor closes the audit. From then on its findings are locked (see
`findings.services.require_open_for_findings`), each current minor or major finding becomes a
numbered nonconformity with the scheme's deadlines, and the audit report PDF is made.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.models import Audit, AuditStatus, Recommendation
from audits.numbering import next_number
from audits.permissions import require_can_close
from core.errors import ConflictError, DomainError
from findings.models import NONCONFORMITY_GRADES, Finding, Grade, Nonconformity
from findings.ncr import nonconformity_issued
from reports.deliveries import report_pdf_queue
from reports.selectors import finding_order_key
from standards.models import CertificationScheme

NC_SERIES = "NC"


# -- Who and when -------------------------------------------------------------------------------


def require_closable(audit: Audit) -> None:
    if audit.status == AuditStatus.CLOSED:
        raise ConflictError(_("The audit is already closed."))
    if audit.status == AuditStatus.CANCELLED:
        raise ConflictError(_("The audit is cancelled."))
    if audit.status == AuditStatus.PLANNED:
        raise ConflictError(_("The plan must be confirmed before the audit can be closed."))


# -- Deadlines ----------------------------------------------------------------------------------


def _scheme_default(name: str) -> int:
    return CertificationScheme._meta.get_field(name).default


def nc_deadlines(
    *, grade: str, closed_on: datetime.date, scheme: CertificationScheme | None
) -> tuple[datetime.date, datetime.date | None]:
    """(answer due, closure due) for a nonconformity raised on `closed_on`, under the scheme's policy.

    A minor has no closure date: its accepted plan is verified at the next audit. A standard
    without a scheme gets the policy defaults rather than no deadline at all.
    """
    response_days = scheme.nc_response_days if scheme else _scheme_default("nc_response_days")
    close_days = scheme.major_nc_close_days if scheme else _scheme_default("major_nc_close_days")
    response_due = closed_on + datetime.timedelta(days=response_days)
    close_due = closed_on + datetime.timedelta(days=close_days) if grade == Grade.MAJOR else None
    return response_due, close_due


def _scheme_of(finding: Finding) -> CertificationScheme | None:
    try:
        return finding.clause.standard.scheme
    except CertificationScheme.DoesNotExist:
        return None


# -- Closing ------------------------------------------------------------------------------------


@transaction.atomic
def audit_close(
    *, audit: Audit, user, recommendation: str, conclusion: str = "", plan_deviations: str = ""
) -> Audit:
    """Close the audit with the team's recommendation and raise a nonconformity per minor/major finding."""
    # Locked so no finding is recorded, and no second close runs, between reading and closing.
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    require_can_close(user, audit)
    require_closable(audit)
    if recommendation not in Recommendation.values:
        raise DomainError(_("Choose the team's recommendation."), field="recommendation")
    findings = Finding.objects.current().filter(audit=audit, grade__in=NONCONFORMITY_GRADES)
    findings = sorted(findings.select_related("clause__standard__scheme", "site"), key=finding_order_key)
    if recommendation == Recommendation.CERTIFY and any(finding.grade == Grade.MAJOR for finding in findings):
        raise DomainError(
            _(
                "A major nonconformity was found: recommend certification once the majors are closed, "
                "or do not certify."
            ),
            field="recommendation",
        )

    audit.status = AuditStatus.CLOSED
    audit.closed_at = timezone.now()
    audit.closed_by = user
    audit.recommendation = recommendation
    audit.conclusion = conclusion.strip()
    audit.plan_deviations = plan_deviations.strip()
    audit.save(
        update_fields=[
            "status",
            "closed_at",
            "closed_by",
            "recommendation",
            "conclusion",
            "plan_deviations",
            "updated_at",
        ]
    )
    closed_on = timezone.localdate(audit.closed_at)
    for finding in findings:
        response_due, close_due = nc_deadlines(
            grade=finding.grade, closed_on=closed_on, scheme=_scheme_of(finding)
        )
        nonconformity = Nonconformity.objects.create(
            number=next_number(series=NC_SERIES, year=closed_on.year),
            finding=finding,
            audit=audit,
            grade=finding.grade,
            response_due=response_due,
            close_due=close_due,
        )
        nonconformity_issued(nonconformity=nonconformity, user=user)

    # The audit is closed once committed; the report follows through the outbox, and a report
    # that fails is kept there as failed, shown on the audit's page with a retry for staff.
    report_pdf_queue(audit=audit)
    return audit
