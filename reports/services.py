"""Closing an audit: the team's recommendation, the nonconformities it raises, the report it triggers.

Why an app of its own, above findings: findings depend on audits (a finding is recorded against an
audit's clause), and the closing and its report depend on both (closing locks the findings, raises
nonconformities from them and makes the report of the audit with its findings). Kept inside audits
they would make audits import findings and findings import audits; here the arrows point down only.

The lead auditor closes the audit. From then on its findings are locked (see
`findings.services.require_open_for_findings`), each current minor or major finding becomes a
numbered nonconformity with the scheme's deadlines, and the audit report PDF is made.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.models import Audit, AuditMode, AuditStatus, Recommendation
from audits.numbering import next_number
from audits.permissions import require_can_close
from core.errors import ConflictError, DomainError
from findings.deadlines import nc_deadlines
from findings.models import NONCONFORMITY_GRADES, Finding, Grade, Nonconformity
from findings.ncr import nonconformity_issued
from reports.deliveries import report_pdf_queue
from reports.models import Conformity, Effectiveness, SystemStatement
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


def _scheme_of(finding: Finding) -> CertificationScheme | None:
    try:
        return finding.clause.standard.scheme
    except CertificationScheme.DoesNotExist:
        return None


# -- The statement on the management system ---------------------------------------------------------


@dataclass(frozen=True)
class StatementInput:
    """The team's statement on one standard: conformity, effectiveness and a comment."""

    standard_id: int
    conformity: str
    effectiveness: str
    comment: str = ""


def _statements_checked(
    audit: Audit, statements: Sequence[StatementInput], *, findings, recommendation: str
) -> list[StatementInput]:
    """The statements, refused when they name another standard, lack a choice or contradict the audit.

    They cover every standard of the audit: a report states each one (17021-1 9.4.8.2).
    """
    standards = {standard.pk: standard for standard in audit.standards.all()}
    seen: set[int] = set()
    for statement in statements:
        standard = standards.get(statement.standard_id)
        if standard is None:
            raise DomainError(
                _("A statement names a standard this audit is not against."), field="statements"
            )
        if statement.standard_id in seen:
            raise DomainError(
                _("%(standard)s has two statements; give one.") % {"standard": standard.code},
                field="statements",
            )
        seen.add(statement.standard_id)
        if (
            statement.conformity not in Conformity.values
            or statement.effectiveness not in Effectiveness.values
        ):
            raise DomainError(
                _("Say whether the management system conforms to %(standard)s and whether it is effective.")
                % {"standard": standard.code},
                field="statements",
            )
        found = {finding.grade for finding in findings if finding.clause.standard_id == statement.standard_id}
        if statement.conformity == Conformity.CONFORMING and found:
            raise DomainError(
                _(
                    "Nonconformities were found against %(standard)s: the system conforms with "
                    "nonconformities to correct, or does not conform."
                )
                % {"standard": standard.code},
                field="statements",
            )
        if recommendation == Recommendation.CERTIFY and (
            statement.conformity == Conformity.NOT_CONFORMING
            or statement.effectiveness == Effectiveness.NOT_EFFECTIVE
        ):
            raise DomainError(
                _(
                    "The team states that the system does not conform to %(standard)s or is not effective: "
                    "it cannot recommend certification."
                )
                % {"standard": standard.code},
                field="recommendation",
            )
    missing = [standard.code for pk, standard in standards.items() if pk not in seen]
    if missing:
        raise DomainError(
            _("State whether the management system conforms to %(standards)s and whether it is effective.")
            % {"standards": ", ".join(sorted(missing))},
            field="statements",
        )
    return list(statements)


# -- Closing ------------------------------------------------------------------------------------


@transaction.atomic
def audit_close(
    *,
    audit: Audit,
    user,
    recommendation: str,
    conclusion: str = "",
    plan_deviations: str = "",
    statements: Sequence[StatementInput] = (),
    unresolved_issues: str = "",
    significant_changes: str = "",
    ict_effectiveness: str = "",
) -> Audit:
    """Close the audit with the team's recommendation and raise a nonconformity per minor/major finding.

    The report's statements are kept with it: per standard, whether the management system conforms
    and is effective (`statements`), the unresolved issues, the significant changes since the last
    audit and, for a remote or hybrid audit, how effective the ICT was.
    """
    # Locked so no finding is recorded, and no second close runs, between reading and closing.
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    require_can_close(user, audit)
    require_closable(audit)
    findings = _nonconformity_findings_checked(audit, recommendation=recommendation)
    statements = _statements_checked(audit, statements, findings=findings, recommendation=recommendation)
    _ict_effectiveness_check(audit, ict_effectiveness)

    _audit_closed_save(
        audit,
        user=user,
        recommendation=recommendation,
        conclusion=conclusion,
        plan_deviations=plan_deviations,
        unresolved_issues=unresolved_issues,
        significant_changes=significant_changes,
        ict_effectiveness=ict_effectiveness,
    )
    _statements_create(audit, statements)
    _nonconformities_issue(audit, findings=findings, user=user)

    # The audit is closed once committed; the report follows through the outbox, and a report
    # that fails is kept there as failed, shown on the audit's page with a retry for staff.
    report_pdf_queue(audit=audit)
    return audit


def _ict_effectiveness_check(audit: Audit, ict_effectiveness: str) -> None:
    """A remote or hybrid audit's report says how effective the ICT was (IAF MD 4); an on-site one
    has none to report on."""
    if audit.mode == AuditMode.ON_SITE:
        if ict_effectiveness.strip():
            raise DomainError(
                _("The audit was held on site: there is no ICT to report on."), field="ict_effectiveness"
            )
    elif not ict_effectiveness.strip():
        raise DomainError(
            _("Say how effective the ICT was: the report of a remote or hybrid audit states it (IAF MD 4)."),
            field="ict_effectiveness",
        )


def _nonconformity_findings_checked(audit: Audit, *, recommendation: str) -> list[Finding]:
    """The audit's current minor/major findings in report order, once the recommendation fits them.

    Raises DomainError for an unknown recommendation, and for certification despite a major.
    """
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
    return findings


def _audit_closed_save(
    audit: Audit,
    *,
    user,
    recommendation: str,
    conclusion: str,
    plan_deviations: str,
    unresolved_issues: str,
    significant_changes: str,
    ict_effectiveness: str,
) -> None:
    """Mark the audit closed by `user` now, with the recommendation and the report's stripped texts."""
    audit.status = AuditStatus.CLOSED
    audit.closed_at = timezone.now()
    audit.closed_by = user
    audit.recommendation = recommendation
    audit.conclusion = conclusion.strip()
    audit.plan_deviations = plan_deviations.strip()
    audit.unresolved_issues = unresolved_issues.strip()
    audit.significant_changes = significant_changes.strip()
    audit.ict_effectiveness = ict_effectiveness.strip()
    audit.save(
        update_fields=[
            "status",
            "closed_at",
            "closed_by",
            "recommendation",
            "conclusion",
            "plan_deviations",
            "unresolved_issues",
            "significant_changes",
            "ict_effectiveness",
            "updated_at",
        ]
    )


def _statements_create(audit: Audit, statements: Sequence[StatementInput]) -> None:
    """Keep the report's per-standard conformity and effectiveness statements, in one query."""
    SystemStatement.objects.bulk_create(
        SystemStatement(
            audit=audit,
            standard_id=statement.standard_id,
            conformity=statement.conformity,
            effectiveness=statement.effectiveness,
            comment=statement.comment.strip(),
        )
        for statement in statements
    )


def _nonconformities_issue(audit: Audit, *, findings: list[Finding], user) -> None:
    """Raise a numbered nonconformity per finding, due as its grade and scheme say from the close date."""
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
