"""Journey 4: staff decide on a closed stage 2, issue the certificate, the public verify it, staff suspend it.

From the log-in page to the end state, at desktop size, asserting what each person sees: the auditor
who is also staff is refused the decision (impartiality), another staff member grants it from the
home page, the certificate's PDF carries a QR code whose address is opened as printed, and the public
page follows the certificate from Active to Suspended.
"""

import datetime
import re

import pypdfium2
import pytest
import zxingcpp
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.roles import STAFF, role_group
from certificates.models import Certificate, CertificateStatus, Decision, DecisionOutcome
from core.pdf import format_date
from findings.models import Nonconformity
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import ready_to_certify

SCOPE = "Inbound customer service by telephone, e-mail and chat."
SUSPENSION_REASON = "No answer to the minor nonconformity within 90 days."


def qr_codes(content: bytes) -> list[str]:
    """What the QR codes on page 1 say, read from the page as printed at 200 dpi."""
    document = pypdfium2.PdfDocument(content)
    try:
        image = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def shown(day: datetime.date) -> str:
    """A date as the pages write it in English (shared/UI.md): 27 Nov 2026."""
    with translation.override("en"):
        return format_date(day)


@pytest.fixture
def closed_stage2(closed_audit):
    """Nordkontakt's stage 2, scoped and closed by the lead with one minor nonconformity (no major),
    ready to certify: the minor's plan accepted and a finding at every sampled site."""
    assert closed_audit.scope == SCOPE
    assert not Nonconformity.objects.filter(audit=closed_audit, grade="major").exists()
    ready_to_certify(closed_audit)
    return closed_audit


def test_it_grants_verifies_and_suspends_a_certificate(pages, cast, closed_stage2, live_app, settings):
    # The QR code carries SITE_URL; pointed at the live server, the decoded address is opened as printed.
    settings.SITE_URL = live_app.url
    audit = closed_stage2
    today = timezone.localdate()

    # The lead auditor also works as certification staff: on the audit's team, so never its decider.
    cast.lead.groups.add(role_group(STAFF))
    lead = pages.login(cast.lead)
    lead.goto(f"/audits/{audit.pk}/decision/")
    expect(lead.get_by_role("heading", level=1)).to_contain_text("Certification decision")
    refusal = lead.get_by_role("alert")
    expect(refusal.get_by_role("heading", name="The decision cannot be made now")).to_be_visible()
    expect(refusal).to_contain_text("You were on the team of this stage's audit (Stage 2, as lead auditor)")
    expect(refusal).to_contain_text("ISO/IEC 17021-1 9.5")
    expect(lead.get_by_role("button", name="Grant certification")).to_have_count(0)
    expect(lead.get_by_role("button", name="Refuse")).to_have_count(0)
    pages.visit(lead, "staff-decision-refused")

    # Another staff member finds the audit under the decisions waiting on the home page.
    staff = pages.login(cast.staff)
    expect(staff.get_by_role("heading", name="Decisions waiting")).to_be_visible()
    # Each line leads to where it is dealt with: the decision page.
    waiting = staff.locator("h2:has-text('Decisions waiting') + ul")
    row = waiting.get_by_role("listitem").filter(has_text="Nordkontakt AB")
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Stage 2").click()
    expect(staff).to_have_url(re.compile(rf"/audits/{audit.pk}/decision/$"))
    expect(staff.get_by_role("alert")).to_have_count(0)
    expect(staff.get_by_text("Certify", exact=True)).to_be_visible()  # the team's recommendation
    # Each outcome is its own button, the grant first.
    buttons = staff.locator("form .form-actions button")
    expect(buttons).to_have_text(["Grant certification", "Refuse"])
    pages.visit(staff, "staff-decision")

    staff.get_by_label("Rationale").fill("Effective system; the one minor nonconformity has an answer plan.")
    staff.get_by_role("button", name="Grant certification").click()

    certificate = Certificate.objects.get(organization=cast.org_a)
    expect(staff).to_have_url(re.compile(rf"/certificates/{certificate.pk}/$"))
    expect(staff.get_by_text("Decision recorded: Grant certification.")).to_be_visible()
    heading = staff.get_by_role("heading", level=1)
    expect(heading).to_contain_text(certificate.number)
    expect(heading).to_contain_text("Active")
    record = staff.locator("dl.summary-list")
    expect(record).to_contain_text("Nordkontakt AB")
    expect(record).to_contain_text("ISO 18295-1:2017")
    expect(record).to_contain_text(SCOPE)
    for city in ("Stockholm", "Göteborg", "Malmö"):
        expect(record).to_contain_text(city)
    pages.visit(staff, "staff-certificate")

    # The PDF as downloaded: its QR code is the public verification address.
    with staff.expect_download() as download_info:
        staff.get_by_role("link", name="Download the certificate (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"{certificate.number}-rev1.pdf"
    with open(download.path(), "rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF")
    codes = qr_codes(content)
    assert codes == [f"{live_app.url}/verify/{certificate.number}/"]
    verify_url = codes[0]

    # Anyone, without logging in, opens the address from the QR code.
    public = pages.open()
    public.goto(verify_url)
    expect(public.get_by_role("heading", level=1)).to_have_text(f"Certificate {certificate.number}")
    status = public.locator(".public-status")
    expect(status).to_contain_text("Status")
    expect(status.locator(".public-status-value")).to_have_text("Active")
    expect(status).not_to_contain_text("Suspended")
    facts = public.locator("dl.summary-list")
    expect(facts.locator("div").filter(has_text="Certified entity")).to_contain_text("Nordkontakt AB")
    expect(facts.locator("div").filter(has_text="Standard")).to_contain_text(
        "ISO 18295-1:2017 Customer contact centres"
    )
    expect(facts.locator("div").filter(has_text="Scope")).to_contain_text(SCOPE)
    places = facts.locator("div").filter(has_text="Sites").locator("dd")
    expect(places).to_contain_text("Stockholm, Sweden")
    expect(places).to_contain_text("Göteborg, Sweden")
    expect(places).to_contain_text("Malmö, Sweden")
    expect(public.get_by_text("Issued by Certdesk Certifiering AB")).to_be_visible()
    # Nothing internal: no rationale, organisation number or reasons.
    expect(public.locator("main")).not_to_contain_text(cast.org_a.org_number)
    expect(public.locator("main")).not_to_contain_text("Effective system")
    expect(facts.locator("div").filter(has_text="Expiry date")).to_contain_text(
        shown(certificate.expiry_date)
    )
    # On a phone the number stays on one line: it is what people compare with their paper copy.
    public.set_viewport_size(PHONE)
    number = public.get_by_role("heading", level=1).locator(".certificate-number").bounding_box()
    line_height = public.get_by_role("heading", level=1).evaluate(
        "h => parseFloat(getComputedStyle(h).lineHeight)"
    )
    assert number["height"] < 1.5 * line_height, number
    public.set_viewport_size(DESKTOP)
    pages.visit(public, "public-verify-active")

    # Staff suspend it through the form on the certificate page: a reason and an end date.
    until = today + datetime.timedelta(days=60)
    suspend = staff.get_by_role("region", name="Suspend")
    suspend.get_by_label("Reason").fill(SUSPENSION_REASON)
    suspend.get_by_label("Suspended until").fill(until.isoformat())
    suspend.get_by_role("button", name="Suspend").click()
    expect(staff).to_have_url(re.compile(rf"/certificates/{certificate.pk}/$"))
    expect(staff.get_by_text("Certificate suspended; the public page shows it now.")).to_be_visible()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Suspended")
    record = staff.locator("dl.summary-list")
    expect(record.locator("div").filter(has_text="Suspended until")).to_contain_text(shown(until))
    expect(record.locator("div").filter(has_text="Reason for the status")).to_contain_text(SUSPENSION_REASON)
    expect(staff.get_by_role("region", name="Suspend")).to_have_count(0)
    expect(staff.get_by_role("region", name="Restore")).to_be_visible()
    pages.visit(staff, "staff-certificate-suspend")

    # The public page, reloaded, says so at once; the reason stays inside the office.
    public.reload()
    status = public.locator(".public-status")
    expect(status.locator(".public-status-value")).to_have_text("Suspended")
    expect(status).to_contain_text(f"Suspended until {shown(until)}")
    expect(public.locator("main")).not_to_contain_text(SUSPENSION_REASON)
    pages.visit(public, "public-verify-suspended")

    # And the register finds it by name, with its status.
    public.get_by_role("link", name="Search the register").first.click()
    public.get_by_label("Company name or certificate number").fill("nordkontakt")
    public.get_by_role("button", name="Search").click()
    expect(public.get_by_role("status")).to_have_text("1 certificate found.")
    found = public.get_by_role("row").filter(has_text=certificate.number)
    expect(found).to_contain_text("Nordkontakt AB")
    expect(found).to_contain_text("Suspended")
    expect(found).to_contain_text(shown(certificate.expiry_date))
    expect(found.get_by_role("link", name=certificate.number)).to_have_attribute(
        "href", f"/verify/{certificate.number}/"
    )
    pages.visit(public, "public-register")

    # The end state in the records.
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUSPENDED
    assert certificate.suspended_until == until
    assert certificate.status_reason == SUSPENSION_REASON
    decision = Decision.objects.get(audit=audit)
    assert decision.outcome == DecisionOutcome.GRANT
    assert decision.decided_by == cast.staff
    assert list(certificate.events.values_list("kind", "by__username")) == [
        ("issued", "staff"),
        ("suspended", "staff"),
    ]
