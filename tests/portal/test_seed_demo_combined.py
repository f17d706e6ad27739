"""The demo's combined programme (IAF MD 11): Mittkontakt Service AB, ISO 9001 + ISO 18295-1."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from audits.models import AuditStatus, CertificationProgramme

pytestmark = pytest.mark.django_db


def test_it_seeds_a_combined_iso_9001_and_iso_18295_programme_with_a_planned_stage_1(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    programme = CertificationProgramme.objects.get(organization__legal_name="Mittkontakt Service AB")
    assert sorted(programme.standards.values_list("code", flat=True)) == ["ISO 18295-1:2017", "ISO 9001:2015"]
    stage1 = programme.audits.get(audit_type="stage1")
    assert stage1.status == AuditStatus.PLANNED
    assert stage1.start_date is not None
    assert list(stage1.team.values_list("user__username", "role")) == [("lead", "lead_auditor")]
    calculation = stage1.time_calculation
    # 155 personnel at 2 sites: ISO 18295-1 2.5 + 0.5 = 3.0 days, ISO 9001 8.0; 11.0 less 15 % = 9.35
    # -> 9.5. Stage 1: (0.5 + 2.5) less 15 % = 2.55 -> 2.5.
    assert [(part["standard"], part["initial_days"]) for part in calculation["parts"]] == [
        ("ISO 18295-1:2017", 3.0),
        ("ISO 9001:2015", 8.0),
    ]
    assert (calculation["combined_days"], calculation["days"]) == (11.0, 9.5)
    assert calculation["integration"]["percent"] == 15.0
    assert stage1.planned_days == Decimal("2.5")
