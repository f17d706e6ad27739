"""Journey 3: the client answers a nonconformity on a desktop, from log-in to an accepted answer.

Nordkontakt AB's (org_a) stage 2 is closed by the lead with a minor and a major nonconformity.
The client finds them at home and in the list, opens the minor, answers it with a file, is asked
for more by the lead (who also writes an internal note the client never sees), answers again and
sees the answer accepted. Kundtjänst Norr AB's (org_b) nonconformity stays out of the client's reach.
"""

import datetime
import io
import re

import pytest
from django.utils import dateformat, timezone, translation
from PIL import Image
from playwright.sync_api import expect

from audits.models import Audit, AuditStatus, AuditType, TeamRole
from audits.services import audit_update, programme_create, team_member_add
from clients.services import organization_grant_view
from core.actors import SYSTEM
from findings.models import (
    Grade,
    InternalNote,
    Nonconformity,
    NonconformityAttachment,
    NonconformityStatus,
    ReviewDecision,
)
from findings.services import finding_create
from reports.services import audit_close
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import closing_report

FIRST_ANSWER = {
    "Correction": "Ran the trend analysis for June to November.",
    "Root cause": "The analyst's task was not handed over when she left.",
    "Corrective action": "The monthly analysis is now a task in the quality calendar with a deputy.",
    "Responsible person": "Karin Lund, quality manager",
}
REJECTION = "Show the first monthly run and who the deputy is."
SECOND_ANSWER = {
    "Correction": "First monthly run done on 3 December; the report is attached to the calendar task.",
    "Root cause": "Hand-over checklists did not list the recurring analysis tasks.",
    "Corrective action": "Recurring tasks are on the hand-over checklist; Per Berg is the named deputy.",
    "Responsible person": "Karin Lund, quality manager",
}
INTERNAL_NOTE = "Client was defensive on site; check the deputy at the next audit."


def _due(day: datetime.date) -> str:
    """A date as the English pages write it (27 Nov 2026)."""
    with translation.override("en"):
        return dateformat.format(day, "j M Y")


def _closed_audit_with_ncs(cast, audit) -> tuple[Nonconformity, Nonconformity]:
    finding_create(
        audit=audit,
        user=cast.lead,
        clause=audit.clause_41,
        site=audit.stockholm,
        grade=Grade.MINOR,
        statement="No trend analysis of complaints since June.",
    )
    finding_create(
        audit=audit,
        user=cast.lead,
        clause=audit.clause_42,
        site=audit.stockholm,
        grade=Grade.MAJOR,
        statement="New agents lack the introduction training.",
    )
    audit_close(audit=audit, **closing_report(audit), user=cast.lead, recommendation="certify_after_majors")
    return (
        Nonconformity.objects.get(audit=audit, grade=Grade.MINOR),
        Nonconformity.objects.get(audit=audit, grade=Grade.MAJOR),
    )


def _other_clients_nc(cast) -> Nonconformity:
    """Kundtjänst Norr AB's stage 2, closed by the same lead with one minor."""
    programme = programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    today = timezone.localdate()
    audit_update(actor=SYSTEM, audit=audit, start_date=today, end_date=today)
    organization_grant_view(user=cast.lead, organization=cast.org_b)
    team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR)
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CONFIRMED)
    finding_create(
        audit=audit,
        user=cast.lead,
        clause=cast.standard.clauses.get(number="4.1"),
        grade=Grade.MINOR,
        statement="Luleå's call recordings are kept longer than the policy allows.",
    )
    audit_close(audit=audit, **closing_report(audit), user=cast.lead, recommendation="certify")
    return Nonconformity.objects.get(audit=audit)


def _png(tmp_path, name: str):
    path = tmp_path / name
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 110, 60)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _pdf(tmp_path, name: str):
    """A real one-page PDF, as small as a PDF gets."""
    path = tmp_path / name
    Image.new("RGB", (60, 40), (255, 255, 255)).save(path, "PDF")
    return path


def _value_of(page, term: str):
    """The value beside a label in a record's summary list (<dt>term</dt><dd>value</dd>)."""
    return (
        page.get_by_role("term")
        .filter(has_text=re.compile(rf"^\s*{re.escape(term)}\s*$"))
        .locator("xpath=following-sibling::dd[1]")
    )


def _visit(pages, page, name: str):
    """Screenshot and axe-check a key page, and see that it fits a phone's width (no sideways scroll)."""
    pages.visit(page, name)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    page.set_viewport_size(DESKTOP)
    assert overflow <= 0, f"{name} is {overflow}px wider than a phone"


def _answer(page, answer: dict, *, target_date: datetime.date, files=()):
    form = page.locator("form").filter(has=page.get_by_role("button", name="Send the answer"))
    for label, text in answer.items():
        field = form.get_by_label(label)
        expect(field).to_be_empty()  # nothing left over from an earlier answer
        field.fill(text)
    form.get_by_label("Target date").fill(target_date.isoformat())
    if files:
        form.get_by_label("Evidence files").set_input_files([str(path) for path in files])
    form.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("Your answer was sent to the auditor.")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_it_takes_the_client_from_login_to_an_accepted_answer(cast, onsite_audit, pages, tmp_path):
    minor, major = _closed_audit_with_ncs(cast, onsite_audit)
    foreign = _other_clients_nc(cast)
    clause = "ISO 18295-1:2017 4.1 General"
    statement = "No trend analysis of complaints since June."

    # Home: what is mine to do now, with the due dates.
    client = pages.login(cast.client)
    expect(client).to_have_title("Home · Certdesk")
    expect(client.get_by_role("heading", name="Nordkontakt AB", level=1)).to_be_visible()
    expect(client.get_by_role("heading", name="Nonconformities to answer")).to_be_visible()
    for nc in (minor, major):
        row = client.get_by_role("row").filter(has=client.get_by_role("link", name=nc.number, exact=True))
        expect(row).to_contain_text(_due(nc.response_due))
        expect(row).to_contain_text("Awaiting the client's answer")
    expect(client.get_by_role("link", name=foreign.number)).to_have_count(0)
    _visit(pages, client, "client-home")

    # The list of the client's nonconformities.
    client.get_by_role("navigation", name="Main").get_by_role("link", name="Nonconformities").click()
    expect(client.get_by_role("heading", name="Your nonconformities", level=1)).to_be_visible()
    minor_row = client.get_by_role("row").filter(
        has=client.get_by_role("link", name=minor.number, exact=True)
    )
    expect(minor_row).to_contain_text("4.1 General")
    expect(minor_row).to_contain_text("Minor")
    expect(minor_row).to_contain_text(_due(minor.response_due))
    expect(client.get_by_role("link", name=major.number, exact=True)).to_be_visible()
    expect(client.get_by_role("link", name=foreign.number)).to_have_count(0)
    _visit(pages, client, "client-ncr-list")

    # One nonconformity: the requirement, the auditor's statement, the due date.
    minor_row.get_by_role("link", name=minor.number).click()
    expect(client.get_by_role("heading", name=minor.number, level=1)).to_be_visible()
    expect(_value_of(client, "Requirement")).to_have_text(clause)
    expect(_value_of(client, "Statement")).to_have_text(statement)
    expect(_value_of(client, "Answer due")).to_contain_text(_due(minor.response_due))
    expect(client.get_by_role("heading", name="Your answer")).to_be_visible()
    _visit(pages, client, "client-ncr")

    # The first answer, with a photo and a PDF chosen through the file input.
    target = timezone.localdate() + datetime.timedelta(days=30)
    photo, report = _png(tmp_path, "quality-calendar.png"), _pdf(tmp_path, "trend-analysis.pdf")
    _answer(client, FIRST_ANSWER, target_date=target, files=[photo, report])
    expect(client.get_by_role("heading", name=re.compile(r"^Answer 1, by "))).to_be_visible()
    expect(client.get_by_role("link", name="quality-calendar.png")).to_be_visible()
    with client.expect_download() as download:
        client.get_by_role("link", name="trend-analysis.pdf").click()
    assert download.value.suggested_filename == "trend-analysis.pdf"
    assert download.value.path().read_bytes() == report.read_bytes()
    expect(client.get_by_text("Waiting for the auditor's review.")).to_be_visible()
    expect(client.get_by_role("button", name="Send the answer")).to_have_count(0)

    # The lead, on another desktop, finds the answer to review, notes something internal, rejects.
    lead = pages.login(cast.lead)
    expect(lead.get_by_role("heading", name="Answers to review")).to_be_visible()
    lead.get_by_role("link", name=minor.number, exact=True).click()
    expect(lead.get_by_role("heading", name=minor.number, level=1)).to_be_visible()
    expect(lead.get_by_text(FIRST_ANSWER["Correction"])).to_be_visible()
    lead.get_by_label("Internal note").fill(INTERNAL_NOTE)
    lead.get_by_role("button", name="Add the note").click()
    expect(lead.get_by_text("Note saved.")).to_be_visible()
    expect(lead.get_by_text(INTERNAL_NOTE)).to_be_visible()
    _visit(pages, lead, "lead-ncr-review")
    review = lead.get_by_role("group", name="Decision")
    reject = review.get_by_label("Reject the answer")
    assert reject.bounding_box()["width"] < 40, "a radio button is a small round choice beside its label"
    reject.check()
    lead.get_by_label("Comment to the client").fill(REJECTION)
    lead.get_by_role("button", name="Save the review").click()
    expect(lead.get_by_text("Review saved; the client is told.")).to_be_visible()

    # The client sees the rejection and its reason, never the internal note, and answers again.
    client.reload()
    rejected = client.locator("article").filter(
        has=client.get_by_role("heading", name=re.compile("^Answer 1"))
    )
    expect(rejected).to_contain_text("Rejected")
    expect(rejected).to_contain_text(REJECTION)
    expect(client.get_by_text("Awaiting the client's answer").first).to_be_visible()
    expect(client.get_by_role("heading", name="Answer again")).to_be_visible()
    expect(client.get_by_text(INTERNAL_NOTE)).to_have_count(0)
    expect(client.get_by_role("heading", name="Internal notes")).to_have_count(0)
    expect(client.get_by_label("Internal note")).to_have_count(0)
    _visit(pages, client, "client-ncr-rejected")
    _answer(client, SECOND_ANSWER, target_date=target, files=[_png(tmp_path, "handover-checklist.png")])
    expect(client.get_by_role("heading", name=re.compile(r"^Answer 2, by "))).to_be_visible()

    # The lead accepts the second answer.
    lead.reload()
    expect(lead.get_by_text(SECOND_ANSWER["Corrective action"])).to_be_visible()
    lead.get_by_role("group", name="Decision").get_by_label("Accept the answer").check()
    lead.get_by_role("button", name="Save the review").click()
    expect(lead.get_by_text("Review saved; the client is told.")).to_be_visible()

    # The client sees it accepted, both rounds kept, and no form left to fill in.
    client.reload()
    accepted = client.locator("article").filter(
        has=client.get_by_role("heading", name=re.compile("^Answer 2"))
    )
    expect(accepted).to_contain_text("Accepted")
    expect(accepted).to_contain_text(SECOND_ANSWER["Correction"])
    expect(client.get_by_role("heading", name=minor.number, level=1)).to_contain_text("Accepted")
    expect(rejected).to_contain_text(REJECTION)  # the first round and its reasons stay in the thread
    expect(client.get_by_role("button", name="Send the answer")).to_have_count(0)
    expect(client.get_by_text(INTERNAL_NOTE)).to_have_count(0)
    _visit(pages, client, "client-ncr-accepted")

    # Another client's nonconformity is not there for this client, by link or by address.
    response = client.goto(f"/ncrs/{foreign.pk}/")
    assert response.status == 404
    expect(client.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    expect(client.get_by_role("link", name="Go to the home page")).to_be_visible()
    expect(client.get_by_text(foreign.number)).to_have_count(0)
    expect(client.get_by_text("Luleå's call recordings")).to_have_count(0)
    _visit(pages, client, "client-ncr-not-theirs")

    # What the database holds at the end.
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.ACCEPTED
    assert minor.accepted_by == cast.lead
    first, second = minor.responses.order_by("round")
    assert (first.decision, first.review_comment, first.reviewed_by) == (
        ReviewDecision.REJECT,
        REJECTION,
        cast.lead,
    )
    assert first.correction == FIRST_ANSWER["Correction"]
    assert first.responsible == FIRST_ANSWER["Responsible person"]
    assert first.target_date == target
    assert (second.decision, second.submitted_by) == (ReviewDecision.ACCEPT, cast.client)
    assert second.corrective_action == SECOND_ANSWER["Corrective action"]
    assert sorted(
        NonconformityAttachment.objects.filter(response=first).values_list("original_name", "content_type")
    ) == [
        ("quality-calendar.png", "image/png"),
        ("trend-analysis.pdf", "application/pdf"),
    ]
    assert list(
        NonconformityAttachment.objects.filter(response=second).values_list("original_name", flat=True)
    ) == ["handover-checklist.png"]
    assert InternalNote.objects.get(nonconformity=minor).author == cast.lead
    major.refresh_from_db()
    foreign.refresh_from_db()
    assert major.status == foreign.status == NonconformityStatus.AWAITING_RESPONSE
