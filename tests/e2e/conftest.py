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

    # The Playwright sync API keeps an event loop in this thread for as long as the browser lives;
    # the ORM calls the tests make to set up and check data, and the database's flush after each
    # test, are still plain synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Pages:
    """Opens pages as a user, and checks and photographs key pages."""

    def __init__(self, browser, base_url: str, axe_source: str):
        self.browser = browser
        self.base_url = base_url
        self.axe_source = axe_source
        self.contexts = []
        self.console_errors: list[str] = []

    def open(self, viewport=DESKTOP, locale="en-GB", javascript=True):
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=viewport,
            locale=locale,
            accept_downloads=True,
            java_script_enabled=javascript,
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        # A blocked script or style (CSP), a script error or a stylesheet, script or image that does
        # not load shows here, and the suite fails on it. A page itself may answer 403 or 404 when
        # a test asks for one; the console reports that as a failed resource too, so those lines
        # are left to the response listener, which looks at sub-resources only.
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"script error: {error}"))
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)
        return page

    def _on_console(self, message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _on_response(self, response):
        if response.status >= 400 and response.request.resource_type != "document":
            self.console_errors.append(
                f"{response.status} for {response.request.resource_type} {response.url}"
            )

    def _on_request_failed(self, request):
        # A download or a navigation away aborts a request (net::ERR_ABORTED: an image still loading
        # when the journey clicks on); only lost sub-resources count (a 4xx or 5xx is counted above).
        aborted = request.failure == "net::ERR_ABORTED"
        if request.resource_type in ("stylesheet", "script", "image", "font") and not aborted:
            self.console_errors.append(f"{request.resource_type} {request.url} failed: {request.failure}")

    def login(self, user, viewport=DESKTOP, javascript=True):
        """Log in through the login page (every factory user's password is the demo one)."""
        page = self.open(viewport, javascript=javascript)
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
def _media_url_while_the_live_server_starts():
    """Django's live server wraps the app in a media handler that needs a MEDIA_URL; Certdesk has
    none (files go out only through views that check access), so it gets one nothing links to for as
    long as the server starts (live_app puts the setting back at once, so no other test sees it)."""
    from django.conf import settings

    previous = settings.MEDIA_URL
    settings.MEDIA_URL = "/__live-server-media-unused__/"
    return previous


@pytest.fixture(scope="session")
def live_app(_media_url_while_the_live_server_starts, live_server):
    """pytest-django's live server (its fixture in the closure makes each test transactional)."""
    from django.conf import settings

    settings.MEDIA_URL = _media_url_while_the_live_server_starts
    return live_server


@pytest.fixture
def pages(browser, live_app, axe_source, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    pages = Pages(browser, live_app.url, axe_source)
    yield pages
    pages.close()
    assert not pages.console_errors, "the browser reported errors:\n" + "\n".join(pages.console_errors)
