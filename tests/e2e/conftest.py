"""The browser suite: Playwright driving the system's Chromium against a live server on 127.0.0.1.

- `make test-e2e` runs only this suite and fails if the browser is missing (CERTDESK_E2E=required).
- `make test` runs it too when Chromium is installed, and otherwise skips it with the reason.
- CERTDESK_E2E=off skips it (CI runs it on its own with `make test-e2e`).

Each journey logs in through the login page, acts as its user would and asserts what the user sees.
`pages.visit(page, name)` saves a screenshot of the page at phone and at desktop size under
build/screenshots/ and runs axe-core on both; a serious or critical violation fails the test.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
SCREENSHOTS = BUILD / "screenshots"
AXE_PREFIX = BUILD / "e2e"
AXE_SCRIPT = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.10"

DEMO_PASSWORD = "demo"  # tests.factories.UserFactory's password
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Debian's Chromium on a closed network: no sandbox as root, no GPU, and none of the background
# connections (updates, sync, safe browsing) that the network refuses. Playwright starts it with a
# new, empty profile directory of its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The Playwright sync API keeps an event loop in the test's thread; the ORM calls the tests make to
# set up and check data are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# pytest-django's live server listens on this address.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _mode() -> str:
    return os.environ.get("CERTDESK_E2E", "auto").lower()


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    ours = [item for item in items if here in Path(str(item.fspath)).parents]
    if not ours:
        return
    for item in ours:
        item.add_marker(pytest.mark.e2e)
    mode = _mode()
    if mode == "off":
        reason = "browser suite switched off (CERTDESK_E2E=off); run it with `make test-e2e`"
    elif chromium_path() is None:
        reason = (
            "browser suite skipped: no Chromium found (install Debian's `chromium` package or set "
            "CHROMIUM=/path/to/chromium, then run `make test-e2e`)"
        )
        if mode == "required":
            raise pytest.UsageError(f"CERTDESK_E2E=required but {reason}")
    else:
        return
    for item in ours:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from the npm registry, installed under build/e2e at test time (never committed)."""
    if not AXE_SCRIPT.exists():
        AXE_PREFIX.mkdir(parents=True, exist_ok=True)
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to install axe-core for the accessibility checks")
        result = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(AXE_PREFIX),
                "--no-save",
                "--no-audit",
                "--no-fund",
                f"axe-core@{AXE_VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0 or not AXE_SCRIPT.exists():
            pytest.fail(f"npm could not install axe-core:\n{result.stdout}\n{result.stderr}")
    return AXE_SCRIPT.read_text()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Pages:
    """Opens pages as a user, and checks and photographs key pages."""

    def __init__(self, browser, base_url: str, axe_source: str):
        self.browser = browser
        self.base_url = base_url
        self.axe_source = axe_source
        self.contexts = []
        self.console_errors: list[str] = []

    def open(self, viewport=DESKTOP, locale="en-GB"):
        context = self.browser.new_context(
            base_url=self.base_url, viewport=viewport, locale=locale, accept_downloads=True
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        # A blocked script or style (CSP) or a failed resource shows here; the suite fails on it.
        page.on(
            "console",
            lambda message: message.type == "error" and self.console_errors.append(message.text),
        )
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        return page

    def login(self, user, viewport=DESKTOP):
        """Log in through the login page (every factory user's password is the demo one)."""
        page = self.open(viewport)
        page.goto("/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        assert "/login/" not in page.url, f"log-in failed for {user.username}: {page.url}"
        return page

    def visit(self, page, name: str):
        """Screenshot the current page at phone and desktop size and check it with axe-core."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        original = page.viewport_size
        problems = []
        for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{size_name}.png"), full_page=True)
            problems += [f"[{size_name}] {line}" for line in self.accessibility_problems(page)]
        page.set_viewport_size(original)
        assert not problems, f"axe-core found serious or critical problems on {name}:\n" + "\n".join(problems)

    def accessibility_problems(self, page) -> list[str]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(self.axe_source)
        result = page.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
            }"""
        )
        return [
            f"{v['impact']}: {v['id']} ({v['help']}) at {json.dumps(v['nodes'])}"
            for v in result
            if v["impact"] in ("serious", "critical")
        ]

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="session")
def _live_server_media_url():
    """Django's live server wraps the app in a media handler that needs a MEDIA_URL; Certdesk has
    none (files go out only through views that check access), so it gets one nothing links to."""
    from django.conf import settings

    settings.MEDIA_URL = "/__live-server-media-unused__/"


@pytest.fixture
def pages(_live_server_media_url, browser, live_server, axe_source, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    pages = Pages(browser, live_server.url, axe_source)
    yield pages
    pages.close()
    assert not pages.console_errors, "the browser reported errors:\n" + "\n".join(pages.console_errors)
