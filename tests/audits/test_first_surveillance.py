"""The first surveillance (ISO/IEC 17021-1 9.1.3.3): due no later than 12 months after the initial
certification decision; overdue, it shows on the programme and makes the certificate a candidate
for suspension."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audits.cycle import add_months, cycle_dates
from audits.models import AuditType
from audits.services import programme_set_decision
from core.actors import SYSTEM
from findings.deadlines import suspension_candidates
from standards.models import CertificationScheme
from standards.policy import SCHEME_PRESETS
from tests.conftest import page_text


def test_it_never_sets_the_first_surveillance_later_than_12_months_after_the_decision():
    scheme = CertificationScheme(**{**SCHEME_PRESETS["iso-18295"], "first_surveillance_max_months": 18})
    dates = cycle_dates(decision_date=datetime.date(2026, 3, 15), scheme=scheme)
    assert dates.surveillance_1 == datetime.date(2027, 3, 15)
    sooner = CertificationScheme(**{**SCHEME_PRESETS["iso-18295"], "first_surveillance_max_months": 9})
    assert cycle_dates(decision_date=datetime.date(2026, 3, 15), scheme=sooner).surveillance_1 == (
        datetime.date(2026, 12, 15)
    )


def test_it_refuses_a_scheme_that_puts_the_first_surveillance_after_12_months(cast):
    scheme = cast.standard.scheme
    scheme.first_surveillance_max_months = 13
    with pytest.raises(ValidationError) as refused:
        scheme.full_clean()
    assert "first_surveillance_max_months" in refused.value.message_dict


@pytest.fixture
def overdue(cast, programme):
    """Nordkontakt certified 13 months ago, its first surveillance not held."""
    decided = add_months(timezone.localdate(), -13)
    programme_set_decision(actor=SYSTEM, programme=programme, decision_date=decided)
    return programme.audits.get(audit_type=AuditType.SURVEILLANCE, sequence=1)


def test_it_shows_an_overdue_first_surveillance_on_the_programme(cast, overdue, login):
    assert overdue.due_date == add_months(overdue.programme.decision_date, 12)
    body = page_text(login(cast.staff).get(f"/programmes/{overdue.programme_id}/"))
    assert "Late: due by" in body
    assert "The surveillance is overdue: the certificate is a candidate for suspension" in body


def test_it_makes_the_organisation_a_candidate_for_suspension(cast, overdue, login):
    (candidate,) = suspension_candidates(today=timezone.localdate())
    assert candidate.organization == cast.org_a
    assert candidate.nonconformities == []
    assert candidate.surveillances == [overdue]
    assert "has not been held" in candidate.reason
    body = page_text(login(cast.staff).get("/"))
    assert "Candidates for suspension" in body
    assert f'Nordkontakt AB</a>: <a href="/audits/{overdue.pk}/">' in body
    assert "has not been held" in body


def test_it_does_not_list_a_surveillance_still_within_its_due_date(cast, programme):
    programme_set_decision(actor=SYSTEM, programme=programme, decision_date=timezone.localdate())
    assert suspension_candidates(today=timezone.localdate()) == []
