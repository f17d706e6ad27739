"""The report of a combined audit (IAF MD 11) states the combined audit time as calculated."""

from decimal import Decimal

from audits.audit_time import Integration
from audits.models import AuditType
from audits.services import audit_compute_time, programme_create
from core.actors import SYSTEM
from reports.documents import report_data
from tests.factories import StandardFactory


def test_it_reports_each_standards_part_and_the_integration_reduction(cast):
    qms = StandardFactory(code="ISO 9001:2015", title="Quality management systems", with_scheme="iaf-md5-qms")
    programme = programme_create(actor=SYSTEM, organization=cast.org_a, standards=[qms, cast.standard])
    stage2 = programme.audits.get(audit_type=AuditType.STAGE2)
    audit_compute_time(
        actor=SYSTEM, audit=stage2, integration=Integration(Decimal("20"), "One manual"), seed=1
    )
    stage2.refresh_from_db()
    justification = report_data(stage2)["justification"]
    assert "ISO 9001:2015 on its own, by its own table and policy:" in justification
    assert "Combined audit of 2 standards (IAF MD 11): 3.5 + 8.0 = 11.5 days." in justification
    assert (
        "Reduction of 20 % for the integration of the client's management system (at most 20 %): One manual."
        in (justification)
    )
