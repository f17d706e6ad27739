"""Journey 2: the lead auditor on site, on a phone, from log-in to the closed audit's report.

Nordkontakt AB's stage 2 is confirmed with the lead's slot at Stockholm today (clause 4.1). The lead
opens today's slot from the home page, grades clauses with the grade buttons, records a minor
nonconformity with a photo from the file picker, watches the progress move, loses neither a refused
save (a colleague's newer change, a missing statement) nor one sent while the network was down,
closes the audit and downloads the report.
"""

import re

from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from audits.models import Audit, AuditStatus, TeamRole
from audits.services import team_member_add
from core.actors import SYSTEM
from findings.models import Evidence, Finding, Grade, Nonconformity, Visibility
from findings.services import finding_update
from tests.e2e.conftest import PHONE
from tests.factories import CompetenceFactory

# Interactive elements a thumb taps, and the smallest size they may have (UI.md: 44 x 44 px).
# A radio button or checkbox is tapped through its label row; a link inside running text
# (display: inline) is exempt, as WCAG exempts inline targets.
TAP_TARGETS_TOO_SMALL = """() => {
    const small = [];
    for (const el of document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea')) {
        if (el.tagName === 'A' && getComputedStyle(el).display === 'inline') continue;
        const target = el.matches('input[type=radio], input[type=checkbox]')
            ? (el.closest('label, li, .field-checkbox') || el) : el;
        const box = target.getBoundingClientRect();
        // Not shown, or parked off-screen until focused (the skip link).
        if (box.width === 0 || box.height === 0 || box.right <= 0) continue;
        if (box.width < 43.5 || box.height < 43.5) {
            const name = (el.textContent || el.name || el.id || '').trim().slice(0, 40);
            const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
            small.push(`${el.tagName.toLowerCase()} "${name}" ${size}`);
        }
    }
    return small;
}"""


def _look(pages, page, name: str) -> None:
    """The page fits a phone in one column with thumb-sized targets; then screenshots and axe-core."""
    page.wait_for_load_state()
    assert page.viewport_size == PHONE
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} scrolls sideways on a phone: {width}px wide"
    assert page.evaluate(TAP_TARGETS_TOO_SMALL) == [], f"{name} has tap targets under 44 px"
    pages.visit(page, name)


def _submit_refused(page, button, status: int) -> None:
    """Submit a save that the server refuses, on purpose, with `status`."""
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        button.click()
    assert answer.value.status == status
    page.wait_for_load_state()


def _photo(tmp_path):
    """A real, small JPEG as a phone camera would give it."""
    path = tmp_path / "complaints-board.jpg"
    Image.new("RGB", (640, 480), (180, 70, 40)).save(path, "JPEG", quality=85)
    return path


def _row(page, number: str, title: str):
    """A clause's row in the checklist: one link holding its number, title, count and state."""
    return page.locator(".task-list").get_by_role("link", name=re.compile(rf"^{re.escape(number)}\s+{title}"))


def test_it_takes_the_lead_from_todays_slot_to_the_closed_audits_report(pages, cast, onsite_audit, tmp_path):
    audit = onsite_audit
    # A second auditor on the team, who will change a finding while the lead is editing it.
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    team_member_add(actor=SYSTEM, audit=audit, user=cast.auditor, role=TeamRole.AUDITOR)
    # A new member makes the confirmed plan a draft; staff confirm it again.
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CONFIRMED)

    # -- Home: today's audit and slot ---------------------------------------------------------------
    page = pages.login(cast.lead, PHONE)
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    slot = page.locator(".card", has=page.get_by_role("heading", name="09:00–12:00 · Stockholm"))
    expect(slot).to_contain_text("Nordkontakt AB: Customer relationship")
    expect(slot).to_contain_text("Clauses: 4.1")
    _look(pages, page, "lead-home")

    # -- The checklist of my slot: one clause, nothing audited yet ----------------------------------
    slot.get_by_role("link", name="Continue in the checklist").click()
    expect(page.get_by_role("heading", name="Checklist: Stage 2")).to_be_visible()
    progress = page.locator(".progress-list li").filter(has_text="Stockholm").first
    expect(progress).to_contain_text("Stockholm: 0 of 1 clauses")
    expect(page.get_by_label("Show")).to_have_value("mine")
    expect(_row(page, "4.1", "General")).to_contain_text("Not yet audited")
    expect(_row(page, "4.2", "Communication")).to_have_count(0)
    _look(pages, page, "lead-checklist")

    # -- 4.1: a minor nonconformity with a photo from the file picker --------------------------------
    _row(page, "4.1", "General").click()
    expect(page.get_by_role("heading", name="4.1 General")).to_be_visible()
    expect(page.get_by_text("No findings for this clause yet.")).to_be_visible()
    expect(page.get_by_label("Site")).to_have_value(str(audit.stockholm.pk))
    _look(pages, page, "lead-clause")
    page.get_by_role("radio", name="Minor NC").check()
    page.get_by_label("Statement").fill("Complaints must be logged; no complaints log is kept at Stockholm.")
    page.get_by_label("Objective evidence").fill("Asked the team leader for the October log; there is none.")
    with page.expect_file_chooser() as chooser:
        page.get_by_label("Photo or document").click()
    chooser.value.set_files(_photo(tmp_path))
    page.get_by_label("What the file shows").fill("The empty complaints board")
    page.get_by_label("Share the file with the client").check()
    page.get_by_role("button", name="Save finding").click()

    expect(page.get_by_role("status")).to_contain_text("Saved: 4.1 Minor NC.")
    minor = page.locator("article.finding").first
    expect(minor).to_contain_text("no complaints log is kept at Stockholm")
    photo = minor.get_by_role("img", name="The empty complaints board")
    expect(photo).to_be_visible()
    # The thumbnail really loads (made from the upload, served through the permission-checking view).
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    evidence = Evidence.objects.get()
    assert (evidence.finding.grade, evidence.content_type, evidence.visibility) == (
        Grade.MINOR,
        "image/jpeg",
        Visibility.CLIENT,
    )
    _look(pages, page, "lead-clause-saved")

    # -- Progress moves ------------------------------------------------------------------------------
    page.get_by_role("link", name="Back to the checklist").click()
    expect(page.get_by_role("heading", name="Checklist: Stage 2")).to_be_visible()
    expect(progress).to_contain_text("Stockholm: 1 of 1 clauses")
    expect(progress.locator("progress")).to_have_attribute("value", "1")
    expect(_row(page, "4.1", "General")).to_have_accessible_name(
        re.compile(r"4\.1 General 1 finding recorded Minor NC$")
    )
    expect(_row(page, "4.2", "Communication")).to_contain_text("Not yet audited")
    _look(pages, page, "lead-checklist-progress")

    # -- 4.2: a quick grade -----------------------------------------------------------------------------
    page.get_by_role("link", name="Continue with 4.2").click()
    expect(page.get_by_role("heading", name="4.2 Communication")).to_be_visible()
    page.get_by_role("radio", name="Conforming").check()
    page.get_by_role("button", name="Save finding").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: 4.2 Conforming.")

    # -- A save the server refuses keeps what was typed ----------------------------------------------
    page.get_by_role("radio", name="Observation").check()
    page.get_by_label("Objective evidence").fill("Listened to six calls in the Stockholm queue.")
    _submit_refused(page, page.get_by_role("button", name="Save finding"), 400)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("There is a problem")
    expect(alert).to_contain_text("Write what was required and what was observed for this grade.")
    expect(page.get_by_label("Objective evidence")).to_have_value(
        "Listened to six calls in the Stockholm queue."
    )
    expect(page.get_by_role("radio", name="Observation")).to_be_checked()
    _look(pages, page, "lead-clause-refused")
    page.get_by_label("Statement").fill("Callers are not told how long they will wait.")
    page.get_by_role("button", name="Save finding").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: 4.2 Observation.")

    # -- A save sent with the network down: the text comes back from the device -----------------------
    page.get_by_role("radio", name="OFI").check()
    statement = "Call-back times could be offered when the queue is long."
    page.get_by_label("Statement").fill(statement)
    page.get_by_label("Objective evidence").fill("Queue statistics for week 47.")
    clause_page = page.url  # the address the lead would come back to
    page.context.set_offline(True)
    page.get_by_role("button", name="Save finding").click()
    page.wait_for_url(re.compile(r"^chrome-error://"))
    page.context.set_offline(False)
    page.goto(clause_page)
    # The page opens at the new finding's form, and says at its top why the text is there.
    expect(page.get_by_text("A draft you typed earlier on this device was restored.")).to_be_in_viewport()
    expect(page.get_by_label("Statement")).to_have_value(statement)
    expect(page.get_by_label("Objective evidence")).to_have_value("Queue statistics for week 47.")
    _look(pages, page, "lead-clause-draft")
    page.get_by_role("radio", name="OFI").check()
    page.get_by_role("button", name="Save finding").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: 4.2 OFI.")
    # Saved, so the draft is gone: opening the clause again shows an empty form.
    page.goto(clause_page)
    expect(page.get_by_label("Statement")).to_have_value("")
    expect(page.get_by_text("A draft you typed earlier on this device was restored.")).to_be_hidden()
    assert Finding.objects.filter(clause=audit.clause_42, statement=statement).count() == 1

    # -- A colleague's newer change: the lead's text stays, theirs is shown beside it -----------------
    page.get_by_role("link", name="Back to the checklist").click()
    _row(page, "4.1", "General").click()
    expect(page.get_by_role("heading", name="4.1 General")).to_be_visible()
    page.locator("article.finding").first.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit finding")).to_be_visible()
    finding = Finding.objects.get(clause=audit.clause_41)
    finding_update(
        finding=finding,
        user=cast.auditor,
        version=finding.version,
        statement="Complaints must be logged; the Stockholm log stops in August.",
    )
    mine = "Complaints must be logged; no complaints log is kept at Stockholm since August."
    page.get_by_label("Statement").fill(mine)
    _submit_refused(page, page.get_by_role("button", name="Save", exact=True), 409)
    conflict = page.get_by_role("alert").filter(has_text="Someone else changed this finding")
    expect(conflict).to_contain_text("the Stockholm log stops in August")
    expect(page.get_by_label("Statement")).to_have_value(mine)
    _look(pages, page, "lead-finding-conflict")
    merged = "Complaints must be logged; the Stockholm log stops in August and nothing is logged since."
    page.get_by_label("Statement").fill(merged)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Finding saved.")
    finding.refresh_from_db()
    assert (finding.statement, finding.version, finding.updated_by) == (merged, 3, cast.lead)

    # -- Every planned clause is graded: from the checklist to the audit record ------------------------
    page.get_by_role("link", name="Back to the checklist").click()
    expect(progress).to_contain_text("Stockholm: 1 of 1 clauses")
    expect(_row(page, "4.1", "General")).to_contain_text("Minor NC")
    expect(_row(page, "4.2", "Communication")).to_have_accessible_name(
        re.compile(r"4\.2 Communication 3 findings recorded Observation$")
    )
    page.get_by_role("link", name="Audit record").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Stage 2"))).to_contain_text("In progress")
    _look(pages, page, "lead-audit-record")

    # -- Closing ------------------------------------------------------------------------------------------
    page.get_by_role("link", name="Close the audit").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Close the audit"))).to_be_visible()
    expect(page.get_by_text("Closing raises 1 nonconformity")).to_be_visible()
    expect(page.locator("main")).to_contain_text("the Stockholm log stops in August")
    expect(page.get_by_role("note")).to_contain_text("Site Göteborg is in the sample but has no finding.")
    _look(pages, page, "lead-audit-close")
    page.get_by_role("radio", name="Certify", exact=True).check()
    # The report states, per standard, whether the system conforms and is effective (17021-1 9.4.8).
    page.get_by_role("radio", name="Conforms, with nonconformities to correct").check()
    page.get_by_role("radio", name="Effective", exact=True).check()
    page.get_by_label("Conclusion").fill("The contact centre's management system is effective at Stockholm.")
    page.get_by_label("Deviations from the plan").fill("Göteborg and Malmö are audited on the next two days.")
    page.get_by_role("button", name="Close the audit").click()

    expect(page.get_by_role("status")).to_contain_text("Audit closed with 1 nonconformity raised.")
    expect(page.get_by_role("heading", name=re.compile(r"^Stage 2"))).to_contain_text("Closed")
    ncr = Nonconformity.objects.get()
    expect(page.get_by_role("link", name=ncr.number)).to_be_visible()
    assert re.fullmatch(r"NC-\d{4}-0001", ncr.number)
    assert (ncr.grade, ncr.finding_id) == (Grade.MINOR, finding.pk)
    audit.refresh_from_db()
    assert (audit.status, audit.closed_by, audit.recommendation) == (AuditStatus.CLOSED, cast.lead, "certify")
    _look(pages, page, "lead-audit-closed")

    # -- The report PDF ---------------------------------------------------------------------------------
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the audit report (PDF)").click()
    report = tmp_path / "report.pdf"
    download.value.save_as(report)
    assert report.read_bytes().startswith(b"%PDF-")
    text = "\n".join(pdf_page.extract_text() for pdf_page in PdfReader(report).pages)
    assert "Nordkontakt AB" in text
    assert ncr.number in text
