"""The benchmark dataset (issue 9): a certification body's database at the size Certdesk must stay fast at.

Issue 9 asks that pages and API stay fast with at least 200 organisations with 600 sites, 10,000
audits, 2 standards of about 120 clauses each, one audit with 3 sites and 300 findings with evidence,
and 100,000 certificates. `build(FULL)` makes exactly that; `build(QUICK)` the same shape, small
enough for a test. What is made:

- Three users, password "bench-password-1", each with a DRF token: bench-staff (certification
  staff), bench-lead (auditor with a lead-auditor competence for BENCH-A), bench-client (client admin
  of the first organisation, the one with the big audit).
- Two synthetic standards, BENCH-A:2026 and BENCH-B:2026: headings 4, 5, ... (not auditable) with ten
  auditable clauses each (4.1 ... 4.10), each standard with the "iso-18295" certification scheme.
- Organisations with three sites each (the first the central function), one BENCH-A programme each.
- The first organisation's programme is made by the real services (programme_create,
  programme_set_decision, audit_update, team_member_add, audit_compute_time, plan_day_add,
  plan_slot_add): stage 1, stage 2 and both surveillances closed, a grant decision on stage 2, and its
  recertification is *the big audit*: today to today + 2, the lead as lead auditor, audit time
  computed, one plan day at each of its 3 sites with the lead's slots over every clause, in progress,
  with `big_audit_findings` findings over (clause, site) pairs (100 clauses x 3 sites for 300),
  recorded by the lead, each with one evidence row and the history rows the services write. The
  evidence files are not on disk (downloads answer "missing").
- The other audits are bulk-created round-robin over the other organisations, each organisation's in
  the order of a cycle (stage 1, stage 2, surveillance, surveillance, recertification, ..., now and
  then a special audit) spread over about eight years up to now: past ones closed (a few cancelled),
  the current one in progress or confirmed, later ones confirmed or planned (some without dates yet).
  Each with its standard and the sites its type visits. Each organisation's stage 2 has a grant
  decision, which its certificates share (Decision is one per audit; Certificate.decision a plain FK).
- The lead is lead auditor on `lead_audits` of those audits besides the big one: team rows, guardian
  view and change on each audit and view on their organisations, as team_member_add grants them, and
  the security-log rows it writes. So the lead sees exactly lead_audits + 1 audits.
- `certificates` certificates round-robin over all organisations, numbered as the app numbers them
  (CERT-<year of first issue>-0001, counting per year; audits.numbering), about 85 % active and the
  rest suspended, withdrawn or expired, none confidential, each with its standard and one of its
  organisation's sites. The CERT number sequences are set past them, so a certificate the app issues
  afterwards gets a fresh number. No revisions, so no certificate PDFs.

Deterministic: everything random comes from random.Random(seed), in a fixed order; dates are
relative to the day of the build (timezone.localdate()), so a build on another day is the same data
moved in time. Only the token keys are random (they are credentials).

Fast: bulk inserts in batches inside one transaction; per-row saves only for the handful of records
the services make. FULL builds in about 30 s on SQLite (mostly the ORM preparing 350,000 rows).

`describe()` gives the World of an already generated database by looking its records up, so a runner
can reuse a database without building it again. Import this module after django.setup(); only
Size, FULL, QUICK and World are usable before it.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from core.actors import SYSTEM

PASSWORD = "bench-password-1"  # noqa: S105 - the benchmark users are throwaway accounts
STAFF_USERNAME = "bench-staff"
LEAD_USERNAME = "bench-lead"
CLIENT_USERNAME = "bench-client"
STANDARD_CODES = ("BENCH-A:2026", "BENCH-B:2026")
SCHEME_PRESET = "iso-18295"
CLAUSES_PER_HEADING = 10
FIRST_HEADING = 4  # clause numbering starts at 4, as in the ISO management-system structure
BATCH_SIZE = 4000
CERTIFICATE_CHUNK = 10_000  # certificates held in memory at once
YEARS_OF_HISTORY = 8
FINDING_CLAUSES = 100  # the big audit's findings go over this many clauses at each of its sites


@dataclass(frozen=True)
class Size:
    organizations: int
    sites_per_organization: int
    audits: int
    clauses_per_standard: int
    big_audit_findings: int
    certificates: int
    lead_audits: int  # audits the lead auditor is on (guardian-scoped), besides the big audit


FULL = Size(200, 3, 10_000, 120, 300, 100_000, 100)
QUICK = Size(10, 3, 200, 120, 300, 1_000, 20)


@dataclass
class World:
    """What the runner needs, as plain values."""

    staff: str  # usernames; every password is PASSWORD
    lead: str
    client: str
    tokens: dict[str, str]  # username -> DRF token key
    big_audit: int
    big_site: int  # one of the big audit's sites (the central function)
    big_clause: int  # an auditable clause of the big audit's standard (the last one), for POSTing a finding
    client_organization: int
    certificate_number: str  # an active, listed certificate in the middle of the range
    counts: dict[str, int]  # rows per model in the database ("audits.Audit": 10000, ...)


# -- Words --------------------------------------------------------------------------------------

CITIES = [
    ("Stockholm", "111 51"),
    ("Göteborg", "411 19"),
    ("Malmö", "211 22"),
    ("Uppsala", "753 20"),
    ("Västerås", "722 15"),
    ("Örebro", "702 10"),
    ("Linköping", "582 24"),
    ("Helsingborg", "252 21"),
    ("Jönköping", "553 20"),
    ("Norrköping", "602 24"),
    ("Lund", "222 21"),
    ("Umeå", "903 26"),
    ("Gävle", "803 20"),
    ("Borås", "503 30"),
    ("Sundsvall", "852 30"),
    ("Luleå", "972 31"),
    ("Karlstad", "652 25"),
    ("Växjö", "352 30"),
]
STREETS = ["Drottninggatan", "Kungsgatan", "Storgatan", "Sveavägen", "Hamngatan", "Industrigatan"]
NAME_WORDS = ["Nord", "Syd", "Väst", "Öst", "Mitt", "Fjäll", "Kust", "Sjö", "Skog", "Berg", "Dal", "Älv"]
NAME_KINDS = ["Kontakt", "Kundtjänst", "Service", "Support", "Samtal", "Dialog"]
HEADINGS = [
    "Customer relationship",
    "Contact centre organisation",
    "Employees",
    "Work environment",
    "Information security",
    "Customer communication",
    "Complaints handling",
    "Performance monitoring",
    "Continual improvement",
    "Client agreements",
    "Resources",
    "Leadership",
]
CLAUSE_TITLES = [
    "General",
    "Responsibilities",
    "Documented information",
    "Competence",
    "Communication",
    "Monitoring",
    "Records",
    "Review",
    "Changes",
    "Evaluation",
]
ACTIVITIES = [
    "Inbound customer service by telephone and chat",
    "Outbound calls and customer surveys",
    "Complaints handling and escalation",
    "E-mail and social media customer service",
    "Technical support, first and second line",
]
SCOPES = [
    "Customer contact centre services: inbound customer service by telephone, e-mail and chat.",
    "Customer contact centre services for clients in energy and telecoms: inbound and outbound calls.",
    "Outsourced customer service and technical support for consumer electronics.",
    "Customer service, complaints handling and customer surveys for public transport.",
]
OBJECTIVES = "Determine the conformity of the contact centre's services with the standard's requirements."
CRITERIA = "The standard; the client's documented procedures and client agreements."
CONCLUSION = "The requirements are implemented and maintained; the team recommends certification."
RATIONALE = "Stage 1 and stage 2 reports reviewed: all requirements met, no open nonconformity."
JUSTIFICATION = "Each site gets a full day: every clause is audited at every site at recertification."

PLANNED_DAYS = {
    "stage1": ("0.5", "1.0"),
    "stage2": ("1.5", "2.0", "2.5", "3.0"),
    "surveillance": ("1.0", "1.5"),
    "recertification": ("1.5", "2.0", "2.5"),
    "special": ("0.5", "1.0"),
}
# (grade, weight): mostly conforming, as on a real checklist.
GRADES = [("conforming", 72), ("ofi", 10), ("observation", 8), ("minor", 7), ("major", 3)]
# (status, weight) of the certificates.
CERTIFICATE_STATUSES = [("active", 85), ("suspended", 5), ("withdrawn", 5), ("expired", 5)]


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    from django.utils import timezone

    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([value for value, _weight in choices], weights=[w for _value, w in choices])[0]


def _batches(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bulk(model, rows: list) -> list:
    """bulk_create in batches; the rows come back with their primary keys (SQLite 3.35+, PostgreSQL)."""
    created = model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    assert not created or created[-1].pk is not None, f"{model.__name__}: the database returned no ids"
    return created


# -- Build --------------------------------------------------------------------------------------


def build(size: Size = FULL, seed: int = 18295) -> World:
    """Generate the dataset into the default database (which must not hold one yet) and describe it."""
    from django.db import transaction
    from django.utils import timezone

    _check_size(size)
    _check_not_generated()
    rng = random.Random(seed)
    today = timezone.localdate()
    with transaction.atomic():
        staff, lead, client = _users()
        standard_a, _standard_b = (_standard(code, size.clauses_per_standard) for code in STANDARD_CODES)
        organizations, sites = _organizations(rng, size)
        big_organization = organizations[0]
        _client_and_competence(client, lead, big_organization, standard_a, today)
        big_audit, big_stage2 = _big_programme(rng, big_organization, sites[0], standard_a, lead, today)
        stage2_by_org, lead_audits = _bulk_audits(
            rng, size, organizations[1:], sites, standard_a, lead, today
        )
        decisions = _decisions(staff, {big_organization.pk: big_stage2, **stage2_by_org})
        _lead_grants(lead, lead_audits)
        _findings(rng, big_audit, standard_a, lead, size.big_audit_findings, seed)
        _certificates(rng, size, organizations, sites, standard_a, decisions, today)
        _tokens([staff, lead, client])
    return describe()


def _check_size(size: Size) -> None:
    others = size.organizations - 1
    if size.organizations < 2 or not 1 <= size.sites_per_organization <= 3:
        raise ValueError("Need at least 2 organisations and 1 to 3 sites each.")
    bulk = size.audits - 5  # the big organisation's programme has five audits
    if bulk < 2 * others:
        raise ValueError(f"{size.audits} audits are too few: every organisation needs its stage 1 and 2.")
    if size.lead_audits > bulk:
        raise ValueError("More lead audits than audits.")


def _check_not_generated() -> None:
    from standards.models import Standard

    if Standard.objects.filter(code__in=STANDARD_CODES).exists():
        raise RuntimeError(
            "This database already holds the benchmark dataset: use describe(), or a fresh one."
        )


def _users():
    from django.contrib.auth import get_user_model

    from accounts.roles import AUDITORS, STAFF, ensure_role_groups

    groups = ensure_role_groups()
    User = get_user_model()
    users = []
    for username, first, last in (
        (STAFF_USERNAME, "Sara", "Lindqvist"),
        (LEAD_USERNAME, "Lars", "Berg"),
        (CLIENT_USERNAME, "Karin", "Nord"),
    ):
        user = User(username=username, first_name=first, last_name=last, email=f"{username}@bench.example")
        user.is_staff = username == STAFF_USERNAME
        user.set_password(PASSWORD)
        user.save()
        users.append(user)
    staff, lead, client = users
    staff.groups.add(groups[STAFF])
    lead.groups.add(groups[AUDITORS])
    return staff, lead, client  # the client's group comes with its membership


def _standard(code: str, clauses: int):
    from standards.models import CertificationScheme, Clause, Standard
    from standards.policy import SCHEME_PRESETS

    standard = Standard.objects.create(
        code=code,
        title=f"Benchmark standard {code.split(':')[0][-1]}: customer contact centres",
        edition="2026",
        description="Synthetic clause library for the benchmark (bench/dataset.py).",
    )
    CertificationScheme.objects.create(standard=standard, **copy.deepcopy(SCHEME_PRESETS[SCHEME_PRESET]))
    heading_count = math.ceil(clauses / CLAUSES_PER_HEADING)
    headings = _bulk(
        Clause,
        [
            Clause(
                standard=standard,
                number=str(FIRST_HEADING + h),
                title=HEADINGS[h % len(HEADINGS)],
                order=h * (CLAUSES_PER_HEADING + 1),
                auditable=False,
            )
            for h in range(heading_count)
        ],
    )
    children = []
    for n in range(clauses):
        h, j = divmod(n, CLAUSES_PER_HEADING)
        children.append(
            Clause(
                standard=standard,
                number=f"{FIRST_HEADING + h}.{j + 1}",
                title=CLAUSE_TITLES[j % len(CLAUSE_TITLES)],
                parent=headings[h],
                order=h * (CLAUSES_PER_HEADING + 1) + j + 1,
            )
        )
    _bulk(Clause, children)
    return standard


def _org_number(n: int) -> str:
    from clients.validators import luhn_check_digit

    base = f"559{n:06d}"
    return f"{base[:6]}-{base[6:]}{luhn_check_digit(base)}"


def _organizations(rng: random.Random, size: Size):
    """The organisations, and per organisation (same order) its sites, central function first."""
    from clients.models import Organization, Site

    organizations, site_rows = [], []
    for i in range(size.organizations):
        places = rng.sample(CITIES, size.sites_per_organization)
        legal_name = f"{rng.choice(NAME_WORDS)}{rng.choice(NAME_KINDS).lower()} {i + 1:03d} AB"
        organizations.append(
            Organization(
                legal_name=legal_name,
                org_number=_org_number(i),
                address=f"{rng.choice(STREETS)} {rng.randint(1, 80)}",
                postal_code=places[0][1],
                city=places[0][0],
                country="SE",
                contact_name="Kim Andersson",
                contact_email=f"contact{i + 1}@org{i + 1}.bench.example",
                contact_phone=f"+46 8 {rng.randint(100, 999)} {rng.randint(10, 99)} 00",
            )
        )
        site_rows.append(places)
    organizations = _bulk(Organization, organizations)
    sites = []
    for organization, places in zip(organizations, site_rows, strict=True):
        for j, (city, postal_code) in enumerate(places):
            central = j == 0
            personnel = rng.randint(40, 300) if central else rng.randint(5, 150)
            sites.append(
                Site(
                    organization=organization,
                    name=city,
                    address=f"{rng.choice(STREETS)} {rng.randint(1, 80)}",
                    postal_code=postal_code,
                    city=city,
                    country="SE",
                    is_central_function=central,
                    effective_personnel=Decimal(personnel) + (Decimal("0.5") if rng.random() < 0.3 else 0),
                    activities=("Head office; " if central else "") + rng.choice(ACTIVITIES),
                )
            )
    sites = _bulk(Site, sites)
    per = size.sites_per_organization
    return organizations, [sites[i * per : (i + 1) * per] for i in range(len(organizations))]


def _client_and_competence(client, lead, organization, standard, today: datetime.date) -> None:
    from audits.models import Competence, TeamRole
    from clients.models import ClientRole
    from clients.services import client_membership_create

    client_membership_create(actor=SYSTEM, user=client, organization=organization, role=ClientRole.ADMIN)
    Competence.objects.create(
        user=lead,
        standard=standard,
        role=TeamRole.LEAD_AUDITOR,
        valid_from=today.replace(day=1) - _days(3 * 365),
        valid_to=today + _days(3 * 365),
        notes="Benchmark lead auditor.",
    )


def _big_programme(rng: random.Random, organization, sites, standard, lead, today: datetime.date):
    """The first organisation's cycle through the services; returns (the big audit, its stage 2)."""
    from audits.cycle import add_months
    from audits.models import (
        Audit,
        AuditMode,
        AuditSite,
        AuditStatus,
        AuditType,
        Recommendation,
        TeamRole,
    )
    from audits.services import (
        audit_compute_time,
        audit_update,
        plan_day_add,
        plan_slot_add,
        programme_create,
        programme_set_decision,
        team_member_add,
    )

    programme = programme_create(actor=SYSTEM, organization=organization, standards=[standard])
    audits = {(audit.audit_type, audit.sequence): audit for audit in programme.audits.all()}
    decided_on = add_months(today, -33)  # the recertification falls due in a few months
    programme_set_decision(actor=SYSTEM, programme=programme, decision_date=decided_on)
    surveillance_1 = Audit.objects.get(pk=audits[(AuditType.SURVEILLANCE, 1)].pk)
    surveillance_2 = Audit.objects.get(pk=audits[(AuditType.SURVEILLANCE, 2)].pk)
    central, *others = sites
    past = [
        (audits[(AuditType.STAGE1, 1)], decided_on - _days(75), 1, "0.5", AuditMode.REMOTE, [central]),
        (audits[(AuditType.STAGE2, 1)], decided_on - _days(40), 3, "2.5", AuditMode.ON_SITE, sites),
        (surveillance_1, surveillance_1.due_date - _days(25), 1, "1.0", AuditMode.ON_SITE, sites[:2]),
        (
            surveillance_2,
            min(surveillance_2.due_date - _days(40), today - _days(40)),
            1,
            "1.0",
            AuditMode.ON_SITE,
            [central, *others[1:2]],
        ),
    ]
    site_rows = []
    for audit, start, length, days, mode, visited in past:
        end = start + _days(length - 1)
        Audit.objects.filter(pk=audit.pk).update(
            status=AuditStatus.CLOSED,
            mode=mode,
            start_date=start,
            end_date=end,
            planned_days=Decimal(days),
            scope=SCOPES[0],
            objectives=OBJECTIVES,
            criteria=CRITERIA,
            confirmed_at=_at(start - _days(14), 10),
            closed_at=_at(end + _days(2), 15),
            recommendation=Recommendation.CERTIFY,
            conclusion=CONCLUSION,
        )
        site_rows += [AuditSite(audit_id=audit.pk, site=site) for site in visited]
    _bulk(AuditSite, site_rows)

    big = audits[(AuditType.RECERTIFICATION, 1)]
    big.refresh_from_db()
    audit_update(
        actor=SYSTEM,
        audit=big,
        mode=AuditMode.ON_SITE,
        start_date=today,
        end_date=today + _days(2),
        scope=SCOPES[0],
        objectives=OBJECTIVES,
        criteria=CRITERIA,
    )
    member = team_member_add(actor=SYSTEM, audit=big, user=lead, role=TeamRole.LEAD_AUDITOR, today=today)
    audit_compute_time(actor=SYSTEM, audit=big, seed=rng.randrange(1, 2**31))
    if set(big.sites.values_list("pk", flat=True)) != {site.pk for site in sites}:
        audit_update(
            actor=SYSTEM, audit=big, sites=sites
        )  # the sample took fewer: this audit visits them all
    clauses = list(standard.clauses.filter(auditable=True).order_by("order"))
    half = len(clauses) // 2
    for i, site in enumerate(sites):
        day = plan_day_add(actor=SYSTEM, audit=big, date=today + _days(i), site=site)
        for start, end, activity, chosen in (
            (datetime.time(9), datetime.time(12), "Customer relationship and organisation", clauses[:half]),
            (datetime.time(13), datetime.time(16, 30), "Operations and improvement", clauses[half:]),
        ):
            plan_slot_add(
                actor=SYSTEM, day=day, start=start, end=end, member=member, activity=activity, clauses=chosen
            )
    Audit.objects.filter(pk=big.pk).update(
        status=AuditStatus.IN_PROGRESS,
        confirmed_at=_at(today - _days(14), 10),
        plan_justification=JUSTIFICATION,
    )
    big.refresh_from_db()
    return big, Audit.objects.select_related("programme").get(pk=audits[(AuditType.STAGE2, 1)].pk)


def _audit_type(rng: random.Random, k: int) -> str:
    if k == 0:
        return "stage1"
    if k == 1:
        return "stage2"
    if rng.random() < 0.05:
        return "special"
    return ("surveillance", "surveillance", "recertification")[(k - 2) % 3]


def _bulk_audits(rng, size: Size, organizations, sites, standard, lead, today: datetime.date):
    """The other organisations' programmes and audits; returns (stage 2 per org id, the lead's audits)."""
    from audits.models import (
        Audit,
        AuditMode,
        AuditSite,
        AuditStandard,
        AuditStatus,
        CertificationProgramme,
        ProgrammeStandard,
        Recommendation,
    )

    count = size.audits - 5
    lead_indexes = set(rng.sample(range(count), size.lead_audits))
    per_org = len(organizations)
    totals = [count // per_org + (1 if o < count % per_org else 0) for o in range(per_org)]
    sequences = [Counter() for _ in organizations]
    audits, visits, stage2 = [], [], {}
    for index in range(count):
        o, k = index % per_org, index // per_org
        organization, org_sites, n = organizations[o], sites[o + 1], totals[o]
        audit_type = _audit_type(rng, k)
        sequences[o][audit_type] += 1
        days = Decimal(rng.choice(PLANNED_DAYS[audit_type]))
        span = max(1, math.ceil(days))
        current = max(n - 3, 2)
        step = max(21, YEARS_OF_HISTORY * 365 // n)
        nominal = today + _days((k - current) * step + rng.randint(-10, 10))
        closed_at = confirmed_at = None
        if k < current:
            # Stage 1 and 2 are never cancelled: the certificates rest on the decision on stage 2.
            cancelled = k >= 2 and rng.random() < 0.03
            start, status = nominal, AuditStatus.CANCELLED if cancelled else AuditStatus.CLOSED
        elif k == current and rng.random() < 0.5:
            start, status = today - _days(rng.randint(0, span - 1)), AuditStatus.IN_PROGRESS
        elif k == current:
            start, status = today + _days(rng.randint(3, 30)), AuditStatus.CONFIRMED
        else:
            start = nominal
            soon = (start - today).days <= 60
            status = AuditStatus.CONFIRMED if soon and rng.random() < 0.7 else AuditStatus.PLANNED
            if status == AuditStatus.PLANNED and rng.random() < 0.3:
                start = None  # not scheduled yet: only its due date
        end = start + _days(span - 1) if start else None
        if start and status in (AuditStatus.CONFIRMED, AuditStatus.IN_PROGRESS, AuditStatus.CLOSED):
            confirmed_at = _at(start - _days(14), 10)
        if status == AuditStatus.CLOSED:
            closed_at = _at(end + _days(rng.randint(1, 5)), 15)
        if audit_type == "stage1":
            mode = AuditMode.REMOTE if rng.random() < 0.6 else AuditMode.ON_SITE
        else:
            mode = _weighted(rng, [(AuditMode.ON_SITE, 85), (AuditMode.HYBRID, 10), (AuditMode.REMOTE, 5)])
        due = None if audit_type in ("stage1", "stage2") else nominal + _days(rng.randint(-20, 40))
        central, *others = org_sites
        if audit_type == "stage1":
            visited = [central]
        elif audit_type in ("stage2", "recertification"):
            visited = org_sites
        elif audit_type == "surveillance":
            visited = [central, *rng.sample(others, min(1, len(others)))]
        else:
            visited = [rng.choice(org_sites)]
        closed = status == AuditStatus.CLOSED
        audit = Audit(
            organization=organization,
            audit_type=audit_type,
            sequence=sequences[o][audit_type],
            mode=mode,
            status=status,
            start_date=start,
            end_date=end,
            due_date=due,
            objectives=OBJECTIVES,
            scope=SCOPES[o % len(SCOPES)],
            criteria=CRITERIA,
            language="English" if rng.random() < 0.1 else "Swedish",
            planned_days=days,
            confirmed_at=confirmed_at,
            recommendation=Recommendation.CERTIFY if closed else "",
            conclusion=CONCLUSION if closed else "",
            closed_at=closed_at,
            closed_by=lead if closed and index in lead_indexes else None,
        )
        audits.append(audit)
        visits.append(visited)
        if k == 1:
            stage2[organization.pk] = audit

    programmes = {}
    for organization in organizations:
        stage2_end = stage2[organization.pk].end_date
        decided_on = min(stage2_end + _days(21), today - _days(1))
        programmes[organization.pk] = CertificationProgramme(
            organization=organization, decision_date=decided_on
        )
    _bulk(CertificationProgramme, list(programmes.values()))
    _bulk(ProgrammeStandard, [ProgrammeStandard(programme=p, standard=standard) for p in programmes.values()])
    for audit in audits:
        audit.programme = programmes[audit.organization_id]
    audits = _bulk(Audit, audits)
    _bulk(AuditStandard, [AuditStandard(audit=audit, standard=standard) for audit in audits])
    _bulk(
        AuditSite,
        [
            AuditSite(audit=audit, site=site)
            for audit, visited in zip(audits, visits, strict=True)
            for site in visited
        ],
    )
    return stage2, [audits[i] for i in sorted(lead_indexes)]


def _decisions(staff, stage2_by_org: dict) -> dict:
    """A grant decision on each organisation's stage 2, dated as its programme; by organisation id."""
    from certificates.models import Decision, DecisionOutcome

    decisions = {
        organization_id: Decision(
            audit=audit,
            outcome=DecisionOutcome.GRANT,
            rationale=RATIONALE,
            decided_on=audit.programme.decision_date,
            decided_by=staff,
        )
        for organization_id, audit in stage2_by_org.items()
    }
    _bulk(Decision, list(decisions.values()))
    return decisions


def _lead_grants(lead, audits: list) -> None:
    """What team_member_add does for each audit, in bulk: team row, audit and organisation grants, log."""
    from django.contrib.auth.models import Permission

    from accounts.models import SecurityEvent, SecurityEventKind
    from audits.models import AuditUserObjectPermission, TeamMember, TeamRole
    from audits.services import TEAM_PERMISSIONS
    from clients.models import OrganizationUserObjectPermission

    def permission(name: str):
        app_label, codename = name.split(".")
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)

    audit_permissions = [permission(name) for name in TEAM_PERMISSIONS]
    view_organization = permission("clients.view_organization")
    _bulk(TeamMember, [TeamMember(audit=audit, user=lead, role=TeamRole.LEAD_AUDITOR) for audit in audits])
    _bulk(
        AuditUserObjectPermission,
        [
            AuditUserObjectPermission(user=lead, permission=perm, content_object=audit)
            for audit in audits
            for perm in audit_permissions
        ],
    )
    already = set(
        OrganizationUserObjectPermission.objects.filter(user=lead, permission=view_organization).values_list(
            "content_object_id", flat=True
        )
    )
    organization_ids = sorted({audit.organization_id for audit in audits} - already)
    _bulk(
        OrganizationUserObjectPermission,
        [
            OrganizationUserObjectPermission(user=lead, permission=view_organization, content_object_id=pk)
            for pk in organization_ids
        ],
    )
    events = [
        SecurityEvent(
            kind=SecurityEventKind.PERMISSION_GRANTED,
            target=f"user {lead.username}",
            organization_id=pk,
            details={"permission": "clients.view_organization"},
        )
        for pk in organization_ids
    ]
    events += [
        SecurityEvent(
            kind=SecurityEventKind.TEAM_ADDED,
            target=f"audit {audit.pk}",
            organization_id=audit.organization_id,
            details={"member": lead.username, "role": TeamRole.LEAD_AUDITOR.value},
        )
        for audit in audits
    ]
    _bulk(SecurityEvent, events)


def _findings(rng: random.Random, audit, standard, lead, count: int, seed: int) -> None:
    """The big audit's findings over (clause, site) pairs, each with one evidence file and its history."""
    from findings.models import ChangeAction, Evidence, Finding, FindingChange, Grade, Visibility

    clauses = list(standard.clauses.filter(auditable=True).order_by("order")[:FINDING_CLAUSES])
    sites = list(audit.sites.order_by("-is_central_function", "name", "id"))
    findings = []
    for n in range(count):
        clause = clauses[(n // len(sites)) % len(clauses)]
        site = sites[n % len(sites)]
        grade = _weighted(rng, GRADES)
        if grade == Grade.CONFORMING and rng.random() < 0.5:
            statement = ""
        else:
            statement = (
                f"Required: {clause.number} {clause.title.lower()} as the standard sets out. "
                f"Observed at {site.name}: "
                + (
                    "in place and followed."
                    if grade == "conforming"
                    else "not consistently applied; two of five samples lacked the record."
                )
            )
        findings.append(
            Finding(
                audit=audit,
                clause=clause,
                site=site,
                grade=grade,
                statement=statement,
                evidence=f"Interviewed the team leader; sampled {rng.randint(3, 12)} contacts from week "
                f"{rng.randint(1, 52)}.",
                interviewee_role=rng.choice(["Team leader", "Site manager", "Quality coordinator", "Agent"]),
                recorded_by=lead,
                updated_by=lead,
            )
        )
    findings = _bulk(Finding, findings)
    evidence = []
    for n, finding in enumerate(findings, start=1):
        evidence.append(
            Evidence(
                finding=finding,
                audit=audit,
                file=f"evidence/bench/{n}.jpg",
                original_name=f"IMG_{4000 + n}.jpg",
                content_type="image/jpeg",
                size=rng.randint(150_000, 4_000_000),
                sha256=hashlib.sha256(f"bench-evidence-{seed}-{n}".encode()).hexdigest(),
                description=f"Photo at {finding.site.name}, clause {finding.clause.number}",
                visibility=Visibility.CLIENT if rng.random() < 0.2 else Visibility.TEAM,
                uploaded_by=lead,
            )
        )
    evidence = _bulk(Evidence, evidence)
    fields = ("clause", "site", "grade", "statement", "evidence", "interviewee_role")
    changes = [
        FindingChange(
            audit=audit,
            finding=finding,
            action=ChangeAction.CREATED,
            changes={
                name: [None, getattr(finding, f"{name}_id" if name in ("clause", "site") else name)]
                for name in fields
            },
            version=1,
            changed_by=lead,
        )
        for finding in findings
    ]
    changes += [
        FindingChange(
            audit=audit,
            finding=item.finding,
            evidence=item,
            action=ChangeAction.EVIDENCE_ADDED,
            changes={
                name: [None, getattr(item, name)]
                for name in ("original_name", "content_type", "size", "sha256", "description", "visibility")
            },
            version=1,
            changed_by=lead,
        )
        for item in evidence
    ]
    _bulk(FindingChange, changes)


def _certificates(rng, size: Size, organizations, sites, standard, decisions: dict, today: datetime.date):
    """Certificates round-robin over the organisations, numbered per year of first issue, in chunks."""
    from audits.models import CertificationProgramme, NumberSequence
    from certificates.models import Certificate, CertificateSite, CertificateStandard, CertificateStatus
    from certificates.services import CERTIFICATE_SERIES

    programmes = dict(
        CertificationProgramme.objects.filter(organization__in=organizations).values_list(
            "organization_id", "pk"
        )
    )
    entities = [(o.legal_name, o.full_address) for o in organizations]
    last = dict(NumberSequence.objects.filter(series=CERTIFICATE_SERIES).values_list("year", "last"))
    numbers = Counter()
    for chunk_start in range(0, size.certificates, CERTIFICATE_CHUNK):
        certificates, certified_sites = [], []
        for i in range(chunk_start, min(chunk_start + CERTIFICATE_CHUNK, size.certificates)):
            o = i % len(organizations)
            organization = organizations[o]
            status = _weighted(rng, CERTIFICATE_STATUSES)
            if status == CertificateStatus.EXPIRED:
                issue = today - _days(rng.randint(3 * 365 + 30, 6 * 365))
            else:
                issue = today - _days(rng.randint(1, 3 * 365 - 30))
            expiry = issue + _days(3 * 365)
            original = issue - _days(3 * 365 * rng.choice((0, 0, 0, 1, 2)))
            year = original.year
            numbers[year] += 1
            reason = {
                CertificateStatus.SUSPENDED: "Surveillance audit not held by its due date.",
                CertificateStatus.WITHDRAWN: "Withdrawn at the client's request.",
            }.get(status, "")
            name, address = entities[o]
            certificates.append(
                Certificate(
                    number=f"{CERTIFICATE_SERIES}-{year}-{last.get(year, 0) + numbers[year]:04d}",
                    identity=uuid.UUID(int=rng.getrandbits(128), version=4),
                    programme_id=programmes[organization.pk],
                    organization=organization,
                    entity_name=name,
                    entity_address=address,
                    scope=SCOPES[o % len(SCOPES)],
                    status=status,
                    original_issue_date=original,
                    issue_date=issue,
                    expiry_date=expiry,
                    revision=1 + (issue - original).days // (3 * 365),
                    confidential=False,
                    suspended_until=today + _days(rng.randint(30, 150))
                    if status == CertificateStatus.SUSPENDED
                    else None,
                    status_reason=reason,
                    decision=decisions[organization.pk],
                )
            )
            certified_sites.append(sites[o][i // len(organizations) % len(sites[o])])
        certificates = _bulk(Certificate, certificates)
        _bulk(
            CertificateStandard,
            [CertificateStandard(certificate_id=c.pk, standard_id=standard.pk) for c in certificates],
        )
        _bulk(
            CertificateSite,
            [
                CertificateSite(
                    certificate_id=certificate.pk,
                    site_id=site.pk,
                    name=site.name,
                    address=", ".join(part for part in (site.address, site.postal_code) if part),
                    city=site.city,
                    country=str(site.country),
                    scope=site.activities,
                )
                for certificate, site in zip(certificates, certified_sites, strict=True)
            ],
        )
    for year, issued in sorted(numbers.items()):
        NumberSequence.objects.update_or_create(
            series=CERTIFICATE_SERIES, year=year, defaults={"last": last.get(year, 0) + issued}
        )


def _tokens(users) -> None:
    from rest_framework.authtoken.models import Token

    for user in users:
        Token.objects.get_or_create(user=user)


# -- Describe -----------------------------------------------------------------------------------


def counted_models() -> list:
    """The models the dataset fills, in the order the report lists them."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from accounts.models import SecurityEvent
    from audits import models as audits
    from certificates import models as certificates
    from clients import models as clients
    from findings import models as findings
    from standards import models as standards

    return [
        get_user_model(),
        Token,
        clients.Organization,
        clients.Site,
        clients.ClientMembership,
        clients.OrganizationUserObjectPermission,
        standards.Standard,
        standards.Clause,
        standards.CertificationScheme,
        audits.Competence,
        audits.CertificationProgramme,
        audits.ProgrammeStandard,
        audits.Audit,
        audits.AuditStandard,
        audits.AuditSite,
        audits.TeamMember,
        audits.AuditUserObjectPermission,
        audits.AuditDay,
        audits.PlanSlot,
        audits.PlanSlotClause,
        certificates.Decision,
        certificates.Certificate,
        certificates.CertificateStandard,
        certificates.CertificateSite,
        audits.NumberSequence,
        findings.Finding,
        findings.Evidence,
        findings.FindingChange,
        SecurityEvent,
    ]


def counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in counted_models()}


def middle_certificate_number() -> str:
    """The middle one, by number, of the listed certificates that are active and not past expiry."""
    from django.utils import timezone

    from certificates.models import Certificate, CertificateStatus

    listed = (
        Certificate.objects.public()
        .filter(status=CertificateStatus.ACTIVE, expiry_date__gte=timezone.localdate())
        .order_by("number")
        .values_list("number", flat=True)
    )
    total = listed.count()
    if not total:
        raise LookupError("No active listed certificate in the database.")
    return listed[total // 2]


def describe(world: World | None = None) -> World:
    """The World of the generated dataset in the default database, looked up, never generated.

    `world`, when given, is not trusted: every value is read again (counts and the certificate
    included), so describe(old_world) refreshes a World after the runner changed the database.
    """
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from audits.models import Audit, TeamRole
    from clients.models import ClientMembership
    from standards.models import Clause

    del world  # everything is read from the database
    users = {
        user.username: user
        for user in get_user_model().objects.filter(
            username__in=[STAFF_USERNAME, LEAD_USERNAME, CLIENT_USERNAME]
        )
    }
    if len(users) != 3:
        raise LookupError("No benchmark dataset in this database: run bench.dataset.build() first.")
    membership = ClientMembership.objects.get(user=users[CLIENT_USERNAME])
    big = Audit.objects.get(
        organization_id=membership.organization_id,
        team__user=users[LEAD_USERNAME],
        team__role=TeamRole.LEAD_AUDITOR,
    )
    big_site = big.sites.order_by("-is_central_function", "name", "id").values_list("pk", flat=True)[0]
    big_clause = (
        Clause.objects.filter(standard__code=STANDARD_CODES[0], auditable=True)
        .order_by("-order", "-id")
        .values_list("pk", flat=True)[0]
    )
    tokens = dict(Token.objects.filter(user__in=users.values()).values_list("user__username", "key"))
    return World(
        staff=STAFF_USERNAME,
        lead=LEAD_USERNAME,
        client=CLIENT_USERNAME,
        tokens=tokens,
        big_audit=big.pk,
        big_site=big_site,
        big_clause=big_clause,
        client_organization=membership.organization_id,
        certificate_number=middle_certificate_number(),
        counts=counts(),
    )
