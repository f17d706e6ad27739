"""Regressions found by the client's NCR journey in the browser (tests/e2e/test_journey_client_ncr.py)."""

import re
from html.parser import HTMLParser

import pytest

from findings.models import Nonconformity
from findings.services import finding_create
from reports.services import audit_close

ANSWER = {
    "correction": "Ran the trend analysis for June to November.",
    "root_cause": "The analyst's task was not handed over when she left.",
    "corrective_action": "The monthly analysis is now a task in the quality calendar with a deputy.",
}


@pytest.fixture
def minor(cast, onsite_audit):
    """Nordkontakt's stage 2 closed with one minor nonconformity awaiting the client's answer."""
    finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade="minor",
        statement="No trend analysis since June.",
    )
    audit_close(audit=onsite_audit, user=cast.lead, recommendation="certify")
    return Nonconformity.objects.get()


class _Ids(HTMLParser):
    """Every id on a page and every id an aria-describedby points to."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.described_by: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for target in (attrs.get("aria-describedby") or "").split():
            self.described_by.append((attrs.get("name") or attrs.get("id") or tag, target))


def _missing_descriptions(html: str) -> list[tuple[str, str]]:
    page = _Ids()
    page.feed(html)
    assert page.described_by, "the page has no described field at all"
    return [(field, target) for field, target in page.described_by if target not in page.ids]


def test_it_titles_the_clients_home_without_markup(cast, minor, login):
    body = login(cast.client).get("/").content.decode()
    title = re.search(r"<title>(.*?)</title>", body, re.S).group(1)
    assert title == "Home · Certdesk"
    # The table of NCRs is in the page once, in its body, and without the client's own name in a column.
    assert body.count(f">{minor.number}</a>") == 1
    ncr_table = body.split("Nonconformities to answer</h2>")[1].split("</table>")[0]
    assert minor.number in ncr_table
    assert ">Organisation</th>" not in ncr_table
    assert "Nordkontakt AB" not in ncr_table


def test_it_links_each_answer_field_to_its_hint_and_errors(cast, minor, login):
    client = login(cast.client)
    assert _missing_descriptions(client.get(f"/ncrs/{minor.pk}/").content.decode()) == []
    refused = client.post(f"/ncrs/{minor.pk}/respond/", {**ANSWER, "root_cause": ""})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'aria-describedby="id_root_cause_helptext id_root_cause_error"' in html
    assert _missing_descriptions(html) == []


def test_it_forgets_the_answer_draft_once_the_answer_is_sent(cast, minor, login):
    client = login(cast.client)
    marker = f'data-draft-done="nc-answer-{minor.pk}"'
    before = client.get(f"/ncrs/{minor.pk}/").content.decode()
    assert f'data-draft-key="nc-answer-{minor.pk}"' in before
    assert marker not in before  # while the answer is being written its draft is kept
    response = client.post(f"/ncrs/{minor.pk}/respond/", ANSWER, follow=True)
    assert response.status_code == 200
    after = response.content.decode()
    assert marker in after
    assert "data-draft-key" not in after
    # A refused answer keeps its draft: the client still has to send it.
    login(cast.lead).post(f"/ncrs/{minor.pk}/review/", {"decision": "reject", "comment": "More, please."})
    refused = login(cast.client).post(f"/ncrs/{minor.pk}/respond/", {**ANSWER, "correction": ""})
    assert refused.status_code == 400
    assert marker not in refused.content.decode()
