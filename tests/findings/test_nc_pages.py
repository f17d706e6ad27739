"""The nonconformity pages: the client answers, the lead reviews and verifies, the thread stays."""

import io
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from findings.models import (
    Finding,
    InternalNote,
    Nonconformity,
    NonconformityAttachment,
    NonconformityEvent,
    NonconformityStatus,
)
from findings.services import finding_create
from reports.services import audit_close
from tests.conftest import CAST_NAMES, page_text
from tests.factories import closing_report


@pytest.fixture
def ncs(cast, onsite_audit, django_capture_on_commit_callbacks):
    """Nordkontakt's stage 2 closed with one minor (4.1) and one major (4.2) nonconformity."""
    for user, address in ((cast.client, "client@example.se"), (cast.lead, "lead@example.se")):
        user.email = address
        user.save(update_fields=["email"])
    finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade="minor",
        statement="No trend analysis since June.",
    )
    finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_42,
        site=onsite_audit.stockholm,
        grade="major",
        statement="New agents lack the introduction training.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        audit_close(
            audit=onsite_audit,
            **closing_report(onsite_audit),
            user=cast.lead,
            recommendation="certify_after_majors",
        )
    minor = Nonconformity.objects.get(grade="minor")
    major = Nonconformity.objects.get(grade="major")
    return minor, major


ANSWER = {
    "correction": "Ran the trend analysis for June to November.",
    "root_cause": "The analyst's task was not handed over when she left.",
    "corrective_action": "The monthly analysis is now a task in the quality calendar with a deputy.",
    "responsible": "Quality manager",
}


def test_it_gives_each_cast_user_the_decided_answer(cast, ncs, login):
    minor, _major = ncs
    urls = {
        "list": ("/ncrs/", [302, 200, 200, 200, 200, 200]),
        "detail": (f"/ncrs/{minor.pk}/", [302, 200, 200, 404, 200, 404]),
    }
    for name, (url, expected) in urls.items():
        got = [login(cast.user(user)).get(url).status_code for user in CAST_NAMES]
        assert got == expected, f"{name}: {dict(zip(CAST_NAMES, got, strict=True))}"


def test_it_sends_the_issued_email_to_the_client(cast, ncs):
    issued = [message for message in mail.outbox if "to answer" in message.subject]
    assert len(issued) == 2
    assert all(message.to == ["client@example.se"] for message in issued)
    assert NonconformityEvent.objects.filter(kind="issued").count() == 2


def test_it_lists_the_clients_open_ncrs_only(cast, ncs, login):
    minor, major = ncs
    body = page_text(login(cast.client).get("/ncrs/"))
    assert minor.number in body and major.number in body
    assert page_text(login(cast.other).get("/ncrs/")).count("NC-") == 0
    assert page_text(login(cast.auditor).get("/ncrs/")).count("NC-") == 0


def test_it_plays_the_whole_loop_in_the_browser(cast, ncs, login, django_capture_on_commit_callbacks):
    minor, _major = ncs
    mail.outbox.clear()
    client = login(cast.client)
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 120, 0)).save(photo, "PNG")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/ncrs/{minor.pk}/respond/",
            {**ANSWER, "files": [SimpleUploadedFile("calendar.png", photo.getvalue(), "image/png")]},
        )
    assert response.status_code == 302
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.AWAITING_REVIEW
    assert NonconformityAttachment.objects.get().original_name == "calendar.png"
    assert [message.to for message in mail.outbox] == [["lead@example.se"]]

    lead = login(cast.lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = lead.post(
            f"/ncrs/{minor.pk}/review/", {"decision": "reject", "comment": "Show the first run."}
        )
    assert response.status_code == 302
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.AWAITING_RESPONSE
    assert "needs more work" in mail.outbox[-1].subject

    body = page_text(login(cast.client).get(f"/ncrs/{minor.pk}/"))
    assert "Show the first run." in body
    assert "Answer again" in body
    with django_capture_on_commit_callbacks(execute=True):
        login(cast.client).post(f"/ncrs/{minor.pk}/respond/", {**ANSWER, "correction": "First run attached."})
    with django_capture_on_commit_callbacks(execute=True):
        login(cast.lead).post(f"/ncrs/{minor.pk}/review/", {"decision": "accept", "comment": ""})
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.ACCEPTED
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.lead).post(
            f"/ncrs/{minor.pk}/verify/",
            {"method": "desk", "comment": "Calendar and two monthly reports seen."},
        )
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.CLOSED
    assert minor.closed_by == cast.lead
    # Both rounds stay in the thread, each as it was sent.
    body = page_text(login(cast.client).get(f"/ncrs/{minor.pk}/"))
    assert "Answer 1" in body and "Answer 2" in body
    assert "Ran the trend analysis for June to November." in body
    assert "First run attached." in body
    subjects = [message.subject for message in mail.outbox]
    assert any("is accepted" in subject for subject in subjects)
    assert any("is closed" in subject for subject in subjects)


def test_it_keeps_the_answer_when_it_is_refused(cast, ncs, login):
    minor, _major = ncs
    response = login(cast.client).post(
        f"/ncrs/{minor.pk}/respond/",
        {**ANSWER, "root_cause": "", "files": [SimpleUploadedFile("x.png", b"not a picture", "image/png")]},
    )
    body = page_text(response)
    assert response.status_code == 400
    assert "This field is required." in body
    assert "The analyst&#x27;s" not in body  # root cause was blank
    assert "Ran the trend analysis for June to November." in body
    assert not minor.responses.exists()
    assert not NonconformityAttachment.objects.exists()


def test_it_refuses_a_bad_file_and_stores_nothing(cast, ncs, login):
    minor, _major = ncs
    response = login(cast.client).post(
        f"/ncrs/{minor.pk}/respond/",
        {**ANSWER, "files": [SimpleUploadedFile("x.png", b"not a picture", "image/png")]},
    )
    assert response.status_code == 400
    assert "Ran the trend analysis" in page_text(response)
    assert not minor.responses.exists()
    assert not NonconformityAttachment.objects.exists()


def test_it_refuses_steps_by_the_wrong_people(cast, ncs, login):
    minor, _major = ncs
    assert login(cast.lead).post(f"/ncrs/{minor.pk}/respond/", ANSWER).status_code == 403
    assert login(cast.other).post(f"/ncrs/{minor.pk}/respond/", ANSWER).status_code == 404
    assert login(cast.staff).post(f"/ncrs/{minor.pk}/review/", {"decision": "accept"}).status_code == 403
    assert (
        login(cast.client).post(f"/ncrs/{minor.pk}/verify/", {"method": "desk", "comment": "x"}).status_code
        == 403
    )
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.AWAITING_RESPONSE


def test_it_refuses_a_step_out_of_turn_with_the_reason(cast, ncs, login):
    minor, _major = ncs
    response = login(cast.lead).post(f"/ncrs/{minor.pk}/review/", {"decision": "accept"})
    assert response.status_code == 400
    assert "cannot be reviewed now" in page_text(response)


def test_it_requires_reasons_for_a_rejection(cast, ncs, login):
    minor, _major = ncs
    login(cast.client).post(f"/ncrs/{minor.pk}/respond/", ANSWER)
    response = login(cast.lead).post(f"/ncrs/{minor.pk}/review/", {"decision": "reject", "comment": ""})
    assert response.status_code == 400
    assert "Say why the answer is rejected" in page_text(response)
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.AWAITING_REVIEW


def test_it_never_shows_internal_notes_to_the_client(cast, ncs, login):
    minor, _major = ncs
    response = login(cast.lead).post(f"/ncrs/{minor.pk}/notes/", {"text": "Client was defensive on site."})
    assert response.status_code == 302
    assert InternalNote.objects.get().author == cast.lead
    assert "Client was defensive on site." in page_text(login(cast.staff).get(f"/ncrs/{minor.pk}/"))
    body = page_text(login(cast.client).get(f"/ncrs/{minor.pk}/"))
    assert "Client was defensive on site." not in body
    assert "Internal notes" not in body
    assert login(cast.client).post(f"/ncrs/{minor.pk}/notes/", {"text": "hi"}).status_code == 403


def test_it_serves_answer_files_to_those_who_read_the_ncr(cast, ncs, login):
    minor, _major = ncs
    photo = io.BytesIO()
    Image.new("RGB", (10, 10)).save(photo, "PNG")
    login(cast.client).post(
        f"/ncrs/{minor.pk}/respond/", {**ANSWER, "files": [SimpleUploadedFile("a.png", photo.getvalue())]}
    )
    attachment = NonconformityAttachment.objects.get()
    got = [login(cast.user(name)).get(f"/ncrs/files/{attachment.pk}/").status_code for name in CAST_NAMES]
    assert got == [302, 200, 200, 404, 200, 404]
    response = login(cast.client).get(f"/ncrs/files/{attachment.pk}/")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_lists_ncrs_in_a_constant_number_of_queries(cast, ncs, login, django_assert_max_num_queries):
    client = login(cast.staff)
    with django_assert_max_num_queries(15) as baseline:
        client.get("/ncrs/?show=all")
    minor, _major = ncs
    for index in range(5):
        extra = Finding.objects.create(
            audit=minor.audit,
            clause=minor.finding.clause,
            grade="minor",
            statement=f"extra {index}",
            recorded_by=cast.lead,
            updated_by=cast.lead,
        )
        Nonconformity.objects.create(
            number=f"NC-2099-{index:04d}",
            finding=extra,
            audit=minor.audit,
            grade="minor",
            response_due=minor.response_due,
        )
    with django_assert_max_num_queries(len(baseline)):
        response = client.get("/ncrs/?show=all")
    assert "NC-2099-0004" in response.content.decode()


def test_it_renders_an_ncr_in_a_constant_number_of_queries(cast, ncs, login, django_assert_max_num_queries):
    minor, _major = ncs
    # One round first: with no answer at all, the answers' files are not even looked up.
    login(cast.client).post(f"/ncrs/{minor.pk}/respond/", ANSWER)
    login(cast.lead).post(f"/ncrs/{minor.pk}/review/", {"decision": "reject", "comment": "more"})
    client = login(cast.lead)
    with django_assert_max_num_queries(30) as baseline:
        client.get(f"/ncrs/{minor.pk}/")
    # Read now: each later request clears the connection's query log the context reads from.
    baseline_count = len(baseline)
    for _round in range(3):
        login(cast.client).post(f"/ncrs/{minor.pk}/respond/", ANSWER)
        login(cast.lead).post(f"/ncrs/{minor.pk}/review/", {"decision": "reject", "comment": "more"})
    client = login(cast.lead)
    with django_assert_max_num_queries(baseline_count):
        response = client.get(f"/ncrs/{minor.pk}/")
    assert "Answer 4" in response.content.decode()


def test_it_shows_each_role_its_ncrs_at_home(cast, ncs, login):
    minor, major = ncs
    client_home = page_text(login(cast.client).get("/"))
    assert minor.number in client_home and major.number in client_home
    assert minor.number not in page_text(login(cast.other).get("/"))
    login(cast.client).post(f"/ncrs/{minor.pk}/respond/", ANSWER)
    lead_home = page_text(login(cast.lead).get("/"))
    assert "Answers to review" in lead_home
    assert minor.number in lead_home
    assert major.number not in lead_home
    Nonconformity.objects.filter(pk=major.pk).update(response_due="2020-01-01")
    staff_home = page_text(login(cast.staff).get("/"))
    assert major.number in staff_home
    assert minor.number not in staff_home


def test_it_lists_suspension_candidates_for_staff(cast, ncs, login):
    _minor, major = ncs
    Nonconformity.objects.filter(pk=major.pk).update(close_due="2020-01-01")
    body = page_text(login(cast.staff).get("/"))
    assert "Candidates for suspension" in body
    assert f'Nordkontakt AB</a>: <a href="/ncrs/{major.pk}/">{major.number}</a>' in body


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


def test_it_links_each_answer_field_to_its_hint_and_errors(cast, open_minor, login):
    client = login(cast.client)
    assert _missing_descriptions(client.get(f"/ncrs/{open_minor.pk}/").content.decode()) == []
    refused = client.post(f"/ncrs/{open_minor.pk}/respond/", {**ANSWER, "root_cause": ""})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'aria-describedby="id_root_cause_helptext id_root_cause_error"' in html
    assert _missing_descriptions(html) == []


def test_it_forgets_the_answer_draft_once_the_answer_is_sent(cast, open_minor, login):
    client = login(cast.client)
    marker = f'data-draft-done="nc-answer-{open_minor.pk}"'
    before = client.get(f"/ncrs/{open_minor.pk}/").content.decode()
    assert f'data-draft-key="nc-answer-{open_minor.pk}"' in before
    assert marker not in before  # while the answer is being written its draft is kept
    response = client.post(f"/ncrs/{open_minor.pk}/respond/", ANSWER, follow=True)
    assert response.status_code == 200
    after = response.content.decode()
    assert marker in after
    assert "data-draft-key" not in after
    # A refused answer keeps its draft: the client still has to send it.
    login(cast.lead).post(
        f"/ncrs/{open_minor.pk}/review/", {"decision": "reject", "comment": "More, please."}
    )
    refused = login(cast.client).post(f"/ncrs/{open_minor.pk}/respond/", {**ANSWER, "correction": ""})
    assert refused.status_code == 400
    assert marker not in refused.content.decode()
