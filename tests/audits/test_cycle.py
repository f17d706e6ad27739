import datetime

import pytest

from audits.cycle import add_months, audit_flags, cycle_dates
from audits.models import Audit, AuditType
from audits.services import programme_create, programme_set_decision
from core.actors import SYSTEM
from core.errors import ConflictError
from standards.models import CertificationScheme
from standards.policy import SCHEME_PRESETS


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2024, 2, 29), 12, datetime.date(2025, 2, 28)),
        (datetime.date(2026, 11, 27), 36, datetime.date(2029, 11, 27)),
        (datetime.date(2026, 12, 15), 1, datetime.date(2027, 1, 15)),
    ],
)
def test_it_adds_months(day, months, expected):
    assert add_months(day, months) == expected


def test_it_derives_the_due_dates_from_the_decision():
    scheme = CertificationScheme(**SCHEME_PRESETS["iso-18295"])
    dates = cycle_dates(decision_date=datetime.date(2026, 3, 15), scheme=scheme)
    assert dates.surveillance_1 == datetime.date(2027, 3, 15)
    assert dates.surveillance_2 == datetime.date(2028, 12, 31)
    assert dates.expiry == datetime.date(2029, 3, 14)
    assert dates.recertification == datetime.date(2029, 3, 13)


def test_it_creates_a_programme_with_its_five_audits(cast):
    programme = programme_create(actor=SYSTEM, organization=cast.org_a, standards=[cast.standard])
    kinds = list(programme.audits.order_by("id").values_list("audit_type", "sequence"))
    assert kinds == [
        ("stage1", 1),
        ("stage2", 1),
        ("surveillance", 1),
        ("surveillance", 2),
        ("recertification", 1),
    ]
    with pytest.raises(ConflictError, match="already has an active programme"):
        programme_create(actor=SYSTEM, organization=cast.org_a, standards=[cast.standard])


def test_it_sets_due_dates_when_the_decision_is_made(cast):
    programme = programme_create(actor=SYSTEM, organization=cast.org_a, standards=[cast.standard])
    programme_set_decision(actor=SYSTEM, programme=programme, decision_date=datetime.date(2026, 3, 15))
    due = dict(
        programme.audits.filter(due_date__isnull=False)
        .values_list("audit_type", "due_date")
        .order_by("due_date")
    )
    assert due["recertification"] == datetime.date(2029, 3, 13)
    assert programme.audits.get(audit_type="surveillance", sequence=1).due_date == datetime.date(2027, 3, 15)


def test_it_flags_late_and_at_risk_audits():
    today = datetime.date(2026, 11, 27)
    late = Audit(audit_type=AuditType.SURVEILLANCE, status="planned", due_date=datetime.date(2026, 11, 1))
    at_risk = Audit(audit_type=AuditType.SURVEILLANCE, status="planned", due_date=datetime.date(2027, 1, 10))
    fine = Audit(audit_type=AuditType.SURVEILLANCE, status="confirmed", due_date=datetime.date(2027, 1, 10))
    planned_late = Audit(
        audit_type=AuditType.SURVEILLANCE,
        status="confirmed",
        due_date=datetime.date(2027, 1, 10),
        start_date=datetime.date(2027, 2, 1),
    )
    assert [f.level for f in audit_flags(audit=late, today=today)] == ["late"]
    assert [f.level for f in audit_flags(audit=at_risk, today=today)] == ["at_risk"]
    assert audit_flags(audit=fine, today=today) == []
    assert [f.level for f in audit_flags(audit=planned_late, today=today)] == ["late"]


def test_it_warns_about_a_long_gap_between_stages():
    scheme = CertificationScheme(**SCHEME_PRESETS["iso-18295"])
    stage2 = Audit(audit_type=AuditType.STAGE2, status="planned", start_date=datetime.date(2027, 8, 1))
    flags = audit_flags(
        audit=stage2, today=datetime.date(2026, 11, 27), stage1_end=datetime.date(2027, 1, 15), scheme=scheme
    )
    assert [f.level for f in flags] == ["warning"]
