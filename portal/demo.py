"""The demo world that `manage.py seed_demo` builds: users, clients, sites and competences.

Every step looks records up by a natural key first, so running the seed twice changes nothing.
"""

import datetime
import io
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.roles import AUDITORS, STAFF, ensure_role_groups
from audits.audit_time import Integration
from audits.cycle import add_months
from audits.models import (
    Audit,
    AuditStatus,
    AuditType,
    CertificationProgramme,
    Competence,
    TeamRole,
)
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_confirm,
    plan_day_add,
    plan_slot_add,
    programme_create,
    team_member_add,
)
from certificates.models import Certificate
from certificates.services import decision_record
from clients.models import ClientMembership, ClientRole, Organization, Site
from clients.services import client_membership_create
from complaints.models import Appeal, CaseSource, Complaint
from complaints.services import (
    appeal_file,
    case_acknowledge,
    case_assign,
    case_report_progress,
    complaint_file,
)
from core.actors import SYSTEM
from findings.evidence import evidence_add
from findings.models import Finding, Nonconformity, Visibility
from findings.ncr import nonconformity_respond, nonconformity_review, nonconformity_verify
from findings.services import finding_create
from reports.models import Conformity, Effectiveness
from reports.services import StatementInput, audit_close
from standards.models import Standard
from transfers.models import CycleStage, DocumentKind, NcGrade, ReviewAnswer, Transfer
from transfers.services import (
    nonconformity_close,
    nonconformity_record,
    review_item_answer,
    transfer_assign_reviewer,
    transfer_create,
    transfer_document_add,
    transfer_start_review,
)

DEMO_PASSWORD = "demo"  # noqa: S105 - printed on purpose; seed_demo refuses to run in production.
ISO_18295_1 = "ISO 18295-1:2017"
ISO_18295_2 = "ISO 18295-2:2017"
ISO_9001 = "ISO 9001:2015"

USERS = [
    # username, first name, last name, e-mail, what they are
    (
        "staff",
        "Sara",
        "Lindqvist",
        "staff@certdesk.example",
        "Certification staff, makes certification decisions",
    ),
    (
        "lead",
        "Lars",
        "Berg",
        "lead@certdesk.example",
        "Lead auditor for ISO 18295-1, ISO 18295-2 and ISO 9001",
    ),
    ("auditor", "Anna", "Holm", "auditor@certdesk.example", "Auditor for ISO 18295-1 and ISO 18295-2"),
    ("client", "Karin", "Nord", "karin.nord@nordkontakt.example", "Client admin of Nordkontakt AB"),
    ("other", "Olle", "Strand", "olle.strand@kundtjanstnorr.example", "Client admin of Kundtjänst Norr AB"),
]

ORGANIZATIONS = [
    {
        "legal_name": "Nordkontakt AB",
        "org_number": "556677-8816",
        "address": "Sveavägen 44",
        "postal_code": "111 34",
        "city": "Stockholm",
        "contact_name": "Karin Nord",
        "contact_email": "karin.nord@nordkontakt.example",
        "contact_phone": "+46 8 123 45 00",
        "sites": [
            (
                "Stockholm",
                "Sveavägen 44",
                "111 34",
                "Stockholm",
                True,
                80,
                "Head office, inbound customer service",
            ),
            ("Göteborg", "Kungsgatan 12", "411 19", "Göteborg", False, 45, "Inbound customer service, chat"),
            ("Malmö", "Stortorget 3", "211 22", "Malmö", False, 30, "Outbound calls, complaints handling"),
        ],
        "admin": "client",
    },
    {
        "legal_name": "Kundtjänst Norr AB",
        "org_number": "559100-2349",
        "address": "Storgatan 15",
        "postal_code": "972 31",
        "city": "Luleå",
        "contact_name": "Olle Strand",
        "contact_email": "olle.strand@kundtjanstnorr.example",
        "contact_phone": "+46 920 12 34 00",
        "sites": [("Luleå", "Storgatan 15", "972 31", "Luleå", True, 12, "Inbound customer service")],
        "admin": "other",
    },
    {
        # An outsourced contact centre certified to ISO 9001 and ISO 18295-1 in one combined audit.
        "legal_name": "Mittkontakt Service AB",
        "org_number": "556812-3458",
        "address": "Storgatan 30",
        "postal_code": "852 30",
        "city": "Sundsvall",
        "contact_name": "Maria Sjöberg",
        "contact_email": "maria.sjoberg@mittkontakt.example",
        "contact_phone": "+46 60 12 34 00",
        "sites": [
            (
                "Sundsvall",
                "Storgatan 30",
                "852 30",
                "Sundsvall",
                True,
                110,
                "Head office, inbound customer service for energy and telecom clients",
            ),
            ("Östersund", "Prästgatan 18", "831 31", "Östersund", False, 45, "Inbound calls and chat"),
        ],
        "admin": None,
    },
    {
        # Certified to ISO 9001 by another body; asks to transfer its certificate to us (IAF MD 2).
        "legal_name": "Samtal Väst AB",
        "org_number": "556901-2341",
        "address": "Lilla Bommen 5",
        "postal_code": "411 04",
        "city": "Göteborg",
        "contact_name": "Johan Ek",
        "contact_email": "johan.ek@samtalvast.example",
        "contact_phone": "+46 31 12 34 00",
        "sites": [
            ("Göteborg", "Lilla Bommen 5", "411 04", "Göteborg", True, 60, "Inbound customer service, chat"),
        ],
        "admin": None,
    },
]

COMPETENCES = [
    ("lead", ISO_18295_1, TeamRole.LEAD_AUDITOR),
    ("lead", ISO_18295_2, TeamRole.LEAD_AUDITOR),
    ("lead", ISO_9001, TeamRole.LEAD_AUDITOR),
    ("auditor", ISO_18295_1, TeamRole.AUDITOR),
    ("auditor", ISO_18295_2, TeamRole.AUDITOR),
]


@transaction.atomic
def seed_demo(*, today: datetime.date) -> list[tuple[str, str]]:
    """Build the demo world; return (username, description) of each demo login."""
    users = _seed_users()
    for spec in ORGANIZATIONS:
        _seed_organization(spec, users=users)
    standards = {standard.code: standard for standard in Standard.objects.all()}
    _seed_accreditation(standards=standards)
    _seed_competences(users=users, standards=standards, today=today)
    _seed_nordkontakt_programme(users=users, standards=standards, today=today)
    _seed_stage2_findings(users=users, today=today)
    _seed_kundtjanst_norr(users=users, standards=standards, today=today)
    _seed_mittkontakt_combined(users=users, standards=standards, today=today)
    _seed_samtal_vast_transfer(users=users, standards=standards, today=today)
    _seed_complaint_and_appeal(users=users)
    return [(username, description) for username, _, _, _, description in USERS]


# The demo's accreditation (a made-up number; Swedac is Sweden's accreditation body).
DEMO_ACCREDITATION = {"ISO 18295-1:2017": ("Swedac", "10203")}


def _demo_mark(number: str) -> bytes:
    """A stand-in accreditation mark: the real one comes from the accreditation body."""
    image = Image.new("RGB", (360, 160), (0, 56, 118))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 351, 151), outline=(255, 255, 255), width=4)
    draw.text((28, 40), "ACCREDITED", fill=(255, 255, 255))
    draw.text((28, 90), f"No. {number}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _seed_accreditation(*, standards: dict) -> None:
    """ISO 18295-1 under accreditation, with its mark; the other schemes not (their certificates
    carry no mark and report "Unaccredited" to CertSearch)."""
    for code, (body, number) in DEMO_ACCREDITATION.items():
        scheme = getattr(standards.get(code), "scheme", None)
        if scheme is None or scheme.accredited:
            continue
        scheme.accredited = True
        scheme.accreditation_body = body
        scheme.accreditation_number = number
        scheme.accreditation_mark.save(f"mark-{number}.png", ContentFile(_demo_mark(number)), save=False)
        scheme.save()


def _seed_users() -> dict:
    """The demo logins by username, each put in its role group; staff may use the Django admin."""
    groups = ensure_role_groups()
    User = get_user_model()
    users = {}
    for username, first_name, last_name, email, _ in USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first_name, "last_name": last_name, "email": email}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[username] = user

    staff = users["staff"]
    if not staff.is_staff:
        # Staff use the Django admin too; what they may do there comes from their role group.
        staff.is_staff = True
        staff.save(update_fields=["is_staff"])
    staff.groups.add(groups[STAFF])
    users["lead"].groups.add(groups[AUDITORS])
    users["auditor"].groups.add(groups[AUDITORS])
    return users


def _seed_organization(spec: dict, *, users: dict) -> None:
    """One demo client organization with its sites and, unless they belong to one already, its admin."""
    organization, _ = Organization.objects.get_or_create(
        country="SE",
        org_number=spec["org_number"],
        defaults={key: spec[key] for key in spec if key not in ("sites", "admin", "org_number")},
    )
    for name, address, postal_code, city, central, personnel, activities in spec["sites"]:
        Site.objects.get_or_create(
            organization=organization,
            name=name,
            defaults={
                "address": address,
                "postal_code": postal_code,
                "city": city,
                "is_central_function": central,
                "effective_personnel": Decimal(personnel),
                "activities": activities,
            },
        )
    admin = users.get(spec["admin"])
    if admin is not None and not ClientMembership.objects.filter(user=admin).exists():
        client_membership_create(actor=SYSTEM, user=admin, organization=organization, role=ClientRole.ADMIN)


def _seed_competences(*, users: dict, standards: dict, today: datetime.date) -> None:
    """The demo auditors' competences, valid from two years before `today` to two years after."""
    valid_from = datetime.date(today.year - 2, 1, 1)
    valid_to = datetime.date(today.year + 2, 12, 31)
    for username, code, role in COMPETENCES:
        Competence.objects.get_or_create(
            user=users[username],
            standard=standards[code],
            role=role,
            defaults={"valid_from": valid_from, "valid_to": valid_to},
        )


def _seed_nordkontakt_programme(*, users, standards, today: datetime.date) -> None:
    """ISO 18295-1 for Nordkontakt AB: stage 1 done, stage 2 planned at all three sites."""

    organization = Organization.objects.get(org_number="556677-8816")
    if CertificationProgramme.objects.filter(organization=organization).exists():
        return
    programme = programme_create(actor=SYSTEM, organization=organization, standards=[standards[ISO_18295_1]])
    _seed_nordkontakt_stage1(programme, users=users, today=today)
    _seed_nordkontakt_stage2(programme, users=users, standard=standards[ISO_18295_1], today=today)


def _seed_nordkontakt_stage1(programme, *, users, today: datetime.date) -> None:
    """Nordkontakt's stage 1 a month ago, remote at the central function, closed."""
    organization = programme.organization
    stage1 = programme.audits.get(audit_type=AuditType.STAGE1)
    stage1_day = today - datetime.timedelta(days=30)
    audit_update(
        actor=SYSTEM,
        audit=stage1,
        mode="remote",
        start_date=stage1_day,
        end_date=stage1_day,
        objectives="Review the documented system and readiness for stage 2.",
        scope="Customer contact centre services: inbound, outbound and chat.",
        criteria=ISO_18295_1,
        sites=[organization.sites.get(is_central_function=True)],
    )
    team_member_add(
        actor=SYSTEM, audit=stage1, user=users["lead"], role=TeamRole.LEAD_AUDITOR, today=stage1_day
    )
    audit_compute_time(actor=SYSTEM, audit=stage1, seed=20261)
    # Closed as it was then, before findings were kept in Certdesk: no findings, no report.
    stage1.status = AuditStatus.CLOSED
    stage1.closed_at = timezone.make_aware(datetime.datetime.combine(stage1_day, datetime.time(16)))
    stage1.closed_by = users["lead"]
    stage1.recommendation = "certify"
    stage1.conclusion = "Ready for stage 2."
    stage1.save(update_fields=["status", "closed_at", "closed_by", "recommendation", "conclusion"])


def _seed_nordkontakt_stage2(programme, *, users, standard, today: datetime.date) -> None:
    """Nordkontakt's stage 2, under way: three days, one per site, two slots a day."""
    stage2 = programme.audits.get(audit_type=AuditType.STAGE2)
    # Under way: it began yesterday at the central function and goes on today and tomorrow.
    first_day = today - datetime.timedelta(days=1)
    audit_update(
        actor=SYSTEM,
        audit=stage2,
        start_date=first_day,
        end_date=first_day + datetime.timedelta(days=2),
        objectives="Evaluate the implementation and effectiveness of the contact centre's system.",
        scope="Customer contact centre services: inbound, outbound and chat.",
        criteria=ISO_18295_1,
    )
    lead = team_member_add(
        actor=SYSTEM, audit=stage2, user=users["lead"], role=TeamRole.LEAD_AUDITOR, today=today
    )
    auditor = team_member_add(
        actor=SYSTEM, audit=stage2, user=users["auditor"], role=TeamRole.AUDITOR, today=today
    )
    audit_compute_time(actor=SYSTEM, audit=stage2, seed=20262)
    clauses = {clause.number: clause for clause in standard.clauses.filter(auditable=True)}
    morning = [clauses[n] for n in ("4.1", "4.2", "4.3", "4.4", "4.5") if n in clauses]
    afternoon = [clause for number, clause in clauses.items() if number.startswith(("6", "7", "8"))][:6]
    for offset, site in enumerate(stage2.sites.order_by("-is_central_function", "name")):
        day = plan_day_add(
            actor=SYSTEM, audit=stage2, date=first_day + datetime.timedelta(days=offset), site=site
        )
        plan_slot_add(
            actor=SYSTEM,
            day=day,
            start=datetime.time(8),
            end=datetime.time(12),
            member=lead,
            activity="Customer relationship: information, experience, complaints",
            clauses=morning,
        )
        plan_slot_add(
            actor=SYSTEM,
            day=day,
            start=datetime.time(13),
            end=datetime.time(17),
            member=auditor,
            activity="People, operations and infrastructure on the floor",
            clauses=afternoon,
        )


# (clause, grade, statement, objective evidence): yesterday's findings at the central function.
DEMO_FINDINGS = [
    ("4.1", "conforming", "", "Customer charter on the intranet and in the welcome script."),
    (
        "4.2",
        "ofi",
        "Required: information to customers is clear. Observed: the web form does not say "
        "when an answer can be expected; stating it would set expectations.",
        "Web form, 2026 version.",
    ),
    ("4.3", "conforming", "", "Survey results for Q3, follow-up actions in the team meeting notes."),
    (
        "4.4",
        "observation",
        "Required: complaints handled consistently. Observed: two of ten sampled "
        "complaints were closed without the customer being told the outcome.",
        "Complaints CRM, 10 cases.",
    ),
    (
        "4.5",
        "minor",
        "Required: customer feedback analysed for trends. Observed: no trend analysis "
        "since June 2026; monthly figures are collected but not reviewed.",
        "Feedback reports Jun-Oct.",
    ),
    (
        "6.1",
        "major",
        "Required: competence of customer contact staff ensured. Observed: 9 of 25 agents "
        "hired since March have no record of the mandatory introduction training, and 3 handle complaints.",
        "Training register and rota for week 47; interview with the team leader.",
    ),
    ("6.2", "conforming", "", "Coaching logs for four agents."),
    ("7.1", "not_applicable", "No outsourced processes in scope.", ""),
]


def _demo_photo(text: str) -> ContentFile:
    """A small JPEG drawn here, so the demo needs no files from elsewhere."""

    image = Image.new("RGB", (640, 480), (236, 242, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 600, 440), outline=(20, 60, 110), width=6)
    draw.text((70, 220), text, fill=(20, 60, 110))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return ContentFile(buffer.getvalue(), name=f"{text.lower().replace(' ', '-')}.jpg")


def _seed_stage2_findings(*, users, today: datetime.date) -> None:
    """The stage 2 under way: the plan confirmed and yesterday's findings recorded, audit still open."""

    stage2 = Audit.objects.filter(organization__org_number="556677-8816", audit_type=AuditType.STAGE2).first()
    if stage2 is None or Finding.objects.filter(audit=stage2).exists():
        return
    if stage2.status == AuditStatus.PLANNED:
        plan_confirm(actor=SYSTEM, audit=stage2)
    central = stage2.sites.get(is_central_function=True)
    clauses = {clause.number: clause for clause in stage2.standards.get().clauses.filter(auditable=True)}
    for number, grade, statement, evidence in DEMO_FINDINGS:
        if number not in clauses:
            continue
        finding = finding_create(
            audit=stage2,
            user=users["lead"] if number < "6" else users["auditor"],
            clause=clauses[number],
            site=central,
            grade=grade,
            statement=statement,
            evidence=evidence,
            interviewee_role="Team leader" if grade in ("minor", "major") else "",
        )
        if grade in ("observation", "major"):
            evidence_add(
                finding=finding,
                user=finding.recorded_by,
                upload=_demo_photo(f"Evidence {number}"),
                description=f"Photo taken on site for {number}",
                visibility=Visibility.CLIENT if grade == "major" else Visibility.TEAM,
            )


def _seed_norr_stage1(programme, *, users, today: datetime.date) -> None:
    """Kundtjänst Norr's stage 1, held remotely two months ago and closed."""
    stage1 = programme.audits.get(audit_type=AuditType.STAGE1)
    stage1_day = today - datetime.timedelta(days=60)
    audit_update(
        actor=SYSTEM,
        audit=stage1,
        mode="remote",
        start_date=stage1_day,
        end_date=stage1_day,
        criteria=ISO_18295_1,
    )
    team_member_add(
        actor=SYSTEM, audit=stage1, user=users["lead"], role=TeamRole.LEAD_AUDITOR, today=stage1_day
    )
    audit_compute_time(actor=SYSTEM, audit=stage1, seed=20263)
    stage1.status = AuditStatus.CLOSED
    stage1.closed_at = timezone.make_aware(datetime.datetime.combine(stage1_day, datetime.time(15)))
    stage1.closed_by = users["lead"]
    stage1.recommendation = "certify"
    stage1.save(update_fields=["status", "closed_at", "closed_by", "recommendation"])


def _seed_norr_stage2(programme, *, users, standard, today: datetime.date):
    """Kundtjänst Norr's stage 2 three weeks ago at Luleå: planned, findings recorded, closed."""
    lulea = programme.organization.sites.get()
    stage2 = programme.audits.get(audit_type=AuditType.STAGE2)
    day = today - datetime.timedelta(days=21)
    audit_update(
        actor=SYSTEM,
        audit=stage2,
        start_date=day,
        end_date=day,
        objectives="Evaluate the implementation and effectiveness of the contact centre's system.",
        scope="Inbound customer service by telephone and e-mail.",
        criteria=ISO_18295_1,
    )
    lead = team_member_add(
        actor=SYSTEM, audit=stage2, user=users["lead"], role=TeamRole.LEAD_AUDITOR, today=day
    )
    auditor = team_member_add(
        actor=SYSTEM, audit=stage2, user=users["auditor"], role=TeamRole.AUDITOR, today=day
    )
    audit_compute_time(actor=SYSTEM, audit=stage2, seed=20264)
    clauses = {clause.number: clause for clause in standard.clauses.filter(auditable=True)}
    plan_day = plan_day_add(actor=SYSTEM, audit=stage2, date=day, site=lulea)
    plan_slot_add(
        actor=SYSTEM,
        day=plan_day,
        start=datetime.time(8),
        end=datetime.time(12),
        member=lead,
        activity="Customer relationship and complaints",
        clauses=[clauses[n] for n in ("4.1", "4.2", "4.3", "4.4") if n in clauses],
    )
    plan_slot_add(
        actor=SYSTEM,
        day=plan_day,
        start=datetime.time(13),
        end=datetime.time(17),
        member=auditor,
        activity="People and operations",
        clauses=[clauses[n] for n in ("6.1", "6.2", "7.1") if n in clauses],
    )
    plan_confirm(actor=SYSTEM, audit=stage2)
    _seed_norr_findings(stage2, lead=users["lead"], site=lulea, clauses=clauses)
    audit_close(
        audit=stage2,
        user=users["lead"],
        recommendation="certify",
        conclusion="The contact centre's system is implemented; two minor nonconformities to correct.",
        statements=[
            StatementInput(
                standard.pk,
                Conformity.CONFORMING_WITH_NONCONFORMITIES,
                Effectiveness.EFFECTIVE,
                "Customer contacts are measured and followed up; the two minors do not affect the outcomes.",
            )
            for standard in stage2.standards.all()
        ],
        significant_changes="None since stage 1.",
    )
    return stage2


def _seed_norr_findings(stage2, *, lead, site, clauses) -> None:
    """What the lead recorded at Luleå: two minors and an OFI among conforming clauses."""
    grades = {
        "4.1": ("conforming", ""),
        "4.2": ("conforming", ""),
        "4.3": ("minor", "Required: customer satisfaction measured. Observed: no survey since March 2026."),
        "4.4": ("ofi", "Complaint categories could be aligned with the reasons customers give."),
        "6.1": ("conforming", ""),
        "6.2": ("minor", "Required: coaching recorded. Observed: no coaching records for the evening shift."),
        "7.1": ("conforming", ""),
    }
    for number, (grade, statement) in grades.items():
        if number in clauses:
            finding_create(
                audit=stage2,
                user=lead,
                clause=clauses[number],
                site=site,
                grade=grade,
                statement=statement,
                evidence="Seen on site." if statement else "",
            )


def _seed_norr_answers(stage2, *, users) -> None:
    """`other` answers both minors; the lead accepts both and verifies the survey one closed."""
    survey, coaching = stage2.nonconformities.order_by("number")
    for nonconformity, correction, cause, action in (
        (
            survey,
            "Sent the customer survey for October.",
            "The survey tool's licence lapsed in March and nobody was told.",
            "Licence renewals are in the quality calendar with a reminder to the quality manager.",
        ),
        (
            coaching,
            "Evening team leaders recorded the coaching of November.",
            "The evening shift had no template for coaching records.",
            "One coaching template for every shift, checked monthly by the operations manager.",
        ),
    ):
        nonconformity_respond(
            nonconformity=nonconformity,
            user=users["other"],
            correction=correction,
            root_cause=cause,
            corrective_action=action,
            responsible="Quality manager",
        )
        nonconformity_review(nonconformity=nonconformity, user=users["lead"], decision="accept")
    nonconformity_verify(
        nonconformity=survey,
        user=users["lead"],
        method="desk",
        comment="October survey results and the calendar entry seen.",
    )


def _seed_kundtjanst_norr(*, users, standards, today: datetime.date) -> None:
    """Kundtjänst Norr AB: stage 1 done, stage 2 closed at Luleå with two minors answered by `other`.

    One minor was accepted and verified closed; the other's plan was accepted and waits for the
    next audit. Its whole history is there to read.
    """

    organization = Organization.objects.get(org_number="559100-2349")
    if CertificationProgramme.objects.filter(organization=organization).exists():
        return
    standard = standards[ISO_18295_1]
    programme = programme_create(actor=SYSTEM, organization=organization, standards=[standard])
    _seed_norr_stage1(programme, users=users, today=today)
    stage2 = _seed_norr_stage2(programme, users=users, standard=standard, today=today)
    _seed_norr_answers(stage2, users=users)
    # Certified: `staff`, who was on no audit team, grants it; the public page works at once.

    decision_record(
        audit=stage2,
        user=users["staff"],
        outcome="grant",
        rationale="Stage 1 and 2 show an effective system; both minors answered with accepted plans.",
    )
    # Staff brought the first surveillance forward (a scheme may ask for it sooner): due in 45 days
    # and not dated yet, it is on the staff's "what is due" and can be planned from /planning/due/.
    surveillance = programme.audits.get(audit_type=AuditType.SURVEILLANCE, sequence=1)
    audit_update(actor=SYSTEM, audit=surveillance, due_date=today + datetime.timedelta(days=45))


def _seed_mittkontakt_combined(*, users, standards, today: datetime.date) -> None:
    """Mittkontakt Service AB: ISO 9001 and ISO 18295-1 in one combined programme (IAF MD 11).

    Stage 1 is planned in three weeks with the lead, who is competent for both standards; its time
    is the sum of each standard's, less 15 % for the client's largely integrated system.
    """
    organization = Organization.objects.get(org_number="556812-3458")
    if CertificationProgramme.objects.filter(organization=organization).exists():
        return
    programme = programme_create(
        actor=SYSTEM, organization=organization, standards=[standards[ISO_9001], standards[ISO_18295_1]]
    )
    stage1 = programme.audits.get(audit_type=AuditType.STAGE1)
    first_day = today + datetime.timedelta(days=21)
    audit_update(
        actor=SYSTEM,
        audit=stage1,
        start_date=first_day,
        end_date=first_day + datetime.timedelta(days=2),
        objectives="Review the integrated management system's documentation and readiness for stage 2.",
        scope="Outsourced customer contact centre services: inbound calls and chat for energy and "
        "telecom clients.",
        criteria=f"{ISO_9001}, {ISO_18295_1}",
    )
    team_member_add(actor=SYSTEM, audit=stage1, user=users["lead"], role=TeamRole.LEAD_AUDITOR, today=today)
    audit_compute_time(
        actor=SYSTEM,
        audit=stage1,
        integration=Integration(
            percent=Decimal(15),
            justification="One management manual, one management review and one internal audit "
            "programme cover both standards; customer-contact procedures are kept apart",
        ),
        seed=20265,
    )


def _seed_samtal_vast_transfer(*, users, standards, today: datetime.date) -> None:
    """Samtal Väst AB's ISO 9001 certificate from another body, under the lead's pre-transfer review
    (IAF MD 2): issued 15 months ago, after its first surveillance; the current certificate
    uploaded; the issuing body's major closed, a minor still open; four checklist items answered."""
    organization = Organization.objects.get(org_number="556901-2341")
    if Transfer.objects.filter(organization=organization).exists():
        return
    issued = add_months(today, -15)
    staff, lead = users["staff"], users["lead"]
    transfer = transfer_create(
        user=staff,
        organization=organization,
        standard=standards[ISO_9001],
        sites=list(organization.sites.all()),
        certificate_number="NQC-9001-2231",
        issuing_body="Nordic Quality Certification AB",
        accreditation_body="Swedac",
        accredited=True,
        accreditation_recognised=True,
        scope="Inbound customer service and chat for retail clients.",
        issue_date=issued,
        expiry_date=add_months(issued, 36) - datetime.timedelta(days=1),
        cycle_stage=CycleStage.AFTER_SURVEILLANCE_1,
        reasons="The client wants one body for ISO 9001 and, next year, ISO 18295-1.",
    )
    transfer_document_add(
        user=staff,
        transfer=transfer,
        upload=_demo_photo("NQC-9001-2231"),
        kind=DocumentKind.CERTIFICATE,
        description="The current certificate",
    )
    major = nonconformity_record(
        user=staff,
        transfer=transfer,
        reference="NQC NC 2",
        grade=NcGrade.MAJOR,
        description="Customer complaints were not analysed for trends.",
    )
    nonconformity_close(
        user=staff,
        nonconformity=major,
        closed_on=today - datetime.timedelta(days=40),
        closure_note="The issuing body's verification report shows monthly trend analyses since then.",
    )
    nonconformity_record(
        user=staff,
        transfer=transfer,
        reference="NQC NC 3",
        grade=NcGrade.MINOR,
        description="Two agents had no refresher training this year.",
    )
    transfer_assign_reviewer(user=staff, transfer=transfer, reviewer=lead)
    transfer_start_review(user=staff, transfer=transfer)
    notes = [
        "Certificate checked on IAF CertSearch: valid, not suspended.",
        "Swedac is an IAF MLA signatory for ISO 9001.",
        "Customer service within our accredited scope for ISO 9001.",
        "Wants one body for ISO 9001 and ISO 18295-1.",
    ]
    for item, note in zip(transfer.review_items.order_by("order"), notes, strict=False):
        review_item_answer(user=lead, item=item, answer=ReviewAnswer.CONFIRMED, note=note)


def _seed_complaint_and_appeal(*, users) -> None:
    """A member of the public's complaint about Kundtjänst Norr's service, under investigation by
    `auditor`, and Kundtjänst Norr's appeal against the grade of one of its minors, acknowledged."""
    if Complaint.objects.exists() or Appeal.objects.exists():
        return
    certificate = Certificate.objects.filter(organization__org_number="559100-2349").first()
    if certificate is None:
        return
    complaint = complaint_file(
        user=users["staff"],
        source=CaseSource.STAFF,
        subject="Calls to Kundtjänst Norr go unanswered",
        description=(
            "A caller says that calls to Kundtjänst Norr's customer service after 17:00 ring out "
            "unanswered, though its web page promises service until 20:00."
        ),
        submitter_name="Johan Lind",
        submitter_email="johan.lind@example.se",
        submitter_language="sv",
        certificate=certificate,
    )
    case_acknowledge(user=users["staff"], case=complaint)
    complaint = case_assign(user=users["staff"], case=complaint, investigator=users["auditor"])
    case_report_progress(
        user=users["auditor"],
        case=complaint,
        text="We have asked Kundtjänst Norr for its call statistics for the last three months.",
        visible_to_submitter=True,
    )
    nonconformity = (
        Nonconformity.objects.filter(audit__organization=certificate.organization).order_by("number").first()
    )
    if nonconformity is None:
        return
    appeal = appeal_file(
        user=users["other"],
        source=CaseSource.PORTAL,
        subject=f"Grade of {nonconformity.number}",
        description="The finding is an observation, not a nonconformity: the routine was followed.",
        nonconformity=nonconformity,
    )
    case_acknowledge(user=users["staff"], case=appeal)
