"""A tour of the key pages on the demo world, in English and in Swedish, as each kind of user.

Every page is photographed at phone and desktop size and checked with axe-core (pages.visit); the
Swedish tour starts from the language switch in the footer, a plain form that needs no script.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from certificates.models import Certificate
from clients.models import Organization
from findings.models import Finding, Nonconformity
from tests.e2e.conftest import PHONE


@pytest.fixture
def demo(transactional_db):
    call_command("load_standards", verbosity=0)
    call_command("seed_demo", force=True, verbosity=0)
    users = {user.username: user for user in get_user_model().objects.all()}
    nordkontakt = Organization.objects.get(legal_name="Nordkontakt AB")
    # The stage 2 under way: the one with findings recorded on site.
    stage2 = Finding.objects.filter(audit__organization=nordkontakt).select_related("audit").first().audit
    norr = Organization.objects.get(legal_name="Kundtjänst Norr AB")
    closed = Nonconformity.objects.filter(finding__audit__organization=norr).first().finding.audit
    return {
        "users": users,
        "nordkontakt": nordkontakt,
        "stage2": stage2,
        "closed": closed,
        "ncr": Nonconformity.objects.filter(finding__audit=closed).order_by("number").last(),
        "certificate": Certificate.objects.get(),
    }


def tour(demo) -> dict[str, list[tuple[str, str]]]:
    """Each demo user's key pages: (screenshot name, URL)."""
    stage2, closed, certificate = demo["stage2"], demo["closed"], demo["certificate"]
    return {
        "staff": [
            ("staff-home", reverse("home")),
            ("organisations", reverse("clients:list")),
            ("organisation", reverse("clients:detail", args=[demo["nordkontakt"].pk])),
            ("programme", reverse("audits:programme-detail", args=[stage2.programme_id])),
            ("audit-list", reverse("audits:audit-list")),
            ("audit-record", reverse("audits:audit-detail", args=[stage2.pk])),
            ("audit-time", reverse("audits:audit-time", args=[stage2.pk])),
            ("audit-plan", reverse("audits:audit-plan", args=[stage2.pk])),
            ("audit-team", reverse("audits:audit-team", args=[stage2.pk])),
            ("quote", reverse("audits:quote", args=[stage2.programme_id])),
            ("calculator", reverse("audits:calculator")),
            ("standards", reverse("standards:standard-list")),
            ("ncr-list-staff", reverse("findings:nc-list")),
            ("certificates", reverse("certificates:certificate-list")),
            ("certificate", reverse("certificates:certificate-detail", args=[certificate.pk])),
            ("decided-audit", reverse("audits:audit-detail", args=[closed.pk])),
            ("security-log", reverse("security-log")),
            ("outbox", reverse("outbox:list")),
        ],
        "lead": [
            ("auditor-home", reverse("home")),
            ("checklist", reverse("findings:checklist", args=[stage2.pk])),
            ("audit-history", reverse("findings:history", args=[stage2.pk])),
            ("ncr-list-auditor", reverse("findings:nc-list")),
        ],
        "client": [
            ("client-home", reverse("home")),
            ("client-organisation", reverse("clients:list")),
            ("client-audits", reverse("audits:audit-list")),
        ],
        "other": [
            ("other-home", reverse("home")),
            ("ncr", reverse("findings:nc-detail", args=[demo["ncr"].pk])),
            ("client-certificates", reverse("certificates:certificate-list")),
        ],
    }


def test_every_key_page_reads_well_in_english(pages, demo):
    for username, stops in tour(demo).items():
        page = pages.login(demo["users"][username])
        for name, url in stops:
            response = page.goto(url)
            assert response.status == 200, f"{username} {url}: {response.status}"
            assert page.locator("h1").count() == 1, f"{url} should have one main heading"
            pages.visit(page, f"tour-en-{name}")


def test_the_public_pages_and_the_login_page(pages, demo):
    page = pages.open()
    page.goto(reverse("login"))
    assert page.get_by_role("heading", name="Log in").is_visible()
    pages.visit(page, "tour-en-login")

    page.goto(reverse("public:register"))
    page.get_by_label("Company name or certificate number").fill("Norr")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_text("1 certificate found.").is_visible()
    assert page.get_by_role("link", name=demo["certificate"].number).is_visible()
    pages.visit(page, "tour-en-public-register")

    page.goto(reverse("public:verify", args=[demo["certificate"].number]))
    assert page.get_by_text("Active", exact=True).first.is_visible()
    pages.visit(page, "tour-en-public-verify")

    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    pages.visit(page, "tour-en-404")


def test_the_language_switch_turns_every_key_page_swedish(pages, demo):
    page = pages.login(demo["users"]["client"], viewport=PHONE)
    assert page.locator("html").get_attribute("lang") == "en"

    page.get_by_label("Language").select_option("sv")
    page.get_by_role("button", name="Change").click()

    assert page.locator("html").get_attribute("lang") == "sv"
    menu = page.get_by_role("navigation", name="Huvudmeny")
    assert menu.get_by_role("link", name="Start", exact=True).is_visible()
    demo["users"]["client"].refresh_from_db()
    assert demo["users"]["client"].language == "sv"
    pages.visit(page, "tour-sv-client-home")

    for username, stops in tour(demo).items():
        user = demo["users"][username]
        user.language = "sv"
        user.save(update_fields=["language"])
        page = pages.login(user)
        for name, url in stops:
            page.goto(url)
            assert page.locator("html").get_attribute("lang") == "sv", url
            pages.visit(page, f"tour-sv-{name}")
