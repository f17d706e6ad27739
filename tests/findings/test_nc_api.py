"""/api/v1/nonconformities/: who reads what, each step allowed and refused, files, notes, queries."""

import datetime
import io
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from audits.models import AuditType, TeamMember, TeamRole
from findings import permissions
from findings.models import (
    AttachmentPurpose,
    Finding,
    InternalNote,
    Nonconformity,
    NonconformityAttachment,
    NonconformityEvent,
    NonconformityResponse,
    NonconformityStatus,
)
from findings.nc_api import NonconformityViewSet, internal_visible
from findings.services import finding_create
from reports.services import audit_close
from tests.conftest import CAST_NAMES
from tests.factories import UserFactory, closing_report

LIST = "/api/v1/nonconformities/"

ANSWER = {
    "correction": "Ran the trend analysis for June to November.",
    "root_cause": "The analyst's task was not handed over when she left.",
    "corrective_action": "The monthly analysis is now a task in the quality calendar with a deputy.",
    "responsible": "Quality manager",
}


@pytest.fixture
def ncs(cast, onsite_audit):
    """Nordkontakt's stage 2 closed with one minor (4.1) and one major (4.2) nonconformity."""
    for clause, grade, statement in (
        (onsite_audit.clause_41, "minor", "No trend analysis since June."),
        (onsite_audit.clause_42, "major", "New agents lack the introduction training."),
    ):
        finding_create(
            audit=onsite_audit,
            user=cast.lead,
            clause=clause,
            site=onsite_audit.stockholm,
            grade=grade,
            statement=statement,
        )
    Finding.objects.filter(grade="major").update(evidence="Training records of five agents hired in May.")
    audit_close(
        audit=onsite_audit,
        **closing_report(onsite_audit),
        user=cast.lead,
        recommendation="certify_after_majors",
    )
    return Nonconformity.objects.get(grade="minor"), Nonconformity.objects.get(grade="major")


def _url(nonconformity, step=""):
    return f"{LIST}{nonconformity.pk}/{step + '/' if step else ''}"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, "PNG")
    return buffer.getvalue()


def _png(name="calendar.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def _answer(api, user, nonconformity, **extra):
    return api(user).post(_url(nonconformity, "respond"), {**ANSWER, **extra}, format="json")


def _review(api, user, nonconformity, decision, comment=""):
    body = {"decision": decision, "comment": comment}
    return api(user).post(_url(nonconformity, "review"), body, format="json")


def _stored_files(settings):
    folder = settings.MEDIA_ROOT / "nonconformities"
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


# --- reading -----------------------------------------------------------------------------------


def test_it_answers_reads_as_decided(cast, ncs, api):
    minor, _major = ncs
    expected = {LIST: [401, 200, 200, 200, 200, 200], _url(minor): [401, 200, 200, 404, 200, 404]}
    for url, statuses in expected.items():
        got = [api(cast.user(name)).get(url).status_code for name in CAST_NAMES]
        assert got == statuses, f"{url}: {dict(zip(CAST_NAMES, got, strict=True))}"


def test_it_lists_only_the_callers_nonconformities(cast, ncs, api):
    minor, major = ncs
    for user in (cast.staff, cast.lead, cast.client):
        rows = api(user).get(LIST, {"ordering": "number"}).json()["results"]
        assert [row["number"] for row in rows] == [minor.number, major.number]
    for user in (cast.auditor, cast.other):
        assert api(user).get(LIST).json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_it_refuses_writes_to_the_record_itself(cast, ncs, api):
    minor, _major = ncs
    assert api(cast.staff).post(LIST, {}, format="json").status_code == 405
    for method in ("put", "patch", "delete"):
        assert getattr(api(cast.staff), method)(_url(minor), {}, format="json").status_code == 405
    assert api(cast.client).get(_url(minor, "respond")).status_code == 405


def test_it_describes_a_nonconformity(cast, ncs, api):
    _minor, major = ncs
    body = api(cast.client).get(_url(major)).json()
    assert body["id"] == major.pk
    assert body["number"] == major.number
    assert body["audit"] == major.audit_id
    assert body["organization"] == "Nordkontakt AB"
    assert body["clause"]["number"] == "4.2"
    assert body["clause"]["title"] == "Communication"
    assert body["site"] == "Stockholm"
    assert body["grade"] == "major"
    assert body["status"] == "awaiting_response"
    assert body["statement"] == "New agents lack the introduction training."
    assert body["evidence"] == "Training records of five agents hired in May."
    assert body["response_due"] == major.response_due.isoformat()
    assert body["close_due"] == major.close_due.isoformat()
    assert body["overdue"] is False
    assert body["accepted_at"] is None
    assert body["closed_at"] is None
    assert body["verification_method"] == ""
    assert body["responses"] == []
    assert body["verification_files"] == []
    assert [(event["kind"], event["by"]) for event in body["events"]] == [("issued", str(cast.lead))]


def test_it_searches_by_number_and_statement(cast, ncs, api):
    minor, major = ncs
    rows = api(cast.staff).get(LIST, {"search": "trend analysis"}).json()["results"]
    assert [row["id"] for row in rows] == [minor.pk]
    rows = api(cast.staff).get(LIST, {"search": major.number}).json()["results"]
    assert [row["id"] for row in rows] == [major.pk]


# --- filters and order -------------------------------------------------------------------------


def _ids(api, user, **params):
    response = api(user).get(LIST, params)
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_it_filters_by_grade_status_and_audit(cast, ncs, api):
    minor, major = ncs
    assert _ids(api, cast.staff, grade="minor") == [minor.pk]
    assert _ids(api, cast.staff, grade="major") == [major.pk]
    _answer(api, cast.client, minor)
    assert _ids(api, cast.staff, status="awaiting_review") == [minor.pk]
    assert _ids(api, cast.staff, status="awaiting_response") == [major.pk]
    assert _ids(api, cast.staff, status="closed") == []
    assert sorted(_ids(api, cast.client, audit=minor.audit_id)) == sorted([minor.pk, major.pk])


def test_it_refuses_an_unknown_filter_value(cast, ncs, api):
    for params in ({"grade": "observation"}, {"status": "lost"}):
        response = api(cast.staff).get(LIST, params)
        assert response.status_code == 400
        assert list(response.json()) == list(params)


def test_it_treats_another_clients_audit_as_unknown(cast, ncs, api):
    minor, _major = ncs
    theirs = api(cast.other).get(LIST, {"audit": minor.audit_id})
    unknown = api(cast.other).get(LIST, {"audit": 999999})
    assert theirs.status_code == unknown.status_code == 400
    assert theirs.json() == unknown.json()


def test_it_filters_and_orders_overdue_first(cast, ncs, api):
    minor, major = ncs
    today = timezone.localdate()
    # The major is answered and due earlier, but only the minor is late (awaiting its answer).
    _answer(api, cast.client, major)
    Nonconformity.objects.filter(pk=major.pk).update(response_due=today - datetime.timedelta(days=5))
    Nonconformity.objects.filter(pk=minor.pk).update(response_due=today - datetime.timedelta(days=1))
    assert _ids(api, cast.staff, overdue="true") == [minor.pk]
    assert _ids(api, cast.staff, overdue="false") == [major.pk]
    assert _ids(api, cast.staff) == [minor.pk, major.pk]
    assert _ids(api, cast.staff, ordering="response_due") == [major.pk, minor.pk]
    rows = api(cast.client).get(LIST).json()["results"]
    assert [(row["id"], row["overdue"]) for row in rows] == [(minor.pk, True), (major.pk, False)]


def test_it_counts_a_major_late_to_close_as_overdue(cast, ncs, api):
    _minor, major = ncs
    _answer(api, cast.client, major)
    _review(api, cast.lead, major, "accept")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Nonconformity.objects.filter(pk=major.pk).update(close_due=yesterday)
    assert _ids(api, cast.lead, overdue="true") == [major.pk]
    assert api(cast.lead).get(_url(major)).json()["overdue"] is True


def test_it_ignores_ordering_by_other_fields(cast, ncs, api):
    minor, major = ncs
    Nonconformity.objects.filter(pk=minor.pk).update(response_due=major.response_due + datetime.timedelta(1))
    # Not whitelisted: the default order (by answer deadline) stays.
    assert _ids(api, cast.staff, ordering="-created_at") == [major.pk, minor.pk]
    assert _ids(api, cast.staff, ordering="-number") == [major.pk, minor.pk]
    assert _ids(api, cast.staff, ordering="number") == [minor.pk, major.pk]


# --- the client answers ------------------------------------------------------------------------


def test_it_takes_the_clients_answer(cast, ncs, api):
    minor, _major = ncs
    target = timezone.localdate() + datetime.timedelta(days=30)
    response = _answer(api, cast.client, minor, target_date=target.isoformat())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "awaiting_review"
    (answer,) = body["responses"]
    assert answer["round"] == 1
    assert answer["correction"] == ANSWER["correction"]
    assert answer["responsible"] == "Quality manager"
    assert answer["target_date"] == target.isoformat()
    assert answer["submitted_by"] == str(cast.client)
    assert answer["decision"] == ""
    assert [event["kind"] for event in body["events"]] == ["issued", "answered"]
    saved = NonconformityResponse.objects.get(nonconformity=minor)
    assert (saved.submitted_by, saved.root_cause) == (cast.client, ANSWER["root_cause"])
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.AWAITING_REVIEW


@pytest.mark.parametrize(
    ("name", "expected"),
    [("anonymous", 401), ("staff", 403), ("lead", 403), ("auditor", 404), ("other", 404)],
)
def test_it_refuses_answers_from_anyone_but_the_client(name, expected, cast, ncs, api):
    minor, _major = ncs
    response = _answer(api, cast.user(name), minor)
    assert response.status_code == expected
    if expected == 403:
        assert response.json() == {"detail": "Only the client's users answer a nonconformity."}
    assert not NonconformityResponse.objects.exists()
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.AWAITING_RESPONSE


def test_it_checks_the_role_before_the_body(cast, ncs, api):
    minor, _major = ncs
    body = {"target_date": "not a date"}
    assert api(cast.lead).post(_url(minor, "respond"), body, format="json").status_code == 403
    assert (
        api(cast.client).post(_url(minor, "review"), {"decision": "maybe"}, format="json").status_code == 403
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"correction": "  "}, "correction"),
        ({"root_cause": ""}, "root_cause"),
        ({"corrective_action": None}, "corrective_action"),
        ({"target_date": "2000-01-01"}, "target_date"),
        ({"target_date": "next spring"}, "target_date"),
    ],
)
def test_it_refuses_a_bad_answer_naming_the_field(change, field, cast, ncs, api):
    minor, _major = ncs
    response = api(cast.client).post(_url(minor, "respond"), {**ANSWER, **change}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not NonconformityResponse.objects.exists()


def test_it_refuses_a_second_answer_before_the_review(cast, ncs, api):
    minor, _major = ncs
    assert _answer(api, cast.client, minor).status_code == 201
    response = _answer(api, cast.client, minor)
    assert response.status_code == 409
    assert "cannot be answered now" in response.json()["detail"]
    assert NonconformityResponse.objects.filter(nonconformity=minor).count() == 1


# --- the team reviews --------------------------------------------------------------------------


def test_it_lets_the_lead_accept(cast, ncs, api):
    minor, _major = ncs
    _answer(api, cast.client, minor)
    response = _review(api, cast.lead, minor, "accept", "Fits the cause.")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "accepted"
    assert body["accepted_at"] is not None
    assert body["responses"][0]["decision"] == "accept"
    assert body["responses"][0]["reviewed_by"] == str(cast.lead)
    minor.refresh_from_db()
    assert (minor.status, minor.accepted_by) == (NonconformityStatus.ACCEPTED, cast.lead)


@pytest.mark.parametrize(
    ("name", "expected"), [("staff", 403), ("client", 403), ("auditor", 404), ("other", 404)]
)
def test_it_refuses_reviews_from_outside_the_team(name, expected, cast, ncs, api):
    minor, _major = ncs
    _answer(api, cast.client, minor)
    response = _review(api, cast.user(name), minor, "accept")
    assert response.status_code == expected
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.AWAITING_REVIEW


def test_it_refuses_a_review_before_an_answer(cast, ncs, api):
    minor, _major = ncs
    response = _review(api, cast.lead, minor, "accept")
    assert response.status_code == 409
    assert "cannot be reviewed now" in response.json()["detail"]


def test_it_wants_the_reason_for_a_rejection(cast, ncs, api):
    minor, _major = ncs
    _answer(api, cast.client, minor)
    response = _review(api, cast.lead, minor, "reject", "   ")
    assert response.status_code == 400
    assert list(response.json()) == ["comment"]
    response = _review(api, cast.lead, minor, "postpone")
    assert response.status_code == 400
    assert list(response.json()) == ["decision"]
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.AWAITING_REVIEW


def test_it_sends_a_rejected_answer_back_for_a_second_round(cast, ncs, api):
    minor, _major = ncs
    _answer(api, cast.client, minor)
    response = _review(api, cast.lead, minor, "reject", "The root cause is a symptom; ask why again.")
    assert response.status_code == 200
    assert response.json()["status"] == "awaiting_response"
    second = _answer(api, cast.client, minor, root_cause="No deputy was named for the analyst's tasks.")
    assert second.status_code == 201, second.json()
    rounds = second.json()["responses"]
    assert [(row["round"], row["decision"]) for row in rounds] == [(1, "reject"), (2, "")]
    assert rounds[0]["review_comment"] == "The root cause is a symptom; ask why again."
    assert [event["kind"] for event in second.json()["events"]] == [
        "issued",
        "answered",
        "rejected",
        "answered",
    ]
    assert second.json()["events"][2]["comment"] == "The root cause is a symptom; ask why again."


# --- the team verifies -------------------------------------------------------------------------


def test_it_verifies_and_closes_an_accepted_nonconformity(cast, ncs, api):
    _minor, major = ncs
    _answer(api, cast.client, major)
    _review(api, cast.lead, major, "accept")
    body = {"comment": "Introduction records of all new agents seen.", "method": "on_site"}
    response = api(cast.lead).post(_url(major, "verify"), body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "closed"
    assert response.json()["verification_method"] == "on_site"
    assert response.json()["closed_at"] is not None
    major.refresh_from_db()
    assert (major.status, major.closed_by) == (NonconformityStatus.CLOSED, cast.lead)
    assert major.verification_comment == "Introduction records of all new agents seen."


@pytest.mark.parametrize("steps", [(), ("answer",), ("answer", "accept", "verify")])
def test_it_verifies_only_from_accepted(steps, cast, ncs, api):
    minor, _major = ncs
    body = {"comment": "Calendar entries seen."}
    if "answer" in steps:
        _answer(api, cast.client, minor)
    if "accept" in steps:
        _review(api, cast.lead, minor, "accept")
    if "verify" in steps:
        assert api(cast.lead).post(_url(minor, "verify"), body, format="json").status_code == 200
    status_before = Nonconformity.objects.get(pk=minor.pk).status
    response = api(cast.lead).post(_url(minor, "verify"), body, format="json")
    assert response.status_code == 409
    assert "cannot be verified now" in response.json()["detail"]
    assert Nonconformity.objects.get(pk=minor.pk).status == status_before


@pytest.mark.parametrize(
    ("name", "expected"), [("staff", 403), ("client", 403), ("auditor", 404), ("other", 404)]
)
def test_it_refuses_verification_from_outside_the_team(name, expected, cast, ncs, api):
    minor, _major = ncs
    _answer(api, cast.client, minor)
    _review(api, cast.lead, minor, "accept")
    response = api(cast.user(name)).post(_url(minor, "verify"), {"comment": "Fine."}, format="json")
    assert response.status_code == expected
    assert Nonconformity.objects.get(pk=minor.pk).status == NonconformityStatus.ACCEPTED


def test_it_wants_to_know_what_was_verified(cast, ncs, api):
    minor, _major = ncs
    _answer(api, cast.client, minor)
    _review(api, cast.lead, minor, "accept")
    for body, field in (({"comment": ""}, "comment"), ({"comment": "Seen.", "method": "phone"}, "method")):
        response = api(cast.lead).post(_url(minor, "verify"), body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == [field]
    assert Nonconformity.objects.get(pk=minor.pk).status == NonconformityStatus.ACCEPTED


# --- internal notes ----------------------------------------------------------------------------

NOTE = "Client pushed back hard on the grade at the closing meeting."


def test_it_keeps_internal_notes_from_the_client(cast, ncs, api):
    minor, _major = ncs
    response = api(cast.lead).post(_url(minor, "notes"), {"text": NOTE}, format="json")
    assert response.status_code == 201, response.json()
    assert [(note["text"], note["author"]) for note in response.json()["internal_notes"]] == [
        (NOTE, str(cast.lead))
    ]
    for user in (cast.staff, cast.lead):
        assert [note["text"] for note in api(user).get(_url(minor)).json()["internal_notes"]] == [NOTE]
        rows = api(user).get(LIST).json()["results"]
        assert all("internal_notes" in row for row in rows)
    detail = api(cast.client).get(_url(minor))
    assert "internal_notes" not in detail.json()
    listing = api(cast.client).get(LIST)
    assert all("internal_notes" not in row for row in listing.json()["results"])
    assert "pushed back" not in detail.content.decode() + listing.content.decode()
    # Nor does the client's own answer bring them back.
    answered = _answer(api, cast.client, minor)
    assert "internal_notes" not in answered.json()


def test_it_never_loads_notes_the_caller_may_not_read(cast, ncs):
    minor, _major = ncs
    InternalNote.objects.create(nonconformity=minor, author=cast.lead, text=NOTE)
    loaded = {}
    for user in (cast.client, cast.lead, cast.staff):
        view = NonconformityViewSet(request=SimpleNamespace(user=user))
        loaded[user.username] = [
            note.text for row in view.get_queryset() for note in row.internal_notes.all()
        ]
    assert loaded == {"client": [], "lead": [NOTE], "staff": [NOTE]}


def test_it_lets_staff_write_internal_notes(cast, ncs, api):
    minor, _major = ncs
    response = api(cast.staff).post(_url(minor, "notes"), {"text": "Check impartiality."}, format="json")
    assert response.status_code == 201
    assert InternalNote.objects.get().author == cast.staff


@pytest.mark.parametrize(
    ("name", "expected"), [("anonymous", 401), ("client", 403), ("auditor", 404), ("other", 404)]
)
def test_it_refuses_internal_notes_from_others(name, expected, cast, ncs, api):
    minor, _major = ncs
    response = api(cast.user(name)).post(_url(minor, "notes"), {"text": NOTE}, format="json")
    assert response.status_code == expected
    assert not InternalNote.objects.exists()


def test_it_refuses_an_empty_note(cast, ncs, api):
    minor, _major = ncs
    response = api(cast.lead).post(_url(minor, "notes"), {"text": " "}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["text"]
    assert not InternalNote.objects.exists()


def test_it_decides_note_visibility_as_the_service_does(cast, ncs, onsite_audit):
    """internal_visible() restates permissions.can_see_internal in SQL; the two must never disagree."""
    programme = onsite_audit.programme
    stage1 = programme.audits.get(audit_type=AuditType.STAGE1)
    surveillance = programme.audits.filter(audit_type=AuditType.SURVEILLANCE).order_by("sequence").first()
    # The stage 1 came before the stage 2; the surveillance after it (which verifies its minors).
    stage1.__class__.objects.filter(pk=stage1.pk).update(
        created_at=onsite_audit.created_at - datetime.timedelta(days=90)
    )
    surveillance.__class__.objects.filter(pk=surveillance.pk).update(
        created_at=onsite_audit.created_at + datetime.timedelta(days=300)
    )
    earlier_auditor = UserFactory(username="earlier")
    TeamMember.objects.create(audit=stage1, user=earlier_auditor, role=TeamRole.AUDITOR)
    TeamMember.objects.create(audit=surveillance, user=cast.auditor, role=TeamRole.AUDITOR)
    minor, _major = ncs
    InternalNote.objects.create(nonconformity=minor, author=cast.lead, text=NOTE)
    users = [cast.staff, cast.lead, cast.auditor, cast.client, cast.other, earlier_auditor]
    decided = {}
    for user in users:
        annotated = Nonconformity.objects.annotate(visible=internal_visible(user)).order_by("pk")
        fresh = Nonconformity.objects.select_related("audit").order_by("pk")
        assert [row.visible for row in annotated] == [
            permissions.can_see_internal(user, nc) for nc in fresh
        ], user
        notes = InternalNote.objects.filter(internal_visible(user, "nonconformity__"))
        assert notes.exists() == permissions.can_see_internal(user, minor), user
        decided[user.username] = annotated.first().visible
    # The case is not trivial: both answers occur, including for the later audit's team.
    assert decided == {
        "staff": True,
        "lead": True,
        "auditor": True,
        "client": False,
        "other": False,
        "earlier": False,
    }


# --- files -------------------------------------------------------------------------------------


def test_it_keeps_a_file_with_the_answer(cast, ncs, api, login, settings):
    minor, _major = ncs
    content = png_bytes()
    upload = SimpleUploadedFile("trend-analysis.png", content, content_type="image/png")
    response = api(cast.client).post(
        _url(minor, "respond"), {**ANSWER, "files": [upload]}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    (answer,) = response.json()["responses"]
    (file,) = answer["files"]
    attachment = NonconformityAttachment.objects.get()
    assert file["name"] == "trend-analysis.png"
    assert file["content_type"] == "image/png"
    assert file["size"] == len(content)
    assert file["download_url"] == reverse("findings:nc-file", args=[attachment.pk])
    assert (attachment.purpose, attachment.response.round) == (AttachmentPurpose.RESPONSE, 1)
    assert len(_stored_files(settings)) == 1
    download = login(cast.lead).get(file["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert login(cast.other).get(file["download_url"]).status_code == 404


def test_it_stores_nothing_when_one_file_is_refused(cast, ncs, api, settings):
    minor, _major = ncs
    fake = SimpleUploadedFile("photo.png", b"just some text, not a picture", content_type="image/png")
    body = {**ANSWER, "files": [_png(), fake]}
    response = api(cast.client).post(_url(minor, "respond"), body, format="multipart")
    assert response.status_code == 400
    assert list(response.json()) == ["files"]
    assert not NonconformityAttachment.objects.exists()
    assert not NonconformityResponse.objects.exists()
    assert _stored_files(settings) == []
    assert Nonconformity.objects.get(pk=minor.pk).status == NonconformityStatus.AWAITING_RESPONSE


def test_it_refuses_files_sent_as_text(cast, ncs, api):
    minor, _major = ncs
    response = api(cast.client).post(_url(minor, "respond"), {**ANSWER, "files": ["x.png"]}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["files"]


def test_it_keeps_files_with_the_verification(cast, ncs, api, settings):
    minor, _major = ncs
    _answer(api, cast.client, minor)
    _review(api, cast.lead, minor, "accept")
    body = {
        "comment": "Calendar seen.",
        "method": "desk",
        "files": [_png("calendar.png"), _png("deputy.png")],
    }
    response = api(cast.lead).post(_url(minor, "verify"), body, format="multipart")
    assert response.status_code == 200, response.json()
    assert [file["name"] for file in response.json()["verification_files"]] == ["calendar.png", "deputy.png"]
    assert response.json()["responses"][0]["files"] == []
    assert NonconformityAttachment.objects.filter(purpose=AttachmentPurpose.VERIFICATION).count() == 2
    assert len(_stored_files(settings)) == 2


# --- queries -----------------------------------------------------------------------------------


def _thread(nonconformity, cast, n):
    """A full thread on one nonconformity: an answer with a file, its review, steps and notes."""
    answer = NonconformityResponse.objects.create(
        nonconformity=nonconformity,
        round=nonconformity.responses.count() + 1,
        correction="c",
        root_cause="r",
        corrective_action="a",
        submitted_by=cast.client,
        reviewed_by=cast.lead,
    )
    for purpose, response in ((AttachmentPurpose.RESPONSE, answer), (AttachmentPurpose.VERIFICATION, None)):
        attachment = NonconformityAttachment(
            nonconformity=nonconformity,
            response=response,
            purpose=purpose,
            original_name=f"file-{n}.png",
            content_type="image/png",
            size=3,
            sha256="0" * 64,
            uploaded_by=cast.client,
        )
        attachment.file.save("x", ContentFile(b"png"), save=False)
        attachment.save()
    NonconformityEvent.objects.create(
        nonconformity=nonconformity, kind="answered", by=cast.client, response=answer
    )
    InternalNote.objects.create(nonconformity=nonconformity, author=cast.lead, text=f"note {n}")


def _more_nonconformities(audit, cast, count):
    clause = audit.clause_41 if hasattr(audit, "clause_41") else cast.standard.clauses.get(number="4.1")
    for n in range(count):
        finding = Finding.objects.create(
            audit=audit, clause=clause, grade="minor", recorded_by=cast.lead, updated_by=cast.lead
        )
        nonconformity = Nonconformity.objects.create(
            number=f"NC-T-{audit.pk}-{n}",
            finding=finding,
            audit=audit,
            grade="minor",
            response_due=timezone.localdate() - datetime.timedelta(days=n),
        )
        _thread(nonconformity, cast, n)


@pytest.mark.parametrize("name", ["staff", "lead", "client"])
def test_it_lists_in_a_fixed_number_of_queries(
    name, cast, ncs, onsite_audit, api, django_assert_max_num_queries, django_assert_num_queries
):
    def fresh_user():
        # A new instance each time: role and permission caches on the user object start cold.
        return get_user_model().objects.get(pk=cast.user(name).pk)

    minor, _major = ncs
    _thread(minor, cast, 0)
    api(fresh_user()).get(LIST)  # warms the process-wide caches (content types)
    with django_assert_max_num_queries(20) as few:
        first = api(fresh_user()).get(LIST)
    assert first.json()["count"] == 2
    # More rows, longer threads, and rows of a second audit of the client (seen by staff and client).
    _thread(minor, cast, 1)
    _more_nonconformities(onsite_audit, cast, 4)
    stage1 = onsite_audit.programme.audits.get(audit_type=AuditType.STAGE1)
    _more_nonconformities(stage1, cast, 3)
    with django_assert_num_queries(len(few.captured_queries)):
        more = api(fresh_user()).get(LIST)
    assert more.json()["count"] == (6 if name == "lead" else 9)
    # The notes are part of what is fetched for those who see them.
    rows = more.json()["results"]
    assert all(("internal_notes" in row) is (name != "client") for row in rows)


def test_it_refuses_a_nonsense_overdue_filter(cast, api, onsite_audit):
    response = api(cast.staff).get("/api/v1/nonconformities/?overdue=maybe")
    assert response.status_code == 400
    assert "overdue" in response.json()
    assert api(cast.staff).get("/api/v1/nonconformities/?overdue=true").status_code == 200
