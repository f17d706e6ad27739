import pytest
from django.core import mail

from accounts.roles import STAFF, role_group
from complaints.models import CaseSource
from complaints.services import case_acknowledge, case_assign, complaint_file
from tests.factories import UserFactory


@pytest.fixture
def staff2(cast):
    """A second member of certification staff, involved in nothing."""
    user = UserFactory(username="staff2", first_name="Stina", last_name="Berg")
    user.groups.add(role_group(STAFF))
    return user


@pytest.fixture
def public_complaint(cast):
    complaint = complaint_file(
        user=None,
        source=CaseSource.PUBLIC,
        subject="Rude auditor",
        description="The auditor was rude to our agents.",
        submitter_name="Eva Ek",
        submitter_email="eva@example.se",
        submitter_language="sv",
    )
    mail.outbox.clear()
    return complaint


@pytest.fixture
def investigating(cast, public_complaint):
    """The public complaint, acknowledged by staff and investigated by the auditor."""
    case_acknowledge(user=cast.staff, case=public_complaint)
    case = case_assign(user=cast.staff, case=public_complaint, investigator=cast.auditor)
    mail.outbox.clear()
    return case
