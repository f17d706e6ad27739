"""The NCR PDF of one nonconformity and the summary of all nonconformities of an audit (downloads:
findings.document_views).

As with the plan and the report (audits/documents.py): `*_data` reads everything in a fixed number
of queries into plain values, `_render_*` turns them into bytes, and `*_document_create` stores
the PDF with the template version and the digest of the data, so an unchanged document is never
stored twice. Both PDFs go to the client: internal notes are never read here.
"""

import logging
from collections import Counter

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from reportlab.platypus import KeepTogether, Spacer

from audits.documents import document_store
from audits.models import Audit, AuditDocument, AuditStatus, DocumentKind
from core import pdf
from core.errors import ConflictError
from core.pdf import clause_label, data_digest, format_date, format_dates, person_name, standard_line
from findings.models import (
    NONCONFORMITY_GRADES,
    AttachmentPurpose,
    Nonconformity,
    NonconformityAttachment,
    NonconformityDocument,
    NonconformityResponse,
    NonconformityStatus,
    ReviewDecision,
    grade_words,
)

logger = logging.getLogger(__name__)

NC_TEMPLATE_VERSION = "ncr-1"
NC_SUMMARY_TEMPLATE_VERSION = "nc-summary-1"

# The form's verbs ("Accept") are for the reviewer; the client reads what was decided.
DECISION_WORDS = {
    ReviewDecision.ACCEPT: gettext_lazy("Accepted"),
    ReviewDecision.REJECT: gettext_lazy("Rejected"),
}


def _local_date(moment):
    return timezone.localdate(moment) if moment else None


def _close_due_text(close_due) -> str:
    # A minor has no closing date: its accepted plan is verified at the next audit.
    return format_date(close_due) if close_due else _("At the next audit")


# -- One nonconformity --------------------------------------------------------------------------


def _nc_for_document(nonconformity: Nonconformity) -> Nonconformity:
    """The nonconformity with its finding, answers and files, in three queries whatever their number."""
    responses = NonconformityResponse.objects.select_related("submitted_by", "reviewed_by").order_by("round")
    return (
        Nonconformity.objects.select_related(
            "audit__organization", "finding__clause__standard", "finding__site", "accepted_by", "closed_by"
        )
        .prefetch_related(
            Prefetch("responses", queryset=responses),
            Prefetch("attachments", queryset=NonconformityAttachment.objects.order_by("uploaded_at", "id")),
        )
        .get(pk=nonconformity.pk)
    )


def nc_data(nonconformity: Nonconformity) -> dict:
    """Everything the NCR shows, as plain values: rendered, and hashed to spot an unchanged NCR."""
    nonconformity = _nc_for_document(nonconformity)
    audit = nonconformity.audit
    finding = nonconformity.finding
    clause = finding.clause
    files_by_response: dict[int | None, list[str]] = {}
    for attachment in nonconformity.attachments.all():
        key = attachment.response_id if attachment.purpose == AttachmentPurpose.RESPONSE else None
        files_by_response.setdefault(key, []).append(attachment.original_name)
    closed = nonconformity.status == NonconformityStatus.CLOSED
    return {
        # The wording depends on the language, so an NCR in another language is another document.
        "language_code": get_language(),
        "certification_body": settings.CERTIFICATION_BODY_NAME,
        "number": nonconformity.number,
        "client": audit.organization.legal_name,
        "audit": {
            "label": audit.label,
            "start_date": audit.start_date,
            "end_date": audit.end_date,
        },
        "standard": {
            "code": clause.standard.code,
            "title": clause.standard.title,
            "edition": clause.standard.edition,
        },
        "clause": clause_label(clause),
        "site": finding.site.name if finding.site_id else "",
        "grade": nonconformity.grade,
        "grade_label": grade_words(nonconformity.grade),
        "status": nonconformity.status,
        "status_label": str(nonconformity.get_status_display()),
        "statement": finding.statement,
        "evidence": finding.evidence,
        "raised_on": _local_date(nonconformity.created_at),
        "response_due": nonconformity.response_due,
        "close_due": nonconformity.close_due,
        "accepted_on": _local_date(nonconformity.accepted_at),
        "accepted_by": person_name(nonconformity.accepted_by),
        "responses": [
            _response_values(response, files=files_by_response.get(response.pk, []))
            for response in nonconformity.responses.all()
        ],
        "verification": _verification_values(nonconformity, files=files_by_response.get(None, []))
        if closed
        else None,
    }


def _response_values(response, *, files: list[str]) -> dict:
    return {
        "round": response.round,
        "correction": response.correction,
        "root_cause": response.root_cause,
        "corrective_action": response.corrective_action,
        "responsible": response.responsible,
        "target_date": response.target_date,
        "submitted_by": person_name(response.submitted_by),
        "submitted_on": _local_date(response.submitted_at),
        "files": files,
        "decision": response.decision,
        "decision_label": str(DECISION_WORDS.get(response.decision, "")),
        "review_comment": response.review_comment,
        "reviewed_by": person_name(response.reviewed_by),
        "reviewed_on": _local_date(response.reviewed_at),
    }


def _verification_values(nonconformity: Nonconformity, *, files: list[str]) -> dict:
    return {
        "method_label": str(nonconformity.get_verification_method_display())
        if nonconformity.verification_method
        else "",
        "comment": nonconformity.verification_comment,
        "by": person_name(nonconformity.closed_by),
        "on": _local_date(nonconformity.closed_at),
        "files": files,
    }


def _files_cell(names: list[str]):
    return pdf.bullets(names) if names else _("None")


def _response_story(response: dict) -> list:
    answer = pdf.summary_table(
        [
            (_("Correction"), response["correction"]),
            (_("Root cause"), response["root_cause"]),
            (_("Corrective action"), response["corrective_action"]),
            (_("Responsible person"), response["responsible"] or "–"),
            (_("Target date"), format_date(response["target_date"])),
            (
                _("Submitted"),
                _("%(date)s by %(person)s")
                % {"date": format_date(response["submitted_on"]), "person": response["submitted_by"]},
            ),
            (_("Files"), _files_cell(response["files"])),
        ]
    )
    heading = pdf.para(_("Answer %(round)s") % {"round": response["round"]}, "h3")
    if not response["decision"]:
        review = pdf.summary_table([(_("Review"), _("Awaiting review"))])
    else:
        review = pdf.summary_table(
            [
                (_("Review"), response["decision_label"]),
                (_("Reviewer's comment"), response["review_comment"] or "–"),
                (
                    _("Reviewed"),
                    _("%(date)s by %(person)s")
                    % {"date": format_date(response["reviewed_on"]), "person": response["reviewed_by"]},
                ),
            ]
        )
    # An answer's heading never ends a page alone.
    return [KeepTogether([heading, answer]), Spacer(1, 4), review]


def _render_nc(data: dict) -> bytes:
    standard = data["standard"]
    story = [
        pdf.para(_("Nonconformity report"), "title"),
        pdf.para(f"{data['number']} – {data['client']}", "subtitle"),
        pdf.summary_table(
            [
                (_("Number"), data["number"]),
                (_("Client"), data["client"]),
                (_("Audit"), data["audit"]["label"]),
                (_("Audit dates"), format_dates(data["audit"]["start_date"], data["audit"]["end_date"])),
                (_("Standard"), standard_line(standard)),
                (_("Clause"), data["clause"]),
                (_("Site"), data["site"] or _("Not tied to one site")),
                (_("Grade"), data["grade_label"]),
                (_("Status"), data["status_label"]),
            ]
        ),
        pdf.para(_("Finding"), "h2"),
        pdf.summary_table(
            [
                (_("Statement"), data["statement"] or "–"),
                (_("Objective evidence"), data["evidence"] or "–"),
            ]
        ),
        pdf.para(_("Dates"), "h2"),
        pdf.summary_table(_dates(data)),
        *_answers_story(data),
        *_verification_story(data["verification"]),
    ]
    story.append(Spacer(1, 8))
    story.append(
        pdf.para(
            _("Status: %(status)s. This report shows the nonconformity as it stood when the PDF was made.")
            % {"status": data["status_label"]},
            "small",
        )
    )
    return pdf.build_pdf(
        story, title=_("Nonconformity report"), subject=f"{data['number']} – {data['client']}"
    )


def _dates(data: dict) -> list[tuple]:
    """Raised, due, to be closed and (once accepted) accepted by whom."""
    dates = [
        (_("Raised"), format_date(data["raised_on"])),
        (_("Answer due by"), format_date(data["response_due"])),
        (_("To be closed by"), _close_due_text(data["close_due"])),
    ]
    if data["accepted_on"]:
        dates.append(
            (
                _("Answer accepted"),
                _("%(date)s by %(person)s")
                % {"date": format_date(data["accepted_on"]), "person": data["accepted_by"]},
            )
        )
    return dates


def _answers_story(data: dict) -> list:
    """Each answer with its review, or what the client must send and by when."""
    story = [pdf.para(_("Answers and reviews"), "h2")]
    if not data["responses"]:
        story.append(
            pdf.para(
                _(
                    "No answer yet. Answer with the correction, the root cause and the corrective action "
                    "by %(date)s."
                )
                % {"date": format_date(data["response_due"])}
            )
        )
    for index, response in enumerate(data["responses"]):
        if index:
            story.append(Spacer(1, 8))
        story += _response_story(response)
    return story


def _verification_story(verification: dict | None) -> list:
    story = [pdf.para(_("Verification"), "h2")]
    if verification is None:
        story.append(pdf.para(_("Not yet verified.")))
    else:
        story.append(
            pdf.summary_table(
                [
                    (_("Verified by"), verification["method_label"] or "–"),
                    (_("What was verified"), verification["comment"] or "–"),
                    (
                        _("Closed"),
                        _("%(date)s by %(person)s")
                        % {"date": format_date(verification["on"]), "person": verification["by"]},
                    ),
                    (_("Files"), _files_cell(verification["files"])),
                ]
            )
        )
    return story


def nc_pdf_render(*, nonconformity: Nonconformity) -> bytes:
    """The NCR as PDF bytes, in the active language. Reads the database; writes nothing."""
    return _render_nc(nc_data(nonconformity))


def latest_nc_document(nonconformity: Nonconformity) -> NonconformityDocument | None:
    return nonconformity.documents.order_by("-created_at", "-id").first()


@transaction.atomic
def nc_document_create(*, nonconformity: Nonconformity) -> NonconformityDocument:
    """Store the NCR as a PDF; when nothing changed since the last one, return that one.

    A document is a record: a new one never replaces the file of an earlier one.
    """
    # One generation at a time per nonconformity, so two workers cannot both store the same NCR.
    nonconformity = Nonconformity.objects.select_for_update().get(pk=nonconformity.pk)
    data = nc_data(nonconformity)
    digest = data_digest(data)
    latest = latest_nc_document(nonconformity)
    if latest is not None and latest.data_digest == digest and latest.template_version == NC_TEMPLATE_VERSION:
        return latest
    content = _render_nc(data)
    document = NonconformityDocument(
        nonconformity=nonconformity,
        template_version=NC_TEMPLATE_VERSION,
        data_digest=digest,
        size=len(content),
    )
    # The file is written before the row, so a row never points at a missing file.
    document.file.save("ncr.pdf", ContentFile(content), save=False)
    document.save()
    logger.info(
        "Stored NCR PDF %s for nonconformity %s (%s bytes).",
        document.file.name,
        nonconformity.pk,
        document.size,
    )
    return document


# -- All nonconformities of an audit ------------------------------------------------------------


def nc_summary_data(audit: Audit) -> dict:
    """The audit's nonconformities as plain values, in three queries whatever their number."""
    audit = Audit.objects.select_related("organization").prefetch_related("standards").get(pk=audit.pk)
    nonconformities = list(
        audit.nonconformities.select_related("finding__clause__standard", "finding__site").order_by("number")
    )
    several_standards = len(audit.standards.all()) > 1
    grades = Counter(nonconformity.grade for nonconformity in nonconformities)
    statuses = Counter(nonconformity.status for nonconformity in nonconformities)
    return {
        # The wording depends on the language, so a summary in another language is another document.
        "language_code": get_language(),
        "certification_body": settings.CERTIFICATION_BODY_NAME,
        "client": audit.organization.legal_name,
        "audit": {
            "id": audit.pk,
            "label": audit.label,
            "start_date": audit.start_date,
            "end_date": audit.end_date,
            "closed_on": _local_date(audit.closed_at),
        },
        "standards": sorted(standard.code for standard in audit.standards.all()),
        "nonconformities": [
            {
                "number": nonconformity.number,
                "clause": clause_label(nonconformity.finding.clause)
                + (f" ({nonconformity.finding.clause.standard.code})" if several_standards else ""),
                "site": nonconformity.finding.site.name if nonconformity.finding.site_id else "",
                "grade_label": grade_words(nonconformity.grade),
                "status_label": str(nonconformity.get_status_display()),
                "response_due": nonconformity.response_due,
                "close_due": nonconformity.close_due,
            }
            for nonconformity in nonconformities
        ],
        # Every grade and status, zeros included: the client sees at a glance what is left.
        "by_grade": [{"label": grade_words(grade), "count": grades[grade]} for grade in NONCONFORMITY_GRADES],
        "by_status": [
            {"label": str(label), "count": statuses[status]} for status, label in NonconformityStatus.choices
        ],
    }


def _count_table(heading: str, rows: list[dict], total: int):
    return pdf.data_table(
        [heading, _("Count")],
        [[row["label"], str(row["count"])] for row in rows] + [[_("Total"), str(total)]],
        widths=[0.5, 0.2],
        numeric_columns=[1],
        total_row=True,
    )


def _render_nc_summary(data: dict) -> bytes:
    audit = data["audit"]
    story = [
        pdf.para(_("Nonconformities"), "title"),
        pdf.para(f"{audit['label']} – {data['client']}", "subtitle"),
        pdf.summary_table(
            [
                (_("Client"), data["client"]),
                (_("Audit"), audit["label"]),
                (_("Audit dates"), format_dates(audit["start_date"], audit["end_date"])),
                (_("Standards"), "\n".join(data["standards"]) or "–"),
                (_("Audit closed"), format_date(audit["closed_on"])),
            ]
        ),
        pdf.para(_("Nonconformities raised"), "h2"),
    ]
    rows = data["nonconformities"]
    if not rows:
        story.append(pdf.para(_("None: no nonconformity was raised at this audit.")))
    else:
        story.append(_nc_summary_table(rows))
    story += _nc_summary_counts(data, total=len(rows))
    return pdf.build_pdf(story, title=_("Nonconformities"), subject=f"{audit['label']} – {data['client']}")


def _nc_summary_table(rows: list[dict]):
    """The summary's table: one row per nonconformity raised, with its grade, status and deadlines."""
    return pdf.data_table(
        [
            _("Number"),
            _("Clause"),
            _("Site"),
            _("Grade"),
            _("Status"),
            _("Answer due"),
            _("To be closed by"),
        ],
        [
            [
                row["number"],
                row["clause"],
                row["site"] or "–",
                row["grade_label"],
                row["status_label"],
                format_date(row["response_due"]),
                _close_due_text(row["close_due"]),
            ]
            for row in rows
        ],
        widths=[0.155, 0.19, 0.11, 0.14, 0.145, 0.13, 0.13],
    )


def _nc_summary_counts(data: dict, *, total: int) -> list:
    """The summary's closing part: the counts by grade and by status, and what each NC report holds."""
    return [
        pdf.para(_("Counts"), "h2"),
        _count_table(_("Grade"), data["by_grade"], total),
        Spacer(1, 8),
        _count_table(_("Status"), data["by_status"], total),
        Spacer(1, 8),
        pdf.para(
            _(
                "Each nonconformity has its own report with the answers, reviews and verification. A major "
                "nonconformity must be verified closed by the date given; a minor's plan is verified at the "
                "next audit."
            ),
            "small",
        ),
    ]


def nc_summary_pdf_render(*, audit: Audit) -> bytes:
    """The summary of the audit's nonconformities as PDF bytes, in the active language. Writes nothing."""
    return _render_nc_summary(nc_summary_data(audit))


@transaction.atomic
def nc_summary_document_create(*, audit: Audit) -> AuditDocument:
    """Store the closed audit's nonconformity summary; when nothing changed since the last one, return it."""
    # One generation at a time per audit, so two workers cannot both store the same summary.
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.status != AuditStatus.CLOSED:
        raise ConflictError(_("The summary of nonconformities is made once the audit is closed."))
    return document_store(
        audit=audit,
        kind=DocumentKind.NC_SUMMARY,
        template_version=NC_SUMMARY_TEMPLATE_VERSION,
        data=nc_summary_data(audit),
        render=_render_nc_summary,
    )
