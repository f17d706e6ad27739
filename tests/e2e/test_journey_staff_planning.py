"""Journey 1: certification staff take in a new client and plan its stage 2, in the browser.

From the log-in page to the confirmed plan's PDF: the organisation and its three sites, the
certification programme, the audit dates, the audit-time calculation, the team (one refusal on the
competence rule, then a competent lead auditor), days and slots at the sampled sites, the
confirmation and the download. Each step asserts what the staff member sees.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from audits.models import Audit, AuditStatus, AuditType, DocumentKind, TeamRole
from clients.models import Organization
from clients.validators import luhn_check_digit
from tests.factories import CompetenceFactory

ORGANIZATION = "Kustkontakt AB"
CONTACT_EMAIL = "kvalitet@kustkontakt.example"
# The central function first; 60 + 40 + 25 = 125 effective personnel in all.
SITES = [
    {"name": "Umeå", "city": "Umeå", "personnel": "60", "central": True, "activities": "Management, inbound"},
    {"name": "Sundsvall", "city": "Sundsvall", "personnel": "40", "central": False, "activities": "Inbound"},
    {"name": "Östersund", "city": "Östersund", "personnel": "25", "central": False, "activities": "Chat"},
]
# The slots per site (from, to, activity, clauses): eight hours a day, the scheme's audit day.
SLOTS = {
    "Umeå": [
        ("09:00", "12:00", "Opening meeting and customer relationship", "4.1"),
        ("13:00", "18:00", "Communication with customers", "4.2"),
    ],
    "Sundsvall": [("09:00", "17:00", "Inbound contact-centre floor", "4.1, 4.2")],
    "Östersund": [("09:00", "17:00", "Chat contact-centre floor", "4.1, 4.2")],
}


def _org_number() -> str:
    base = "556677889"
    return f"{base[:6]}-{base[6:]}{luhn_check_digit(base)}"


def _flash(page):
    return page.get_by_role("status")


def _person(user) -> str:
    return user.get_full_name() or user.username


def _date(day: datetime.date) -> str:
    """A date as the English pages write it: 28 Dec 2026."""
    return f"{day.day} {day:%b %Y}"


def _day(day: datetime.date, site: str) -> str:
    """A plan day as the English pages name it: Mon 28 Dec 2026 · Umeå."""
    return f"{day:%a} {_date(day)} · {site}"


@pytest.mark.django_db(transaction=True)
def test_it_takes_in_a_client_and_plans_its_stage_2(pages, cast, mailoutbox):
    today = timezone.localdate()
    days = [today + datetime.timedelta(days=30 + offset) for offset in range(3)]
    # The competence register is kept by staff in the admin; the lead is competent, the auditor not.
    CompetenceFactory(
        user=cast.lead,
        standard=cast.standard,
        role=TeamRole.LEAD_AUDITOR,
        valid_from=today - datetime.timedelta(days=365),
        valid_to=today + datetime.timedelta(days=365),
    )

    page = pages.login(cast.staff)

    # 1. The new client: the organisation form.
    page.get_by_role("link", name="Add an organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an organisation")
    pages.visit(page, "staff-organization-new")
    page.get_by_label("Legal name").fill(ORGANIZATION)
    page.get_by_label("Organisation number").fill(_org_number())
    page.get_by_label("Street address").fill("Storgatan 12")
    page.get_by_label("Postal code").fill("903 26")
    page.get_by_label("City").fill("Umeå")
    page.get_by_label("Contact person").fill("Karin Lind")
    page.get_by_label("Contact e-mail").fill(CONTACT_EMAIL)
    page.get_by_role("button", name="Save").click()
    expect(_flash(page)).to_contain_text(f"Organisation {ORGANIZATION} added.")
    expect(page.get_by_role("heading", level=1)).to_have_text(ORGANIZATION)
    expect(page.get_by_text("No sites registered yet.")).to_be_visible()

    # 2. Its three sites, with their effective personnel.
    for site in SITES:
        page.get_by_role("link", name="Add a site").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Add a site")
        page.get_by_label("Name").fill(site["name"])
        page.get_by_label("City").fill(site["city"])
        if site["central"]:
            page.get_by_label("Central function").check()
            pages.visit(page, "staff-site-new")
        page.get_by_label("Effective personnel").fill(site["personnel"])
        page.get_by_label("Activities at the site").fill(site["activities"])
        page.get_by_role("button", name="Save").click()
        expect(_flash(page)).to_contain_text(f"Site {site['name']} added.")
    sites_table = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Site"))
    for site in SITES:
        row = sites_table.get_by_role("row").filter(has_text=site["name"])
        expect(row).to_contain_text(site["personnel"])
    expect(sites_table.get_by_role("row").filter(has_text="Umeå")).to_contain_text("Central function")
    pages.visit(page, "staff-organization")

    # 3. The certification programme, started from the organisation's page.
    page.get_by_role("link", name="New programme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New certification programme")
    organization = Organization.objects.get(legal_name=ORGANIZATION)
    expect(page.get_by_label("Organisation")).to_have_value(str(organization.pk))
    page.get_by_label(cast.standard.code).check()
    page.get_by_role("button", name="Create programme").click()
    expect(_flash(page)).to_contain_text("Programme created with its five audits")
    expect(page.get_by_role("heading", level=1)).to_contain_text(cast.standard.code)
    audits_table = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Due by"))
    expect(audits_table.get_by_role("row")).to_have_count(6)  # the header and five audits
    pages.visit(page, "staff-programme")

    # 4. The stage 2 audit: its dates first.
    page.get_by_role("link", name="Stage 2").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stage 2")
    stage2 = Audit.objects.get(organization=organization, audit_type=AuditType.STAGE2)
    page.get_by_role("link", name="Edit audit").click()
    page.get_by_label("First day").fill(days[0].isoformat())
    page.get_by_label("Last day").fill(days[-1].isoformat())
    pages.visit(page, "staff-audit-edit")
    page.get_by_role("button", name="Save").click()
    expect(_flash(page)).to_contain_text("Changes saved.")
    expect(page.get_by_text("Compute the audit time first.")).to_be_visible()

    # 5. The audit time: 125 personnel is 2.5 days in the ISO 18295 table; the two other sites
    # are both sampled (ceil √2 = 2), +0.5 day each: 3.5 days, of which stage 1 takes 0.5.
    page.get_by_role("link", name="Compute audit time").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audit time")
    page.get_by_role("button", name="Compute and choose sites").click()
    expect(_flash(page)).to_contain_text("Audit time computed: 3.0 days; 3 sites to visit.")
    page.get_by_role("link", name="Compute audit time").click()
    calculation = page.locator("dl.summary-list").filter(has_text="Table value")
    expect(calculation).to_contain_text("2.5 days")
    expect(calculation.locator("div").filter(has_text="Stage 1 / stage 2")).to_contain_text("0.5 / 3.0 days")
    justification = page.get_by_role("list").filter(has_text="table value")
    expect(justification).to_contain_text("Effective personnel 125 -> table value 2.5 days")
    expect(justification).to_contain_text("+1.0 day for 2 sites visited besides the central function")
    for site in SITES:
        expect(calculation).to_contain_text(site["name"])
    pages.visit(page, "staff-audit-time")
    stage2.refresh_from_db()
    assert stage2.planned_days == Decimal("3.0")
    assert sorted(stage2.sites.values_list("name", flat=True)) == sorted(site["name"] for site in SITES)

    # 6. The team: someone without the competence is refused, with the rule named on the page.
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Team", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audit team")
    page.get_by_label("Person").select_option(label=_person(cast.auditor))
    page.get_by_label("Role").select_option(label="Auditor")
    page.get_by_role("button", name="Add to the team").click()
    refusal = (
        f"Competence rule: {cast.auditor} holds no valid auditor competence for {cast.standard.code} "
        f"on the audit dates ({_date(days[0])} to {_date(days[-1])})."
    )
    expect(page.get_by_role("alert")).to_contain_text(refusal)
    expect(page.locator(".field-error").filter(has=page.get_by_label("Person"))).to_contain_text(refusal)
    # Nothing typed is lost: the refused choice is still there to correct.
    expect(page.get_by_label("Person")).to_have_value(str(cast.auditor.pk))
    expect(page.get_by_text("No one on the team yet.")).to_be_visible()
    pages.visit(page, "staff-audit-team-refused")
    page.get_by_label("Person").select_option(label=_person(cast.lead))
    page.get_by_label("Role").select_option(label="Lead auditor")
    page.get_by_role("button", name="Add to the team").click()
    expect(_flash(page)).to_contain_text(f"{cast.lead} added as Lead auditor.")
    team_table = page.get_by_role("table")
    expect(team_table.get_by_role("row").filter(has_text=_person(cast.lead))).to_contain_text("Lead auditor")
    expect(team_table).not_to_contain_text(_person(cast.auditor))
    pages.visit(page, "staff-audit-team")

    # 7. The plan: a day at each sampled site, eight hours of slots each, clauses 4.1 and 4.2.
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Plan days and slots").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audit plan")
    expect(page.get_by_text("No days planned yet.")).to_be_visible()
    for day, site in zip(days, SITES, strict=True):
        page.get_by_label("Date", exact=True).fill(day.isoformat())
        page.get_by_label("Site", exact=True).select_option(label=site["name"])
        page.get_by_role("button", name="Add day").click()
        expect(_flash(page)).to_contain_text(f"Day added: {_day(day, site['name'])}.")
    problems = page.get_by_role("note")
    for site in SITES:
        expect(problems).to_contain_text(f"{site['name']} is in the sample but has no slot in the plan.")
    lead_label = f"{_person(cast.lead)} (Lead auditor)"
    for day, site in zip(days, SITES, strict=True):
        for start, end, activity, clauses in SLOTS[site["name"]]:
            page.get_by_label("Day and site").select_option(label=_day(day, site["name"]))
            page.get_by_label("From", exact=True).fill(start)
            page.get_by_label("To", exact=True).fill(end)
            page.get_by_label("Responsible").select_option(label=lead_label)
            page.get_by_label("Activity or process").fill(activity)
            page.get_by_label("Clauses").fill(clauses)
            page.get_by_role("button", name="Add slot").click()
            expect(_flash(page)).to_contain_text(
                f"Slot added: {_day(day, site['name'])} · {start}–{end} {activity}."
            )
    for day, site in zip(days, SITES, strict=True):
        # A site named after its city is named once.
        section = page.get_by_role("region", name=f"{day:%A} {_date(day)} · {site['name']}", exact=True)
        for start, end, activity, clauses in SLOTS[site["name"]]:
            row = section.get_by_role("row").filter(has_text=activity)
            expect(row).to_contain_text(f"{start}–{end}")
            expect(row).to_contain_text(clauses)
            expect(row).to_contain_text(_person(cast.lead))
    expect(page.locator("dl.summary-list")).to_contain_text("24 hours planned")
    expect(page.get_by_text("Before the plan can be confirmed")).to_have_count(0)
    pages.visit(page, "staff-audit-plan")

    # 8. Confirming the plan makes its PDF and e-mails it to the client contact.
    page.get_by_role("button", name="Confirm the plan").click()
    expect(_flash(page)).to_contain_text("Plan confirmed.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plan confirmed")
    record = page.locator("dl.summary-list")
    expect(record.locator("div").filter(has_text="Team")).to_contain_text(
        f"{_person(cast.lead)} (Lead auditor)"
    )
    expect(record.locator("div").filter(has_text="Audit days")).to_contain_text("3.0 · 24 hours planned")
    expect(record.locator("div").filter(has_text="Sites to visit")).to_contain_text("Umeå (central function)")
    expect(record.locator("div").filter(has_text="Plan confirmed")).to_be_visible()
    pages.visit(page, "staff-audit-record")

    # 9. The plan PDF, downloaded from the audit record.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the plan (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    content = download.path().read_bytes()
    assert content.startswith(b"%PDF-")
    text = "\n".join(pdf_page.extract_text() for pdf_page in PdfReader(io.BytesIO(content)).pages)
    assert ORGANIZATION in text
    for site in SITES:
        assert site["name"] in text

    # The end state, as stored.
    stage2.refresh_from_db()
    assert stage2.status == AuditStatus.CONFIRMED
    assert stage2.confirmed_at is not None
    assert list(stage2.team.values_list("user__username", "role")) == [
        (cast.lead.username, TeamRole.LEAD_AUDITOR)
    ]
    assert sorted(stage2.days.values_list("site__name", flat=True)) == sorted(s["name"] for s in SITES)
    assert sum(slot.hours for day in stage2.days.all() for slot in day.slots.all()) == Decimal(24)
    assert stage2.documents.filter(kind=DocumentKind.PLAN).count() == 1
    assert [message.to for message in mailoutbox] == [[CONTACT_EMAIL]]
    assert organization.sites.count() == 3
