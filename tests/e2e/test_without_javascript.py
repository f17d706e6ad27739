"""The pages work with JavaScript switched off: reading, and sending every form that matters.

Scripts only help (device drafts); a browser that runs none still records a finding with a photo,
answers a nonconformity with a file and switches the language.
"""

import io

from PIL import Image
from playwright.sync_api import expect

from findings.models import Evidence, Finding, Grade, NonconformityStatus
from tests.e2e.conftest import PHONE
from tests.e2e.test_journey_client_ncr import _closed_audit_with_ncs


def _photo(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 160)).save(buffer, "JPEG")
    path = tmp_path / "queue-board.jpg"
    path.write_bytes(buffer.getvalue())
    return path


def test_the_lead_records_a_finding_with_a_photo_without_javascript(pages, cast, onsite_audit, tmp_path):
    page = pages.login(cast.lead, viewport=PHONE, javascript=False)
    page.get_by_role("link", name="Continue in the checklist").click()
    page.get_by_role("link", name="Continue with 4.1").click()
    expect(page.get_by_role("heading", name="4.1 General")).to_be_visible()

    page.get_by_role("radio", name="Minor NC").check()
    page.get_by_label("Statement").fill("No complaints log is kept at Stockholm.")
    page.get_by_label("Photo or document").set_input_files(str(_photo(tmp_path)))
    page.get_by_label("What the file shows").fill("The queue board")
    page.get_by_role("button", name="Save finding").click()

    expect(page.get_by_role("status")).to_contain_text("Saved: 4.1 Minor NC.")
    finding = Finding.objects.get(audit=onsite_audit, clause=onsite_audit.clause_41)
    assert finding.grade == Grade.MINOR
    assert finding.site == onsite_audit.stockholm  # the site the audit is at today, chosen by the page
    assert Evidence.objects.get(finding=finding).description == "The queue board"


def test_the_client_answers_a_nonconformity_without_javascript(pages, cast, onsite_audit, tmp_path):
    minor, _major = _closed_audit_with_ncs(cast, onsite_audit)
    page = pages.login(cast.client, javascript=False)
    page.get_by_role("link", name=minor.number, exact=True).first.click()

    form = page.locator("form").filter(has=page.get_by_role("button", name="Send the answer"))
    form.get_by_label("Correction").fill("Started the complaints log.")
    form.get_by_label("Root cause").fill("Nobody owned the log.")
    form.get_by_label("Corrective action").fill("The team leader owns the log and checks it weekly.")
    form.get_by_label("Evidence files").set_input_files(str(_photo(tmp_path)))
    form.get_by_role("button", name="Send the answer").click()

    expect(page.get_by_text("Your answer was sent to the auditor.")).to_be_visible()
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.AWAITING_REVIEW
    assert minor.responses.get().attachments.count() == 1


def test_the_language_switch_works_without_javascript(pages, cast):
    page = pages.login(cast.staff, javascript=False)

    page.get_by_label("Language").select_option("sv")
    page.get_by_role("button", name="Change").click()

    assert page.locator("html").get_attribute("lang") == "sv"
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()
