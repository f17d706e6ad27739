"""static/js/drafts.js, the device drafts of the finding and answer forms, in the real browser.

Found by the lead auditor's journey (tests/e2e/test_journey_lead_onsite.py): the script kept nothing
typed on the page shown right after a save (`?saved=1`), and that address, reloaded or come Back to
after a failed send, threw the newer draft away; saving an edit also threw away the new-finding draft
of the clause page it returns to. The tests drive the script on small pages served by the test.
"""

import re
from pathlib import Path

import pytest

DRAFTS_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "drafts.js"


# -- Drafts on the device -----------------------------------------------------------------------------

ORIGIN = "http://certdesk.test"

PAGE = """<!doctype html><html lang="en"><head><title>{title}</title></head><body>
<form method="post" action="{action}" data-draft-key="{key}">
  <p data-draft-note hidden>restored</p>
  <fieldset><legend>Grade</legend>
    <label><input type="radio" name="grade" value="minor"> Minor</label>
    <label><input type="radio" name="grade" value="ofi"> OFI</label>
  </fieldset>
  <label for="site">Site</label>
  <select id="site" name="site"><option value="">None</option><option value="3" selected>Umeå</option>
    <option value="4">Luleå</option></select>
  <label for="statement">Statement</label><textarea id="statement" name="statement"></textarea>
  <button type="submit">Save</button>
</form>
<script src="/static/js/drafts.js"></script></body></html>"""

# A clause page with its new-finding form, and an edit page whose save returns to the clause page,
# both answering a save with a redirect to the clause page with "saved=1", as the views do.
PAGES = {
    "/clause/": PAGE.format(title="Clause", action="/clause/", key="finding-1-2"),
    "/edit/": PAGE.format(title="Edit", action="/edit/", key="finding-edit-7"),
}


def _serve(route):
    request = route.request
    path = request.url.removeprefix(ORIGIN).split("?")[0].split("#")[0]
    if path == "/static/js/drafts.js":
        route.fulfill(status=200, content_type="text/javascript", body=DRAFTS_JS.read_text())
    elif request.method == "POST":
        route.fulfill(status=302, headers={"Location": f"{ORIGIN}/clause/?saved=1&site=3#new-finding"})
    else:
        route.fulfill(status=200, content_type="text/html", body=PAGES[path])


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.route(f"{ORIGIN}/**", _serve)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def _saved_once(page):
    """Send the clause page's new finding and land on the page that says it was saved."""
    page.goto(f"{ORIGIN}/clause/")
    page.fill("#statement", "The first finding")
    page.click("button")
    page.wait_for_url(re.compile(r"/clause/"))
    page.wait_for_load_state()


def test_it_forgets_the_saved_draft_and_takes_saved_off_the_address(page):
    _saved_once(page)
    assert page.input_value("#statement") == ""
    assert page.url == f"{ORIGIN}/clause/?site=3#new-finding"
    assert page.evaluate("() => localStorage.getItem('certdesk-draft:finding-1-2')") is None


def test_it_keeps_what_is_typed_on_the_page_shown_after_a_save(page):
    _saved_once(page)
    page.fill("#statement", "The second finding, typed after the first was saved")
    page.reload()
    assert page.input_value("#statement") == "The second finding, typed after the first was saved"
    assert page.is_visible("[data-draft-note]")


def test_it_keeps_the_draft_when_the_send_fails_and_the_lead_comes_back(page):
    _saved_once(page)
    page.fill("#statement", "Typed with the network down")
    page.context.set_offline(True)
    page.click("button")
    page.wait_for_url(re.compile(r"^chrome-error://"))
    page.context.set_offline(False)
    page.go_back()
    page.reload()  # a fresh load, not the browser's memory of the form
    assert page.input_value("#statement") == "Typed with the network down"


def test_it_keeps_the_new_finding_draft_when_an_edit_is_saved(page):
    page.goto(f"{ORIGIN}/clause/")
    page.fill("#statement", "A new finding, not sent yet")
    page.goto(f"{ORIGIN}/edit/")
    page.fill("#statement", "The edited finding")
    page.click("button")
    page.wait_for_url(re.compile(r"/clause/"))
    page.wait_for_load_state()
    # Back on the clause page: the edit's draft is done, the new finding's draft is still there.
    assert page.input_value("#statement") == "A new finding, not sent yet"
    assert page.evaluate("() => localStorage.getItem('certdesk-draft:finding-edit-7')") is None


def test_it_keeps_the_grade_and_the_site_chosen_with_the_text(page):
    page.goto(f"{ORIGIN}/clause/")
    page.check("input[value=ofi]")
    page.select_option("#site", "4")
    page.fill("#statement", "Typed on a bad network")
    page.reload()  # the server's page again: no grade, its own site guess
    assert page.input_value("#statement") == "Typed on a bad network"
    assert page.is_checked("input[value=ofi]")
    assert page.input_value("#site") == "4"


def test_it_leaves_the_choices_alone_when_there_is_no_draft(page):
    page.goto(f"{ORIGIN}/clause/")
    assert not page.is_checked("input[value=ofi]")
    assert page.input_value("#site") == "3"
    assert not page.is_visible("[data-draft-note]")
