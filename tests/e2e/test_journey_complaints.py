"""Journey: complaints and appeals (ISO/IEC 17021-1 9.7, 9.8).

A member of the public files a complaint on a phone, without an account, and gets its receipt
number on the page and by e-mail; staff follow it to closure (acknowledged, investigated by an
auditor, decided with reasons, closed), and the outcome letter is there to download. Then a client
appeals a suspension in the portal: the staff member who suspended is refused the decision with the
rule, an independent one upholds it and reinstates the certificate through the restore service.
"""

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.roles import STAFF, role_group
from certificates.models import CertificateStatus
from certificates.services import certificate_suspend
from complaints.models import Appeal, CaseState, Complaint
from tests.e2e.conftest import PHONE
from tests.factories import UserFactory


@pytest.fixture
def staff2(cast):
    user = UserFactory(username="staff2", first_name="Stina", last_name="Berg")
    user.groups.add(role_group(STAFF))
    return user


def test_a_public_complaint_from_a_phone_is_followed_to_closure_by_staff(pages, cast):
    phone = pages.open(PHONE)
    phone.goto("/complaint/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Make a complaint")
    pages.visit(phone, "public-complaint-form")
    phone.get_by_label("Your name").fill("Eva Ek")
    phone.get_by_label("Your e-mail address").fill("eva@example.se")
    phone.get_by_label("Subject").fill("The auditor was rude")
    phone.get_by_label("Your complaint").fill("At our audit on Monday the auditor shouted at an agent.")
    phone.get_by_role("button", name="Send the complaint").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Complaint received")
    complaint = Complaint.objects.get()
    expect(phone.locator(".receipt-number")).to_have_text(complaint.number)
    pages.visit(phone, "public-complaint-received")
    assert [message.to for message in mail.outbox] == [["eva@example.se"]]
    assert complaint.number in mail.outbox[0].subject

    staff = pages.login(cast.staff)
    staff.get_by_role("link", name="Complaints and appeals").first.click()
    staff.get_by_role("link", name=complaint.number).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Received")
    pages.visit(staff, "staff-complaint-received")
    staff.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Acknowledged")
    staff.get_by_label("Investigator (optional)").select_option(label=cast.auditor.get_full_name())
    staff.get_by_role("button", name="Assign handler or investigator").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Under investigation")
    staff.get_by_role("textbox", name="Progress report").fill(
        "We have asked the auditor and the client for their accounts."
    )
    staff.get_by_label("Visible to the submitter (and e-mailed to them)").check()
    staff.get_by_role("button", name="Add a progress report").click()
    staff.get_by_label("Upheld", exact=True).check()
    staff.get_by_label("Reasons").fill("The auditor's conduct fell short; he will not audit you again.")
    staff.get_by_role("button", name="Decide", exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Decided")
    expect(staff.get_by_role("link", name="Download the outcome letter (PDF)")).to_be_visible()
    pages.visit(staff, "staff-complaint-decided")
    staff.get_by_role("button", name="Close the case").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Closed")
    complaint.refresh_from_db()
    assert complaint.state == CaseState.CLOSED and complaint.outcome == "upheld"
    # Receipt, acknowledgement, the progress report and the outcome with its letter.
    assert len(mail.outbox) == 4
    assert mail.outbox[-1].attachments[0][0] == f"{complaint.number}.pdf"


def test_an_appeal_reverses_a_suspension_through_an_independent_decision(pages, cast, staff2, certificate):
    certificate_suspend(certificate=certificate, user=cast.staff, reason="No answer to the nonconformity.")

    client = pages.login(cast.client)
    client.goto("/complaints/")
    client.get_by_role("link", name="Appeal against a decision").click()
    suspension = certificate.events.get(kind="suspended")
    against = client.get_by_label("What do you appeal against?")
    expect(against.locator(f"option[value='event-{suspension.pk}']")).to_contain_text(
        f"Suspended of {certificate.number}"
    )
    against.select_option(value=f"event-{suspension.pk}")
    client.get_by_label("Subject").fill("We answered in time")
    client.get_by_label("Why do you appeal?").fill(
        "Our answer was sent on time; see our e-mail of 3 November."
    )
    client.get_by_role("button", name="Send").click()
    appeal = Appeal.objects.get()
    expect(client.get_by_role("heading", level=1)).to_contain_text(appeal.number)
    pages.visit(client, "client-appeal")

    staff = pages.login(cast.staff)
    staff.goto(f"/appeals/{appeal.pk}/")
    expect(staff.get_by_role("note")).to_contain_text("ISO/IEC 17021-1 9.7")
    staff.get_by_role("button", name="Acknowledge", exact=True).click()
    staff.get_by_label("Investigator (optional)").select_option(label=staff2.get_full_name())
    staff.get_by_role("button", name="Assign handler or investigator").click()
    staff.get_by_label("Upheld", exact=True).check()
    staff.get_by_label("Reasons").fill("Upheld.")
    staff.get_by_role("button", name="Decide", exact=True).click()
    expect(staff.get_by_role("alert")).to_contain_text("ISO/IEC 17021-1 9.7")
    appeal.refresh_from_db()
    assert appeal.state == CaseState.INVESTIGATING

    independent = pages.login(staff2)
    independent.goto(f"/appeals/{appeal.pk}/")
    independent.get_by_label("Upheld", exact=True).check()
    independent.get_by_label("Reasons").fill("The answer reached us in time; the suspension was wrong.")
    independent.get_by_role("button", name="Decide", exact=True).click()
    independent.get_by_label("Reason", exact=True).fill("Appeal upheld: the answer was on time.")
    independent.get_by_role("button", name="Reinstate the certificate").click()
    expect(independent.get_by_text("Certificate reinstated on the appeal.")).to_be_visible()
    independent.get_by_role("button", name="Close the case").click()
    expect(independent.get_by_role("heading", level=1)).to_contain_text("Closed")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ACTIVE
    events = list(certificate.events.order_by("at", "id").values_list("kind", flat=True))
    assert events[-2:] == ["suspended", "restored"]

    client.goto(f"/certificates/{certificate.pk}/")
    expect(client.get_by_role("heading", level=1)).to_contain_text("Active")
