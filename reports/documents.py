"""The audit report PDF (ISO/IEC 17021-1 9.4.8): made when the lead auditor closes the audit.

As with the plan (audits/documents.py): `report_data` reads everything in a fixed number of
queries into plain values, `report_pdf_render` turns them into bytes, and `report_document_create`
stores the PDF with the template version and the digest of the data, so an unchanged report is
never stored twice.
"""

import logging
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from reportlab.platypus import KeepTogether, Spacer

from audits.documents import calculation_in_language, document_store, standard_values, team_values
from audits.models import (
    Audit,
    AuditDay,
    AuditDocument,
    AuditMode,
    AuditStatus,
    DocumentKind,
    IctCheck,
    TeamMember,
)
from core import pdf
from core.errors import ConflictError
from core.pdf import clause_label, format_date, format_dates, format_days, person_name, standard_line
from findings.models import Evidence, Finding, Nonconformity, Visibility, grade_words
from reports.models import SystemStatement
from reports.selectors import finding_order_key, plan_gaps, planned_clauses

logger = logging.getLogger(__name__)

REPORT_TEMPLATE_VERSION = "report-2"


def _report_audit(audit: Audit) -> Audit:
    """The audit with its standards, sites, team and days, in a fixed number of queries."""
    return (
        Audit.objects.select_related("organization", "programme", "closed_by", "ict_check")
        .prefetch_related(
            "standards",
            "sites",
            Prefetch("team", queryset=TeamMember.objects.select_related("user")),
            Prefetch("days", queryset=AuditDay.objects.select_related("site").order_by("date", "site__name")),
            Prefetch("system_statements", queryset=SystemStatement.objects.select_related("standard")),
        )
        .get(pk=audit.pk)
    )


def _findings(audit: Audit) -> list[Finding]:
    # Only the columns the report shows (and `finding_order_key` sorts by): an audit's findings
    # number in the hundreds, and every other column costs a conversion on each row.
    attachments = (
        Evidence.objects.current()
        .only("finding", "original_name", "description", "visibility", "uploaded_at")
        .order_by("uploaded_at", "id")
    )
    findings = (
        Finding.objects.current()
        .filter(audit=audit)
        .select_related("clause__standard", "site", "nonconformity")
        .only(
            "clause",
            "site",
            "grade",
            "statement",
            "evidence",
            "interviewee_role",
            "recorded_at",
            "clause__standard__code",
            "clause__number",
            "clause__title",
            "clause__order",
            "site__name",
            "nonconformity__number",
            "nonconformity__grade",
            "nonconformity__response_due",
            "nonconformity__close_due",
        )
        .prefetch_related(Prefetch("attachments", queryset=attachments, to_attr="current_attachments"))
    )
    return sorted(findings, key=finding_order_key)


def _earlier_nonconformities(audit: Audit) -> list[Nonconformity]:
    """Nonconformities of the programme's audits closed before this one, for their follow-up."""
    if audit.programme_id is None:
        return []
    earlier = Nonconformity.objects.filter(audit__programme_id=audit.programme_id).exclude(audit=audit)
    if audit.closed_at is not None:
        # A report made again later still shows only what came before this audit.
        earlier = earlier.filter(audit__closed_at__lt=audit.closed_at)
    return list(
        earlier.select_related("audit", "finding__clause", "finding__site").order_by(
            "audit__closed_at", "number"
        )
    )


def report_data(audit: Audit) -> dict:
    """Everything the report shows, as plain values: rendered, and hashed to spot an unchanged report."""
    audit = _report_audit(audit)
    organization = audit.organization
    calculation = calculation_in_language(audit.time_calculation)
    reasons = {row.get("id"): row.get("reason", "") for row in calculation.get("selected_sites", [])}
    sites = sorted(audit.sites.all(), key=lambda site: (not site.is_central_function, site.name))
    findings = _findings(audit)
    unaudited_clauses, unaudited_sites = plan_gaps(
        planned_clauses=planned_clauses(audit), sites=sites, findings=findings
    )
    several_standards = len(audit.standards.all()) > 1
    nonconformities = sorted(
        (finding for finding in findings if hasattr(finding, "nonconformity")),
        key=lambda finding: finding.nonconformity.number,
    )
    # Translated once per grade, not once per finding.
    grade_labels = {grade: grade_words(grade) for grade in {finding.grade for finding in findings}}
    return {
        # The wording depends on the language, so a report in another language is another document.
        "language_code": get_language(),
        "certification_body": settings.CERTIFICATION_BODY_NAME,
        "audit": _audit_values(audit),
        "client": {
            "name": organization.legal_name,
            "org_number": organization.org_number,
            "address": organization.full_address,
        },
        "standards": standard_values(audit),
        "team": team_values(audit),
        "sites": [
            {"name": site.name, "city": site.city, "reason": reasons.get(site.pk, "")} for site in sites
        ],
        "days": [
            {"date": day.date, "site": day.site.name, "city": day.site.city} for day in audit.days.all()
        ],
        "sampling_seed": audit.sampling_seed,
        "justification": [str(line) for line in calculation.get("justification", [])],
        "findings": [
            _finding_values(finding, grade_label=grade_labels[finding.grade], standard=several_standards)
            for finding in findings
        ],
        "nonconformities": [_nonconformity_values(finding) for finding in nonconformities],
        "unaudited_clauses": [clause_label(clause) for clause in unaudited_clauses],
        "unaudited_sites": [site.name for site in unaudited_sites],
        "earlier_nonconformities": [
            _earlier_nonconformity_values(nonconformity) for nonconformity in _earlier_nonconformities(audit)
        ],
        "statements": _statement_values(audit),
        "ict": _ict_values(audit),
    }


def _statement_values(audit: Audit) -> list[dict]:
    """Per standard of the audit, the team's statement on the system, or None when none was made."""
    statements = {statement.standard_id: statement for statement in audit.system_statements.all()}
    rows = []
    for standard in sorted(audit.standards.all(), key=lambda standard: standard.code):
        statement = statements.get(standard.pk)
        rows.append(
            {
                "standard": standard.code,
                "conformity_label": str(statement.get_conformity_display()) if statement else "",
                "effectiveness_label": str(statement.get_effectiveness_display()) if statement else "",
                "comment": statement.comment if statement else "",
            }
        )
    return rows


def _ict_values(audit: Audit) -> dict | None:
    """For a remote or hybrid audit: the ICT used (from its check) and how effective it was."""
    if audit.mode == AuditMode.ON_SITE:
        return None
    try:
        check = audit.ict_check
    except IctCheck.DoesNotExist:
        check = None
    return {
        "tools": check.tools if check else "",
        "limitations": check.limitations if check else "",
        "remote_percent": check.remote_percent if check else None,
        "effectiveness": audit.ict_effectiveness,
    }


def _audit_values(audit: Audit) -> dict:
    return {
        "id": audit.pk,
        "label": audit.label,
        "mode_label": str(audit.get_mode_display()),
        "start_date": audit.start_date,
        "end_date": audit.end_date,
        "language": audit.language,
        "objectives": audit.objectives,
        "scope": audit.scope,
        "criteria": audit.criteria,
        "planned_days": audit.planned_days,
        "closed_on": timezone.localdate(audit.closed_at) if audit.closed_at else None,
        "closed_by": person_name(audit.closed_by),
        "recommendation": audit.recommendation,
        "recommendation_label": str(audit.get_recommendation_display()) if audit.recommendation else "",
        "conclusion": audit.conclusion,
        "plan_deviations": audit.plan_deviations,
        "unresolved_issues": audit.unresolved_issues,
        "significant_changes": audit.significant_changes,
    }


def _finding_values(finding, *, grade_label: str, standard: bool) -> dict:
    """One finding; `standard`: name the clause's standard (the audit has several)."""
    return {
        "clause": finding.clause.number,
        "clause_title": finding.clause.title,
        "standard": finding.clause.standard.code if standard else "",
        "site": finding.site.name if finding.site_id else "",
        "grade": finding.grade,
        "grade_label": grade_label,
        "statement": finding.statement,
        "evidence": finding.evidence,
        "interviewee_role": finding.interviewee_role,
        "nonconformity": finding.nonconformity.number if hasattr(finding, "nonconformity") else "",
        # The report goes to the client: files kept for the team are counted, not named.
        "files": [
            {"name": item.original_name, "description": item.description}
            for item in finding.current_attachments
            if item.visibility == Visibility.CLIENT
        ],
        "team_files": sum(1 for item in finding.current_attachments if item.visibility != Visibility.CLIENT),
    }


def _nonconformity_values(finding) -> dict:
    """The nonconformity this audit raised from `finding`."""
    return {
        "number": finding.nonconformity.number,
        "clause": clause_label(finding.clause),
        "site": finding.site.name if finding.site_id else "",
        "grade_label": grade_words(finding.nonconformity.grade),
        "response_due": finding.nonconformity.response_due,
        "close_due": finding.nonconformity.close_due,
    }


def _earlier_nonconformity_values(nonconformity) -> dict:
    return {
        "number": nonconformity.number,
        "audit": nonconformity.audit.label,
        "clause": clause_label(nonconformity.finding.clause),
        "site": nonconformity.finding.site.name if nonconformity.finding.site_id else "",
        "grade_label": grade_words(nonconformity.grade),
        "status_label": str(nonconformity.get_status_display()),
    }


# -- Rendering ----------------------------------------------------------------------------------


def _finding_table(finding: dict):
    rows = [
        (_("Site"), finding["site"] or _("Not tied to one site")),
        (_("Grade"), finding["grade_label"]),
    ]
    if finding["nonconformity"]:
        rows.append((_("Nonconformity"), finding["nonconformity"]))
    rows += [
        (_("Statement"), finding["statement"] or "–"),
        (_("Objective evidence"), finding["evidence"] or "–"),
    ]
    if finding["interviewee_role"]:
        rows.append((_("Interviewee's role"), finding["interviewee_role"]))
    files = [
        f"{item['name']} – {item['description']}" if item["description"] else item["name"]
        for item in finding["files"]
    ]
    if finding["team_files"]:
        files.append(
            ngettext(
                "%(count)s further file is kept by the audit team.",
                "%(count)s further files are kept by the audit team.",
                finding["team_files"],
            )
            % {"count": finding["team_files"]}
        )
    if files:
        rows.append((_("Evidence files"), pdf.bullets(files)))
    return pdf.summary_table(rows)


def _findings_story(data: dict) -> list:
    story = [pdf.para(_("Findings by clause"), "h2")]
    if not data["findings"]:
        return [*story, pdf.para(_("No findings were recorded."))]
    by_clause = groupby(
        data["findings"],
        key=lambda finding: (finding["standard"], finding["clause"], finding["clause_title"]),
    )
    for (standard, number, title), group in by_clause:
        heading = f"{number} {title}" + (f" ({standard})" if standard else "")
        tables = [_finding_table(finding) for finding in group]
        # A clause's heading never ends a page alone.
        story.append(KeepTogether([pdf.para(heading, "h3"), tables[0]]))
        for table in tables[1:]:
            story += [Spacer(1, 8), table]
    return story


def _summary_story(data: dict) -> list:
    """The title, the summary table, the objectives, scope and criteria."""
    audit = data["audit"]
    client = data["client"]
    standards = [standard_line(standard) for standard in data["standards"]]
    story = [
        pdf.para(_("Audit report"), "title"),
        pdf.para(f"{audit['label']} – {client['name']}", "subtitle"),
        pdf.summary_table(
            [
                (
                    _("Client"),
                    "\n".join(filter(None, [client["name"], client["org_number"], client["address"]])),
                ),
                (_("Audit type"), audit["label"]),
                (_("Mode"), audit["mode_label"]),
                (_("Dates"), format_dates(audit["start_date"], audit["end_date"])),
                (_("Audit days"), format_days(audit["planned_days"])),
                (_("Standards"), "\n".join(standards) or "–"),
                (_("Audit language"), audit["language"] or "–"),
                (_("Closed"), format_date(audit["closed_on"])),
                (_("Closed by"), audit["closed_by"] or "–"),
                (_("Team's recommendation"), audit["recommendation_label"] or "–"),
            ]
        ),
    ]
    for heading, text in ((_("Objectives"), audit["objectives"]), (_("Scope"), audit["scope"])):
        story += [pdf.para(heading, "h2"), *pdf.paragraphs(text or _("Not recorded."))]
    story.append(pdf.para(_("Criteria"), "h2"))
    story += pdf.bullets(standards or [_("Not recorded.")])
    if audit["criteria"]:
        story += pdf.paragraphs(audit["criteria"])
    return story


def _team_and_sites_story(data: dict) -> list:
    """The team, the days and sites, and the sites in the sample."""
    story = []
    story.append(pdf.para(_("Audit team"), "h2"))
    story.append(
        pdf.data_table(
            [_("Name"), _("Role")],
            [[member["name"], member["role"]] for member in data["team"]] or [[_("Not recorded."), ""]],
            widths=[0.55, 0.45],
        )
    )
    story.append(pdf.para(_("Dates and sites"), "h2"))
    story.append(
        pdf.data_table(
            [_("Date"), _("Site"), _("City")],
            [[format_date(day["date"]), day["site"], day["city"]] for day in data["days"]]
            or [[_("No days planned."), "", ""]],
            widths=[0.25, 0.45, 0.30],
        )
    )
    story.append(Spacer(1, 8))
    story.append(
        pdf.data_table(
            [_("Site in the sample"), _("City"), _("Why it was visited")],
            [[site["name"], site["city"], site["reason"]] for site in data["sites"]]
            or [[_("No sites chosen."), "", ""]],
            widths=[0.35, 0.25, 0.40],
        )
    )
    return story


def _sampling_story(data: dict) -> list:
    """How the sample and the audit time were found."""
    story = []
    story.append(pdf.para(_("Sampling and audit time"), "h2"))
    story += pdf.bullets(data["justification"] or [_("The audit time was not computed.")])
    if data["sampling_seed"] is not None:
        story.append(
            pdf.para(
                _("The random part of the site sample can be reproduced from seed %(seed)s.")
                % {"seed": data["sampling_seed"]},
                "small",
            )
        )
    return story


def _nonconformities_story(data: dict) -> list:
    """The nonconformities raised, with what the client must do."""
    story = []
    story.append(pdf.para(_("Nonconformities"), "h2"))
    if data["nonconformities"]:
        story.append(
            pdf.data_table(
                [_("Number"), _("Clause"), _("Site"), _("Grade"), _("Answer due"), _("To be closed by")],
                [
                    [
                        row["number"],
                        row["clause"],
                        row["site"] or "–",
                        row["grade_label"],
                        format_date(row["response_due"]),
                        format_date(row["close_due"]) if row["close_due"] else _("At the next audit"),
                    ]
                    for row in data["nonconformities"]
                ],
                widths=[0.15, 0.25, 0.14, 0.16, 0.14, 0.16],
            )
        )
        story.append(
            pdf.para(
                _(
                    "Answer each nonconformity by its due date with the correction, the root cause and the "
                    "corrective action planned. A major nonconformity must be verified closed by the date "
                    "given, and before any certification decision; a minor's plan is verified at the next "
                    "audit."
                ),
                "small",
            )
        )
    else:
        story.append(pdf.para(_("None: no nonconformity was found.")))
    return story


def _conclusion_story(data: dict) -> list:
    """The team's conclusions and recommendation."""
    story = []
    audit = data["audit"]
    story += [
        pdf.para(_("Conclusions and recommendation"), "h2"),
        *pdf.paragraphs(audit["conclusion"] or _("No conclusion recorded.")),
        pdf.para(
            _("The audit team recommends: %(recommendation)s.")
            % {"recommendation": audit["recommendation_label"] or _("not yet given")}
        ),
    ]
    return story


def _system_story(data: dict) -> list:
    """Per standard, whether the management system conforms and is effective; what is unresolved
    and what changed since the last audit (17021-1 9.4.8)."""
    audit = data["audit"]
    not_stated = _("Not stated")
    story = [
        pdf.para(_("Conformity and effectiveness of the management system"), "h2"),
        pdf.data_table(
            [_("Standard"), _("Conformity"), _("Effectiveness"), _("Comment")],
            [
                [
                    row["standard"],
                    row["conformity_label"] or not_stated,
                    row["effectiveness_label"] or not_stated,
                    row["comment"] or "–",
                ]
                for row in data["statements"]
            ]
            or [[_("Not recorded."), "", "", ""]],
            widths=[0.22, 0.24, 0.16, 0.38],
        ),
        pdf.para(_("Unresolved issues"), "h2"),
        *pdf.paragraphs(
            audit["unresolved_issues"]
            or _("None: no issue between the team and the client was left unresolved.")
        ),
        pdf.para(_("Significant changes since the last audit"), "h2"),
        *pdf.paragraphs(audit["significant_changes"] or _("None reported.")),
    ]
    return story


def _ict_story(data: dict) -> list:
    """For a remote or hybrid audit (IAF MD 4): the ICT used and how effective it was."""
    ict = data["ict"]
    if ict is None:
        return []
    rows = [
        (_("ICT used"), ict["tools"] or _("Not recorded.")),
        (_("What could not be seen remotely"), ict["limitations"] or "–"),
    ]
    if ict["remote_percent"] is not None:
        rows.append((_("Share of audit time held remotely"), f"{ict['remote_percent']} %"))
    rows.append((_("How effective the ICT was"), ict["effectiveness"] or _("Not recorded.")))
    return [pdf.para(_("Remote auditing (ICT)"), "h2"), pdf.summary_table(rows)]


def _deviations_story(data: dict) -> list:
    """Deviations from the plan: those recorded and the planned clauses and sites with no finding."""
    story = []
    audit = data["audit"]
    story.append(pdf.para(_("Deviations from the plan"), "h2"))
    deviations = []
    if audit["plan_deviations"]:
        story += pdf.paragraphs(audit["plan_deviations"])
    deviations += [
        _("Clause %(clause)s was planned but has no finding.") % {"clause": clause}
        for clause in data["unaudited_clauses"]
    ]
    deviations += [
        _("Site %(site)s is in the sample but has no finding.") % {"site": site}
        for site in data["unaudited_sites"]
    ]
    if deviations:
        story += pdf.bullets(deviations)
    elif not audit["plan_deviations"]:
        story.append(pdf.para(_("None: the audit followed the plan.")))
    return story


def _follow_up_story(data: dict) -> list:
    """The follow-up of earlier nonconformities of the programme."""
    story = []
    story.append(pdf.para(_("Follow-up of earlier nonconformities"), "h2"))
    if data["earlier_nonconformities"]:
        story.append(
            pdf.data_table(
                [_("Number"), _("Audit"), _("Clause"), _("Site"), _("Grade"), _("Status")],
                [
                    [
                        row["number"],
                        row["audit"],
                        row["clause"],
                        row["site"] or "–",
                        row["grade_label"],
                        row["status_label"],
                    ]
                    for row in data["earlier_nonconformities"]
                ],
                widths=[0.15, 0.16, 0.22, 0.13, 0.16, 0.18],
            )
        )
    else:
        story.append(pdf.para(_("None")))
    return story


def _render_report(data: dict) -> bytes:
    audit = data["audit"]
    client = data["client"]
    story = [
        *_summary_story(data),
        *_team_and_sites_story(data),
        *_sampling_story(data),
        *_findings_story(data),
        *_nonconformities_story(data),
        *_conclusion_story(data),
        *_system_story(data),
        *_deviations_story(data),
        *_ict_story(data),
        *_follow_up_story(data),
    ]
    # Fixed text (17021-1 9.4.8): what an audit can and cannot show.
    story += [
        pdf.para(_("An audit is based on sampling"), "h2"),
        pdf.para(
            _(
                "The audit examined a sample of the organisation's activities, processes, records and sites "
                "within the time available. Nonconformities may therefore exist that were not found, and "
                "the findings above do not show that everything not sampled conforms."
            )
        ),
    ]
    story.append(
        pdf.para(
            _(
                "%(body)s keeps confidential all information about your organisation obtained during the "
                "audit. The certification decision is made by the certification body, by someone who was "
                "not on the audit team."
            )
            % {"body": data["certification_body"]},
            "small",
        )
    )
    return pdf.build_pdf(story, title=_("Audit report"), subject=f"{audit['label']} – {client['name']}")


def report_pdf_render(*, audit: Audit) -> bytes:
    """The audit report as PDF bytes, in the active language. Reads the database; writes nothing."""
    return _render_report(report_data(audit))


@transaction.atomic
def report_document_create(*, audit: Audit) -> AuditDocument:
    """Store the closed audit's report as a PDF; when nothing changed since the last one, return that one."""
    # One generation at a time per audit, so two workers cannot both store the same report.
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.status != AuditStatus.CLOSED:
        raise ConflictError(_("The audit report is made once the audit is closed."))
    return document_store(
        audit=audit,
        kind=DocumentKind.REPORT,
        template_version=REPORT_TEMPLATE_VERSION,
        data=report_data(audit),
        render=_render_report,
    )
