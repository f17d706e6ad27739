"""Uploads fuzzed with random bytes, names, declared types and sizes (make fuzz).

Each example is a raw multipart request, built by hand so that any file name reaches the server
as sent (`../`, NUL, quotes, 2,000 characters), to the three doors files come in by: evidence
(`file`), a client's answer (`files`) and the team's verification (`files`). Afterwards:

- never a 5xx; a refusal is a 4xx whose JSON names the reason;
- a file is accepted only when it really is what is allowed: an intact picture, a PDF or an office
  package, within EVIDENCE_MAX_BYTES (set to 48 KB here so "too large" is cheap to make);
- a refusal adds no row, and after every request the files under MEDIA_ROOT are exactly the files
  the database points at: nothing written for a refusal is left behind.
"""

import html
import io
import json
import random
import uuid
import zipfile
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from rest_framework.test import APIClient

from findings.models import (
    Evidence,
    FindingChange,
    Nonconformity,
    NonconformityAttachment,
    NonconformityResponse,
    NonconformityStatus,
)
from findings.ncr import nonconformity_review
from findings.permissions import can_record_findings, can_review, is_client_of
from tests.fuzz.conftest import FUZZ_DERANDOMIZE, FUZZ_EXAMPLES, png_bytes, referenced_files, stored_files

pytestmark = pytest.mark.fuzz

MAX_BYTES = 48 * 1024

# -- Files -----------------------------------------------------------------------------------------


def noisy_png(side=160) -> bytes:
    """A real PNG over MAX_BYTES: noise that no compression brings under it."""
    noise = Image.frombytes("RGB", (side, side), random.Random(side).randbytes(side * side * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    return buffer.getvalue()


@st.composite
def pictures(draw) -> bytes:
    kind = draw(st.sampled_from(["PNG", "JPEG", "WEBP"]))
    width = draw(st.integers(1, 120))
    height = draw(st.integers(1, 120))
    colour = draw(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)))
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, kind)
    return buffer.getvalue()


@st.composite
def office_documents(draw) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("word/document.xml", draw(st.text(max_size=200)))
    return buffer.getvalue()


def pdfs():
    return st.binary(max_size=2000).map(lambda tail: b"%PDF-1.7\n" + tail)


# Files meant to be kept. The oracle `truly_valid` judges every file, these included.
valid_files = st.one_of(pictures(), office_documents(), pdfs())

# Files meant to be refused, whatever their name or declared type says.
invalid_files = st.one_of(
    st.just(b""),
    st.sampled_from([b"\x7fELF", b"MZ", b"#!/bin/sh\n", b"\x00asm", b"<html>", b"<svg ", b"<?xml "]).flatmap(
        lambda head: st.binary(max_size=4000).map(lambda tail: head + tail)
    ),
    # A zip that is no office package.
    st.binary(max_size=500).map(lambda data: _zip({"data.bin": data})),
    # A picture cut short: its signature promises what its bytes do not keep.
    pictures().flatmap(lambda data: st.integers(8, max(8, len(data) // 2)).map(lambda cut: data[:cut])),
    # Too large: noise that no compression brings under the limit, in a real PNG.
    st.builds(noisy_png),
    st.binary(min_size=MAX_BYTES + 1, max_size=MAX_BYTES + 4096).map(lambda tail: b"%PDF-1.7\n" + tail),
)

# Anything: random bytes, and valid files with bytes changed. Either answer may be right for
# these; what is accepted is checked on its own (see `truly_valid`).
any_files = st.one_of(
    st.binary(max_size=64 * 1024),
    st.tuples(valid_files, st.integers(0, 10_000), st.binary(min_size=1, max_size=16)).map(
        lambda parts: _splice(*parts)
    ),
)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _splice(data: bytes, at: int, junk: bytes) -> bytes:
    at = at % (len(data) + 1)
    return data[:at] + junk + data[at + len(junk) :]


def truly_valid(data: bytes) -> bool:
    """The oracle, independent of findings.uploads: may this file be kept?"""
    if not 0 < len(data) <= MAX_BYTES:
        return False
    if data.startswith(b"%PDF"):
        # The signature is all findings.uploads asks of a PDF: it does not parse one.
        return True
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                manifest = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
        except Exception:
            return False
        main_types = (b"wordprocessingml.document", b"spreadsheetml.sheet", b"presentationml.presentation")
        macros = b"macroEnabled" in manifest or b"vbaProject" in manifest
        return not macros and any(main + b".main+xml" in manifest for main in main_types)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG", "MPO", "WEBP", "HEIF"):
                return False
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception:
        return False
    return True


FIELD = "field"
TOO_LONG = "too long"


def arrives(upload, field="files") -> bool | str | None:
    """How the server gets this part: as a file (True), not at all (False), as a text field
    (FIELD), refused with the request (TOO_LONG), or None when its header is broken past knowing.

    Django reads at most 1,024 bytes of a part's header (MAX_TOTAL_HEADER_SIZE); a longer one
    refuses the request. Close to the limit, where the bytes around the boundary count, is unknown.

    A quote, backslash or line break in the name or type ends or escapes the header early; then
    the server may see another name, no file, or other bytes. An empty name makes the part a text
    field. Otherwise Django keeps the last path part of the name without unprintable characters,
    and drops the part when that leaves "", "." or ".." (see below for what becomes of its bytes).
    """
    if any(char in upload["name"] + upload["type"] for char in '"\\\r\n'):
        return None
    head = len(part_head(field, upload))
    if head > 1050:
        return TOO_LONG
    if head >= 1000:
        return None
    if upload["name"] == "":
        return FIELD
    name = html.unescape(upload["name"]).rsplit("/")[-1]
    name = "".join(char for char in name if char.isprintable())
    if name in ("", ".", ".."):
        # Django drops the part without reading its bytes, which then count as the next part's
        # header: a kilobyte of them without a blank line refuses the request.
        content = upload["content"]
        return None if len(content) >= 1000 or b"\r\n\r\n" in content else False
    return True


names = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "",
            ".",
            "..",
            "../../../../etc/passwd",
            "..\\..\\windows\\win.ini",
            "/absolute/path/report.pdf",
            "photo.png\x00.exe",
            'evil".png',
            "line\r\nContent-Type: text/html\r\n\r\n.png",
            "\u202egnp.exe",
            "résumé ✓ 📎.docx",
            "report.html",
            "CON",
        ]
    ),
    st.integers(200, 2000).map(lambda length: "x" * length + ".png"),
)
declared_types = st.one_of(
    st.sampled_from(
        [
            "image/png",
            "image/jpeg",
            "application/pdf",
            "text/html",
            "image/svg+xml",
            "application/x-msdownload",
            "application/octet-stream",
            "",
        ]
    ),
    st.text(max_size=40),
)


@st.composite
def uploads(draw, contents):
    return {"content": draw(contents), "name": draw(names), "type": draw(declared_types)}


# -- Requests ---------------------------------------------------------------------------------------


def _header_value(text: str) -> bytes:
    # Sent as the bytes a careless client would send: UTF-8, lone surrogates replaced.
    return text.encode("utf-8", "replace")


def part_head(field: str, upload: dict) -> bytes:
    return (
        f'Content-Disposition: form-data; name="{field}"; filename="'.encode()
        + _header_value(upload["name"])
        + b'"\r\nContent-Type: '
        + _header_value(upload["type"])
        + b"\r\n\r\n"
    )


def multipart(fields: dict[str, str], files: list[tuple[str, dict]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for field, upload in files:
        parts.append(f"--{boundary}\r\n".encode() + part_head(field, upload) + upload["content"] + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def send(world, user_name, url, fields, files):
    body, content_type = multipart(fields, files)
    client = APIClient()
    client.credentials(**{"HTTP_AUTHORIZATION": world.headers(user_name).get("Authorization", "")})
    return client.generic("POST", url, body, content_type=content_type)


def refusal_message(response) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = json.loads(response.content)
    messages = [body["detail"]] if "detail" in body else [m for value in body.values() for m in value]
    assert messages and all(isinstance(m, str) and m.strip() for m in messages), body
    return " ".join(messages)


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Evidence, FindingChange, NonconformityAttachment, NonconformityResponse)
    }


def assert_nothing_left_behind():
    assert stored_files() == referenced_files()


# -- The three doors ------------------------------------------------------------------------------

fuzz_settings = settings(
    max_examples=FUZZ_EXAMPLES * 2,
    derandomize=FUZZ_DERANDOMIZE,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def small_limit(settings):
    settings.EVIDENCE_MAX_BYTES = MAX_BYTES


def one_file():
    # A third each: must be kept, must be refused, may be either.
    return st.one_of(uploads(valid_files), uploads(invalid_files), uploads(any_files))


def new_files(model, after_pk: int) -> list[bytes]:
    return [row.file.read() for row in model.objects.filter(pk__gt=after_pk).order_by("pk")]


def last_pk(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def check_answer(
    response, *, success: int, may_write: bool, needs_a_file: bool, field: str, uploads, kept, before
):
    """The one judgement for every door (see the module docstring); `kept()` reads back what was stored."""
    assert response.status_code < 500, response.content[:300]
    arrived = [arrives(upload, field) for upload in uploads]
    accepted = response.status_code == success
    if accepted:
        assert may_write, response.content[:300]
        assert all(truly_valid(content) for content in kept())
    else:
        assert 400 <= response.status_code < 500, response.status_code
        refusal_message(response)
        assert row_counts() == before
    if None not in arrived:
        # Every part reached the server as sent: the answer is exactly predictable.
        sent = [upload["content"] for upload, came in zip(uploads, arrived, strict=True) if came is True]
        should_accept = (
            may_write
            and FIELD not in arrived  # text where a file belongs: "not a file"
            and TOO_LONG not in arrived
            and all(truly_valid(content) for content in sent)
            and (sent or not needs_a_file)
        )
        assert accepted == bool(should_accept), (response.status_code, response.content[:300])
        if accepted:
            assert sorted(kept()) == sorted(sent)
    assert_nothing_left_behind()


def assert_both_answers(statuses: Counter, *, success: int, may_write: bool) -> None:
    """The fuzz reached the content checks: a writer got files kept and files refused."""
    if may_write and FUZZ_EXAMPLES >= 10:
        assert statuses[success] and statuses[400], statuses
    elif not may_write:
        assert not statuses[success], statuses


@pytest.mark.parametrize("user_name", ["lead", "staff", "other", "auditor", "anonymous"])
def test_it_keeps_only_valid_evidence_and_leaves_nothing_behind(world, small_limit, user_name):
    finding = world.open.findings.get()
    user = world.cast.user(user_name)
    may_write = user is not None and can_record_findings(user, finding.audit)
    statuses = Counter()

    @fuzz_settings
    @given(upload=one_file(), visibility=st.sampled_from(["team", "client"]))
    def fuzz(upload, visibility):
        before, after_pk = row_counts(), last_pk(Evidence)
        fields = {"finding": str(finding.pk), "visibility": visibility}
        response = send(world, user_name, "/api/v1/evidence/", fields, [("file", upload)])
        if response.status_code == 201:
            name = Evidence.objects.get(pk=response.json()["id"]).original_name
            assert "/" not in name and "\x00" not in name and len(name) <= 200
        statuses[response.status_code] += 1
        check_answer(
            response,
            success=201,
            may_write=may_write,
            needs_a_file=True,
            field="file",
            uploads=[upload],
            kept=lambda: new_files(Evidence, after_pk),
            before=before,
        )

    fuzz()
    assert_both_answers(statuses, success=201, may_write=may_write)


@pytest.mark.parametrize("user_name", ["client", "lead", "other"])
def test_it_keeps_only_valid_answer_files_and_leaves_nothing_behind(world, small_limit, user_name):
    nonconformity = world.unanswered
    may_write = is_client_of(world.cast.user(user_name), nonconformity)
    url = f"/api/v1/nonconformities/{nonconformity.pk}/respond/"
    fields = {"correction": "Ran it.", "root_cause": "Not handed over.", "corrective_action": "A task."}
    statuses = Counter()

    @fuzz_settings
    @given(uploads=st.lists(one_file(), min_size=1, max_size=3))
    def fuzz(uploads):
        # Open for an answer, whatever the example before did.
        Nonconformity.objects.filter(pk=nonconformity.pk).update(status=NonconformityStatus.AWAITING_RESPONSE)
        before, after_pk = row_counts(), last_pk(NonconformityAttachment)
        response = send(world, user_name, url, fields, [("files", upload) for upload in uploads])
        statuses[response.status_code] += 1
        check_answer(
            response,
            success=201,
            may_write=may_write,
            needs_a_file=False,
            field="files",
            uploads=uploads,
            kept=lambda: new_files(NonconformityAttachment, after_pk),
            before=before,
        )

    fuzz()
    assert_both_answers(statuses, success=201, may_write=may_write)


@pytest.mark.parametrize("user_name", ["lead", "client", "auditor"])
def test_it_keeps_only_valid_verification_files_and_leaves_nothing_behind(world, small_limit, user_name):
    nonconformity = world.answered
    nonconformity_review(nonconformity=nonconformity, user=world.cast.lead, decision="accept")
    may_write = can_review(world.cast.user(user_name), nonconformity)
    url = f"/api/v1/nonconformities/{nonconformity.pk}/verify/"
    fields = {"comment": "Saw the quality calendar.", "method": "desk"}
    statuses = Counter()

    @fuzz_settings
    @given(uploads=st.lists(one_file(), min_size=1, max_size=3))
    def fuzz(uploads):
        # Accepted and open for verification, whatever the example before did.
        Nonconformity.objects.filter(pk=nonconformity.pk).update(status=NonconformityStatus.ACCEPTED)
        before, after_pk = row_counts(), last_pk(NonconformityAttachment)
        response = send(world, user_name, url, fields, [("files", upload) for upload in uploads])
        statuses[response.status_code] += 1
        check_answer(
            response,
            success=200,
            may_write=may_write,
            needs_a_file=False,
            field="files",
            uploads=uploads,
            kept=lambda: new_files(NonconformityAttachment, after_pk),
            before=before,
        )

    fuzz()
    assert_both_answers(statuses, success=200, may_write=may_write)


# -- The oracle and the bookkeeping can fail ----------------------------------------------------------


def test_the_oracle_tells_valid_from_invalid():
    assert truly_valid(png_bytes())
    assert not truly_valid(png_bytes()[:40])
    assert not truly_valid(b"\x7fELF" + bytes(100))
    assert not truly_valid(_zip({"data.bin": b"x"}))
    assert not truly_valid(b"%PDF-1.7\n" + bytes(MAX_BYTES))


def test_it_notices_a_file_left_behind(world, settings):
    assert_nothing_left_behind()
    orphan = settings.MEDIA_ROOT / "evidence" / "orphan"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left behind")
    with pytest.raises(AssertionError):
        assert_nothing_left_behind()
