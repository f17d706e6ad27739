import datetime

import pytest
from django.utils import timezone

from accounts.roles import STAFF, role_group
from audits.models import TeamRole
from tests.factories import CompetenceFactory, UserFactory
from transfers.models import CycleStage
from transfers.services import transfer_create


def transfer_details(**changes) -> dict:
    """A certificate issued by another body 14 months ago, after its first surveillance."""
    today = timezone.localdate()
    issued = today - datetime.timedelta(days=425)
    details = {
        "certificate_number": "QS-2025-118",
        "issuing_body": "Nordic Quality Certification AB",
        "accreditation_body": "Swedac",
        "accredited": True,
        "accreditation_recognised": True,
        "scope": "Customer service by telephone and chat.",
        "issue_date": issued,
        "expiry_date": issued.replace(year=issued.year + 3) - datetime.timedelta(days=1),
        "cycle_stage": CycleStage.AFTER_SURVEILLANCE_1,
        "suspended": False,
        "reasons": "The client moves all its certificates to one body.",
    }
    details.update(changes)
    return details


@pytest.fixture
def competent_lead(cast):
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    return cast.lead


@pytest.fixture
def other_staff(cast):
    """A second member of staff, competent as an auditor for the standard."""
    person = UserFactory(username="staff2", is_staff=True)
    person.groups.add(role_group(STAFF))
    CompetenceFactory(user=person, standard=cast.standard, role=TeamRole.AUDITOR)
    return person


@pytest.fixture
def transfer(cast):
    """Kundtjänst Norr's certificate from another body, a draft with no reviewer yet."""
    return transfer_create(
        user=cast.staff,
        organization=cast.org_b,
        standard=cast.standard,
        sites=list(cast.org_b.sites.all()),
        **transfer_details(),
    )
