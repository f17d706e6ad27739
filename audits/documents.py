"""Documents for the client: the audit plan PDF (stored, e-mailed) and the programme quote.

Rendering is pure (data in, bytes out); `plan_document_create` stores the result and records the
template version and the digest of the data that produced it, so an unchanged plan is never
stored or sent twice.
"""

import datetime
import logging
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from reportlab.platypus import KeepTogether, Spacer

from audits import sampling
from audits.audit_time import Integration, calculate_combined_audit_time
from audits.models import (
    Audit,
    AuditDay,
    AuditDocument,
    AuditMode,
    AuditStatus,
    AuditType,
    CertificationProgramme,
    DocumentKind,
    IctCheck,
    PlanSlot,
    TeamMember,
    TeamRole,
)
from audits.services import AUDIT_TYPE_FOR_TIME, days_of_audit, primary_standard, time_schemes
from core import pdf
from core.errors import ConflictError, DomainError
from core.pdf import (
    data_digest,
    format_date,
    format_dates,
    format_days,
    format_money,
    person_name,
    standard_line,
)

logger = logging.getLogger(__name__)

PLAN_TEMPLATE_VERSION = "plan-1"
# The lead auditor first, as the client should read the team.
TEAM_ROLE_ORDER = list(TeamRole.values)
CENT = Decimal("0.01")


# -- Wording shared by the documents ------------------------------------------------------------


# The sample's reasons are stored in English as codes; the client reads them in its language.
_SAMPLING_REASONS = {
    sampling.REASON_CENTRAL: gettext_lazy("central function"),
    sampling.REASON_NOT_VISITED: gettext_lazy("not yet visited in this cycle"),
    sampling.REASON_FEWEST_VISITS: gettext_lazy("fewest visits in this cycle"),
}


def _sampling_reason(reason: str) -> str:
    random = re.fullmatch(r"random \(seed (\d+)\)", reason)
    if random:
        return _("random (seed %(seed)s)") % {"seed": random.group(1)}
    return str(_SAMPLING_REASONS.get(reason, reason))


def calculation_in_language(calculation: dict | None) -> dict:
    """A stored audit-time calculation worded in the reader's language: its justification and
    warnings as computed in that language (older records hold one wording), and the sampling
    reasons, stored as codes, in words."""
    calculation = dict(calculation or {})
    wording = (calculation.get("wording") or {}).get(get_language()) or {}
    for key in ("justification", "warnings"):
        if key in wording:
            calculation[key] = wording[key]
    calculation["selected_sites"] = [
        {**row, "reason": _sampling_reason(row.get("reason", ""))}
        for row in calculation.get("selected_sites", [])
    ]
    return calculation


# -- The plan -----------------------------------------------------------------------------------


def _plan_audit(audit: Audit) -> Audit:
    """The audit with everything the plan shows, in a fixed number of queries."""
    slots = (
        PlanSlot.objects.select_related("member__user").prefetch_related("clauses").order_by("start", "id")
    )
    return (
        Audit.objects.select_related("organization", "ict_check")
        .prefetch_related(
            "standards",
            "sites",
            Prefetch("team", queryset=TeamMember.objects.select_related("user")),
            Prefetch(
                "days",
                queryset=AuditDay.objects.select_related("site")
                .prefetch_related(Prefetch("slots", queryset=slots))
                .order_by("date", "site__name", "id"),
            ),
        )
        .get(pk=audit.pk)
    )


def plan_data(audit: Audit) -> dict:
    """Everything the plan PDF shows, as plain values: rendered, and hashed to spot an unchanged plan."""
    audit = _plan_audit(audit)
    organization = audit.organization
    calculation = calculation_in_language(audit.time_calculation)
    reasons = {row.get("id"): row.get("reason", "") for row in calculation.get("selected_sites", [])}
    return {
        # The wording depends on the language, so a plan in another language is another document.
        "language_code": get_language(),
        "certification_body": settings.CERTIFICATION_BODY_NAME,
        "audit": {
            "id": audit.pk,
            "label": audit.label,
            "mode": audit.mode,
            "mode_label": str(audit.get_mode_display()),
            "start_date": audit.start_date,
            "end_date": audit.end_date,
            "language": audit.language,
            "objectives": audit.objectives,
            "scope": audit.scope,
            "criteria": audit.criteria,
            "planned_days": audit.planned_days,
            "confirmed_on": timezone.localdate(audit.confirmed_at) if audit.confirmed_at else None,
            "plan_justification": audit.plan_justification,
            "ict_tools": _ict_tools(audit),
        },
        "client": {
            "name": organization.legal_name,
            "org_number": organization.org_number,
            "address": organization.full_address,
            "contact_name": organization.contact_name,
        },
        "standards": standard_values(audit),
        "sites": [
            {"name": site.name, "city": site.city, "reason": reasons.get(site.pk, "")}
            for site in sorted(audit.sites.all(), key=lambda site: (not site.is_central_function, site.name))
        ],
        "team": team_values(audit),
        "sampling_seed": audit.sampling_seed,
        "justification": [str(line) for line in calculation.get("justification", [])],
        "days": [_plan_day_values(day) for day in audit.days.all()],
    }


def _ict_tools(audit: Audit) -> str:
    """The ICT a remote or hybrid audit uses, as its feasibility check names it."""
    if audit.mode == AuditMode.ON_SITE:
        return ""
    try:
        return audit.ict_check.tools
    except IctCheck.DoesNotExist:
        return ""


def standard_values(audit: Audit) -> list[dict]:
    """The audit's standards as the plan and the report print them, by code."""
    return [
        {"code": standard.code, "title": standard.title, "edition": standard.edition}
        for standard in sorted(audit.standards.all(), key=lambda standard: standard.code)
    ]


def team_values(audit: Audit) -> list[dict]:
    """The audit team as the plan and the report print it: the lead first, then by role."""
    return [
        {"name": person_name(member.user), "role": str(member.get_role_display())}
        for member in sorted(audit.team.all(), key=lambda member: TEAM_ROLE_ORDER.index(member.role))
    ]


def _plan_day_values(day) -> dict:
    return {
        "date": day.date,
        "site": day.site.name,
        "city": day.site.city,
        "slots": [
            {
                "start": slot.start,
                "end": slot.end,
                "activity": slot.activity,
                "clauses": sorted((clause.number for clause in slot.clauses.all()), key=_clause_sort_key),
                "member": person_name(slot.member.user),
            }
            for slot in day.slots.all()
        ],
    }


def _clause_sort_key(number: str):
    return [int(part) if part.isdigit() else 0 for part in number.split(".")], number


def _plan_summary_story(data: dict) -> list:
    """The title, the summary table, the objectives, scope and criteria."""
    audit = data["audit"]
    client = data["client"]
    story = [
        pdf.para(_("Audit plan"), "title"),
        pdf.para(f"{audit['label']} – {client['name']}", "subtitle"),
    ]
    standards = [standard_line(standard) for standard in data["standards"]]
    summary = [
        (_("Client"), "\n".join(filter(None, [client["name"], client["org_number"], client["address"]]))),
        (_("Audit"), audit["label"]),
        (_("Mode"), audit["mode_label"]),
        (_("Dates"), format_dates(audit["start_date"], audit["end_date"])),
        (_("Audit days"), format_days(audit["planned_days"])),
        (_("Standards"), "\n".join(standards) or "–"),
        (_("Audit language"), audit["language"] or "–"),
    ]
    if client["contact_name"]:
        summary.append((_("Contact person"), client["contact_name"]))
    if audit["confirmed_on"]:
        summary.append((_("Plan confirmed"), format_date(audit["confirmed_on"])))
    story.append(pdf.summary_table(summary))

    for heading, text in (
        (_("Objectives"), audit["objectives"]),
        (_("Scope"), audit["scope"]),
    ):
        story += [pdf.para(heading, "h2"), *pdf.paragraphs(text or _("Not recorded."))]
    story.append(pdf.para(_("Criteria"), "h2"))
    story += pdf.bullets(standards)
    if audit["criteria"]:
        story += pdf.paragraphs(audit["criteria"])
    return story


def _plan_sites_and_team_story(data: dict) -> list:
    """The sites to visit, and why, and the audit team."""
    story = []
    story.append(pdf.para(_("Sites"), "h2"))
    story.append(
        pdf.data_table(
            [_("Site"), _("City"), _("Why it is visited")],
            [[site["name"], site["city"], site["reason"]] for site in data["sites"]]
            or [[_("No sites chosen."), "", ""]],
            widths=[0.35, 0.25, 0.40],
        )
    )
    story.append(pdf.para(_("Audit team"), "h2"))
    story.append(
        pdf.data_table(
            [_("Name"), _("Role")],
            [[member["name"], member["role"]] for member in data["team"]],
            widths=[0.55, 0.45],
        )
    )
    return story


def _plan_methods_story(data: dict) -> list:
    """How the team audits, how the time and the sample were found, and remote parts."""
    audit = data["audit"]
    story = []
    story.append(pdf.para(_("Methods, sampling and audit time"), "h2"))
    story.append(
        pdf.para(
            _(
                "The team audits by interviews, by observing the work and by reviewing records, on samples "
                "chosen on the day. The audit time and the sites visited were set as follows:"
            )
        )
    )
    story += pdf.bullets(data["justification"] or [_("The audit time has not been computed.")])
    if data["sampling_seed"] is not None:
        story.append(
            pdf.para(
                _("The random part of the site sample can be reproduced from seed %(seed)s.")
                % {"seed": data["sampling_seed"]},
                "small",
            )
        )
    if audit["mode"] != AuditMode.ON_SITE:
        story.append(
            pdf.para(
                _(
                    "Parts of this audit are held remotely with information and communication technology "
                    "(ICT). The lead auditor agrees the tools with you beforehand and tests them with you."
                )
            )
        )
        if audit["ict_tools"]:
            story += [pdf.para(_("ICT used"), "h3"), *pdf.paragraphs(audit["ict_tools"])]
    return story


def _plan_days_story(data: dict) -> list:
    """The plan day by day, and why its hours differ from the computed time."""
    audit = data["audit"]
    story = []
    story.append(pdf.para(_("Plan day by day"), "h2"))
    if not data["days"]:
        story.append(pdf.para(_("No days planned.")))
    for day in data["days"]:
        rows = [
            [
                f"{slot['start']:%H:%M}–{slot['end']:%H:%M}",
                slot["activity"],
                ", ".join(slot["clauses"]) or "–",
                slot["member"],
            ]
            for slot in day["slots"]
        ] or [["–", _("Nothing planned."), "", ""]]
        heading = pdf.para(f"{format_date(day['date'])} – {day['site']} ({day['city']})", "h3")
        table = pdf.data_table(
            [_("Time"), _("Activity or process"), _("Clauses"), _("By")],
            rows,
            widths=[0.14, 0.40, 0.18, 0.28],
        )
        # A day's heading never ends a page alone.
        story.append(KeepTogether([heading, table]))
    if audit["plan_justification"]:
        story += [
            pdf.para(_("Why the plan's hours differ from the computed audit time"), "h2"),
            *pdf.paragraphs(audit["plan_justification"]),
        ]
    return story


def _render_plan(data: dict) -> bytes:
    audit = data["audit"]
    client = data["client"]
    story = [
        *_plan_summary_story(data),
        *_plan_sites_and_team_story(data),
        *_plan_methods_story(data),
        *_plan_days_story(data),
    ]
    story += [
        pdf.para(_("Confidentiality"), "h2"),
        pdf.para(
            _(
                "%(body)s and every member of the audit team keep confidential all information about your "
                "organisation obtained during the audit. It is used only for the certification and is not "
                "disclosed to anyone else without your written consent, unless the law requires it."
            )
            % {"body": data["certification_body"]}
        ),
        Spacer(1, 6),
        pdf.para(
            _(
                "Please tell the lead auditor at once if a date, a site or a person in this plan does not "
                "suit you."
            ),
            "small",
        ),
    ]
    return pdf.build_pdf(story, title=_("Audit plan"), subject=f"{audit['label']} – {client['name']}")


def plan_pdf_render(*, audit: Audit) -> bytes:
    """The audit plan as PDF bytes, in the active language. Reads the database; writes nothing."""
    return _render_plan(plan_data(audit))


def latest_document(audit: Audit, kind: str) -> AuditDocument | None:
    return audit.documents.filter(kind=kind).order_by("-created_at", "-id").first()


def document_store(*, audit: Audit, kind: str, template_version: str, data: dict, render) -> AuditDocument:
    """Render `data` and store it as the audit's latest document of `kind`, unless nothing changed.

    The caller holds the audit's row lock. A document is a record: a new one never replaces the
    file of an earlier one.
    """
    digest = data_digest(data)
    latest = latest_document(audit, kind)
    if latest is not None and latest.data_digest == digest and latest.template_version == template_version:
        return latest
    content = render(data)
    document = AuditDocument(
        audit=audit, kind=kind, template_version=template_version, data_digest=digest, size=len(content)
    )
    # The name is chosen by the field's upload_to; the file is written before the row, so a row
    # never points at a missing file.
    document.file.save(f"{kind}.pdf", ContentFile(content), save=False)
    document.save()
    logger.info("Stored %s PDF %s for audit %s (%s bytes).", kind, document.file.name, audit.pk, len(content))
    return document


@transaction.atomic
def plan_document_create(*, audit: Audit) -> AuditDocument:
    """Store the confirmed plan as a PDF; when nothing changed since the last one, return that one."""
    # One generation at a time per audit, so two workers cannot both store the same plan.
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.status in (AuditStatus.PLANNED, AuditStatus.CANCELLED):
        raise ConflictError(_("The plan PDF is made once the plan is confirmed."))
    return document_store(
        audit=audit,
        kind=DocumentKind.PLAN,
        template_version=PLAN_TEMPLATE_VERSION,
        data=plan_data(audit),
        render=_render_plan,
    )


def document_filename(document: AuditDocument) -> str:
    organization = slugify(document.audit.organization.legal_name) or "client"
    return f"{document.kind}-{organization}-{document.audit_id}.pdf"


def plan_email_send(*, audit: Audit, document: AuditDocument) -> bool:
    """E-mail the plan PDF to the organisation's contact; False when it has no contact e-mail."""
    organization = audit.organization
    if not organization.contact_email:
        logger.info("Plan of audit %s not e-mailed: %s has no contact e-mail.", audit.pk, organization.pk)
        return False
    sites = [f"{site.name} ({site.city})" for site in audit.sites.order_by("name")]
    context = {
        "organization": organization,
        "contact_name": organization.contact_name,
        "audit_label": audit.label,
        "dates": format_dates(audit.start_date, audit.end_date),
        "sites": sites,
        "site_url": settings.SITE_URL,
        "link": settings.SITE_URL + reverse("audits:audit-detail", args=[audit.pk]),
        "certification_body": settings.CERTIFICATION_BODY_NAME,
    }
    subject = " ".join(render_to_string("audits/email/plan_confirmed_subject.txt", context).split())
    body = render_to_string("audits/email/plan_confirmed_body.txt", context)
    with document.file.open("rb") as handle:
        content = handle.read()
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [organization.contact_email])
    message.attach(document_filename(document), content, "application/pdf")
    message.send()
    return True


# -- The quote ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteLine:
    audit_id: int
    label: str
    when: str
    days: Decimal
    day_rate: Decimal
    amount: Decimal
    # True when the days are computed for the quote, not the audit's own planned days.
    estimated: bool


@dataclass(frozen=True)
class Quote:
    programme: CertificationProgramme
    standards: list[str]
    lines: list[QuoteLine]
    total_days: Decimal
    total_amount: Decimal
    day_rate: Decimal
    currency: str
    notes: list[str]
    issued_on: datetime.date


def _computed_days(
    audit: Audit, *, schemes, personnel: Decimal, sites: int, integration: Integration | None, results: dict
) -> Decimal:
    rule = AUDIT_TYPE_FOR_TIME[AuditType(audit.audit_type)]
    if rule not in results:
        results[rule] = calculate_combined_audit_time(
            schemes=schemes, personnel=personnel, sites=sites, audit_type=rule, integration=integration
        )
    return days_of_audit(audit, results[rule])


def _recorded_integration(audits: list[Audit]) -> Integration | None:
    """The reduction for integration chosen at the programme's latest computed audit: a combined
    programme's audits not yet planned are estimated with it (none chosen yet: the full sum)."""
    for audit in reversed(audits):
        recorded = (audit.time_calculation or {}).get("integration")
        if recorded:
            return Integration(
                percent=Decimal(str(recorded["percent"])), justification=recorded["justification"]
            )
    return None


def _when(audit: Audit) -> str:
    if audit.start_date:
        return format_dates(audit.start_date, audit.end_date)
    if audit.due_date:
        return _("due by %(date)s") % {"date": format_date(audit.due_date)}
    return "–"


def programme_quote(*, programme: CertificationProgramme) -> Quote:
    """The price of the programme's audits: days times the scheme's day rate, per audit and in total.

    An audit with planned days is priced on them; any other is priced on the audit time computed
    for the organisation's current personnel and sites. Cancelled audits are left out.
    """
    standard = primary_standard(programme)
    scheme = getattr(standard, "scheme", None)
    if scheme is None:
        raise DomainError(
            _("No certification scheme is set up for %(code)s, so there is no day rate.")
            % {"code": standard.code}
        )
    day_rate = Decimal(scheme.day_rate)
    audits = list(programme.audits.exclude(status=AuditStatus.CANCELLED).order_by("id"))
    personnel, site_count = Decimal(0), 0
    if any(audit.planned_days is None for audit in audits):
        personnel, site_count = _personnel_and_sites(programme)
    schemes = time_schemes(programme)
    integration = _recorded_integration(audits) if len(schemes) > 1 else None
    results = {}
    lines = []
    for audit in audits:
        estimated = audit.planned_days is None
        days = (
            _computed_days(
                audit,
                schemes=schemes,
                personnel=personnel,
                sites=site_count,
                integration=integration,
                results=results,
            )
            if estimated
            else Decimal(audit.planned_days)
        )
        lines.append(
            QuoteLine(
                audit_id=audit.pk,
                label=audit.label,
                when=_when(audit),
                days=days,
                day_rate=day_rate,
                amount=(days * day_rate).quantize(CENT, rounding=ROUND_HALF_UP),
                estimated=estimated,
            )
        )
    return Quote(
        programme=programme,
        standards=[standard.code for standard in programme.standards.order_by("code")],
        lines=lines,
        total_days=sum((line.days for line in lines), Decimal(0)),
        total_amount=sum((line.amount for line in lines), Decimal(0)).quantize(CENT),
        day_rate=day_rate,
        currency=scheme.currency,
        notes=_quote_notes(lines, schemes=schemes, personnel=personnel, site_count=site_count),
        issued_on=timezone.localdate(),
    )


def _personnel_and_sites(programme: CertificationProgramme) -> tuple[Decimal, int]:
    """The organisation's effective personnel and site count, from which unplanned audits are sized."""
    site_personnel = list(programme.organization.sites.values_list("effective_personnel", flat=True))
    personnel, site_count = sum(site_personnel, Decimal(0)), len(site_personnel)
    if not site_count or personnel <= 0:
        raise DomainError(
            _(
                "Register the organisation's sites and their effective personnel first: the days of "
                "audits not yet planned are computed from them."
            )
        )
    return personnel, site_count


def _quote_notes(lines: list[QuoteLine], *, schemes, personnel: Decimal, site_count: int) -> list[str]:
    notes = [_("Travel time, travel and accommodation expenses are not included; they are invoiced at cost.")]
    if any(line.estimated for line in lines):
        notes.append(
            ngettext(
                "Days marked * are computed from the organisation's current %(personnel)s effective "
                "personnel at %(sites)s site under the certification body's policy for %(standard)s; "
                "they are confirmed when each audit is planned.",
                "Days marked * are computed from the organisation's current %(personnel)s effective "
                "personnel at %(sites)s sites under the certification body's policy for %(standard)s; "
                "they are confirmed when each audit is planned.",
                site_count,
            )
            % {
                "personnel": formats.number_format(personnel.normalize(), use_l10n=True),
                "sites": site_count,
                "standard": " + ".join(scheme.standard.code for scheme in schemes),
            }
        )
    if len(schemes) > 1:
        notes.append(
            _(
                "The audits cover %(standards)s together: each audit's time is the sum of each standard's "
                "time, less any reduction for the integration of your management systems (IAF MD 11), and "
                "never less than the largest single standard's time."
            )
            % {"standards": " + ".join(scheme.standard.code for scheme in schemes)}
        )
    return notes


def quote_pdf_render(*, programme: CertificationProgramme) -> bytes:
    """The programme quote as PDF bytes, in the active language."""
    quote = programme_quote(programme=programme)
    organization = programme.organization
    currency = quote.currency
    story = [
        pdf.para(_("Quote"), "title"),
        pdf.para(
            _("Certification of %(organization)s to %(standards)s")
            % {"organization": organization.legal_name, "standards": ", ".join(quote.standards)},
            "subtitle",
        ),
        pdf.summary_table(
            [
                (_("Client"), "\n".join(filter(None, [organization.legal_name, organization.full_address]))),
                (_("Standards"), ", ".join(quote.standards)),
                (_("Day rate"), format_money(quote.day_rate, currency)),
                (_("Date of quote"), format_date(quote.issued_on)),
            ]
        ),
        pdf.para(_("Audits in the certification cycle"), "h2"),
    ]
    rows = [
        [
            line.label,
            line.when,
            format_days(line.days) + (" *" if line.estimated else ""),
            format_money(line.amount, currency),
        ]
        for line in quote.lines
    ]
    rows.append([_("Total"), "", format_days(quote.total_days), format_money(quote.total_amount, currency)])
    story.append(
        pdf.data_table(
            [_("Audit"), _("When"), _("Days"), _("Amount")],
            rows,
            widths=[0.30, 0.32, 0.13, 0.25],
            numeric_columns=[2, 3],
            total_row=True,
        )
    )
    story.append(pdf.para(_("Notes"), "h2"))
    story += pdf.bullets(quote.notes)
    return pdf.build_pdf(story, title=_("Quote"), subject=organization.legal_name)
