"""Evidence files: content checks, private storage, thumbnails, downloads, history and the API."""

import datetime
import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import pillow_heif
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import timezone
from PIL import Image
from reportlab.pdfgen import canvas

from audits.models import Audit, AuditStatus, AuditType, TeamRole
from audits.services import audit_update, programme_create, team_member_add
from core.actors import SYSTEM
from core.errors import ConflictError, DomainError
from findings.evidence import evidence_add, evidence_remove, evidence_update
from findings.models import ChangeAction, Evidence, FindingChange, Grade, Visibility
from findings.services import finding_create, finding_remove
from findings.tasks import make_thumbnail
from findings.uploads import HEIC, JPEG, clean_original_name
from tests.conftest import CAST_NAMES
from tests.factories import CompetenceFactory

MON, WED = datetime.date(2027, 2, 1), datetime.date(2027, 2, 3)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- files, built in memory --------------------------------------------------------------------


def jpeg_bytes(size=(64, 48), orientation=None) -> bytes:
    """A JPEG whose left half is red and right half blue, so a rotation shows in its pixels."""
    image = Image.new("RGB", size, "red")
    image.paste("blue", (size[0] // 2, 0, size[0], size[1]))
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def image_bytes(image_format: str, mode="RGB", size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "green").save(buffer, image_format)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Call recording policy, signed 2027-01-10")
    page.save()
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            # OpenDocument wants its mimetype member first and uncompressed.
            compress = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=compress)
    return buffer.getvalue()


def content_types(main_type: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main_type}"/></Types>'
    ).encode()


def docx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": content_types(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
            ),
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document><w:body><w:p>Agenda</w:p></w:body></w:document>",
        }
    )


def xlsx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": content_types(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
            ),
            "xl/workbook.xml": b"<workbook/>",
        }
    )


def docm_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": content_types("application/vnd.ms-word.document.macroEnabled.main+xml"),
            "word/document.xml": b"<w:document/>",
            "word/vbaProject.bin": b"\x00" * 64,
        }
    )


def odt_bytes() -> bytes:
    return zip_bytes(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b"<office:document-content/>",
            "META-INF/manifest.xml": b"<manifest/>",
        }
    )


def compound_file(stream_name: str | None) -> bytes:
    """An OLE2 compound file whose directory (sector 1) names one stream, as Office 97-2003 writes."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x1E:0x20] = (9).to_bytes(2, "little")  # 512-byte sectors
    header[0x30:0x34] = (0).to_bytes(4, "little")  # directory in the first sector
    directory = bytearray(512)
    directory[0:22] = "Root Entry".encode("utf-16-le") + b"\x00\x00"
    if stream_name:
        entry = stream_name.encode("utf-16-le") + b"\x00\x00"
        directory[128 : 128 + len(entry)] = entry
        directory[128 + 64 : 128 + 66] = len(entry).to_bytes(2, "little")
        directory[128 + 66] = 2  # a stream
    return bytes(header + directory + bytes(1024))


def heic_bytes(size=(64, 48)) -> bytes:
    """A real HEIC picture, as a phone takes one: HEVC-coded by pillow-heif's own encoder."""
    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", size, "green")).save(buffer, format="HEIF")
    return buffer.getvalue()


def heic_header() -> bytes:
    """The start of an iPhone HEIC: an ISO base media 'ftyp' box with the heic brand, and a 'meta' box."""
    ftyp = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    return len(ftyp + b"\x00" * 4).to_bytes(4, "big") + ftyp + b"\x00\x00\x08\x00meta"


def windows_program() -> bytes:
    """The start of a Windows executable: the DOS header, its stub and the PE signature."""
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    return b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 52 + (64).to_bytes(4, "little") + stub + b"PE\x00\x00"


def upload(name: str, content: bytes, content_type="image/jpeg") -> SimpleUploadedFile:
    # The declared type is always a plausible lie: it must never decide anything.
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "evidence"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


# --- the audit under way, with a finding -------------------------------------------------------


@pytest.fixture
def audit(cast):
    """Nordkontakt's stage 2, under way, with the lead auditor on its team."""
    programme = programme_create(actor=SYSTEM, organization=cast.org_a, standards=[cast.standard])
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    audit_update(actor=SYSTEM, audit=audit, start_date=MON, end_date=WED)
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR)
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CONFIRMED)
    audit.refresh_from_db()
    return audit


@pytest.fixture
def finding(cast, audit):
    return finding_create(
        audit=audit, user=cast.lead, clause=cast.standard.clauses.get(number="4.1"), grade=Grade.CONFORMING
    )


def close(audit):
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CLOSED, closed_at=timezone.now())
    audit.refresh_from_db()


def add(cast, finding, name="site-photo.jpg", content=None, **kwargs) -> Evidence:
    content = jpeg_bytes() if content is None else content
    return evidence_add(finding=finding, user=cast.lead, upload=upload(name, content), **kwargs)


# --- accepted files ----------------------------------------------------------------------------

ACCEPTED = {
    "jpeg": ("site-photo.jpg", jpeg_bytes, "image/jpeg", "site-photo.jpg"),
    "png": ("screen.png", lambda: image_bytes("PNG"), "image/png", "screen.png"),
    "png with alpha": ("logo.png", lambda: image_bytes("PNG", mode="RGBA"), "image/png", "logo.png"),
    "webp": ("phone.webp", lambda: image_bytes("WEBP"), "image/webp", "phone.webp"),
    "heic": ("IMG_0042.HEIC", heic_bytes, "image/heic", "IMG_0042.HEIC"),
    "pdf": ("policy.pdf", pdf_bytes, "application/pdf", "policy.pdf"),
    "docx": ("agenda.docx", docx_bytes, DOCX_TYPE, "agenda.docx"),
    "xlsx": (
        "kpi.xlsx",
        xlsx_bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "kpi.xlsx",
    ),
    "odt": ("notes.odt", odt_bytes, "application/vnd.oasis.opendocument.text", "notes.odt"),
    "legacy doc": ("old.doc", lambda: compound_file("WordDocument"), "application/msword", "old.doc"),
    "legacy xls": ("old.xls", lambda: compound_file("Workbook"), "application/vnd.ms-excel", "old.xls"),
    # The name says Word; the content decides, and the name gets the fitting extension.
    "pdf named docx": ("minutes.docx", pdf_bytes, "application/pdf", "minutes.docx.pdf"),
    "no extension": ("scan", pdf_bytes, "application/pdf", "scan.pdf"),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_it_accepts_photos_pdfs_and_office_documents(case, cast, finding, settings):
    name, make, content_type, stored_name = ACCEPTED[case]
    content = make()
    evidence = add(cast, finding, name=name, content=content, description="Seen at reception")
    evidence.refresh_from_db()
    assert evidence.content_type == content_type
    assert evidence.original_name == stored_name
    assert evidence.size == len(content)
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.audit_id == finding.audit_id
    assert evidence.uploaded_by == cast.lead
    assert evidence.description == "Seen at reception"
    assert evidence.visibility == Visibility.TEAM
    # Stored privately, under a random name in the audit's folder, byte for byte.
    path = Path(evidence.file.path)
    assert path.is_relative_to(Path(settings.MEDIA_ROOT) / "evidence" / str(finding.audit_id))
    assert Path(name).stem not in path.name
    assert path.read_bytes() == content
    assert stored_files(settings) == [path]


def test_it_keeps_several_files_per_finding(cast, finding):
    add(cast, finding, name="one.jpg")
    add(cast, finding, name="two.pdf", content=pdf_bytes())
    assert sorted(finding.attachments.values_list("original_name", flat=True)) == ["one.jpg", "two.pdf"]


def test_it_strips_path_tricks_from_the_name(cast, finding, settings):
    evidence = add(cast, finding, name="../../etc/passwd.jpg")
    assert evidence.original_name == "passwd.jpg"
    assert Path(evidence.file.path).is_relative_to(Path(settings.MEDIA_ROOT) / "evidence")
    assert not (Path(settings.MEDIA_ROOT).parent / "etc").exists()


NAMES = {
    "../../etc/passwd.jpg": "passwd.jpg",
    "C:\\Users\\lead\\Desktop\\photo.jpeg": "photo.jpeg",
    "evil\u202egpj.exe": "evilgpj.exe.jpg",  # a right-to-left override would show "exe.jpg"
    "report.html": "report.html.jpg",
    "bad\x00na\nme.jpg": "badname.jpg",
    'say "cheese".JPG': "say cheese.JPG",
    "Kök och matsal.jpg": "Kök och matsal.jpg",
    "": "evidence.jpg",
    "...": "evidence.jpg",
    ".jpg": "jpg.jpg",
}


@pytest.mark.parametrize("name", NAMES)
def test_it_sanitises_the_original_name(name):
    assert clean_original_name(name, JPEG) == NAMES[name]


def test_it_keeps_long_names_to_200_characters_with_their_extension():
    cleaned = clean_original_name("a" * 300 + ".heic", HEIC)
    assert len(cleaned) == 200
    assert cleaned.endswith("a.heic")


# --- refused files: a clear reason, nothing stored ---------------------------------------------


def zip_of_notes() -> bytes:
    return zip_bytes({"notes.txt": b"not an office document"})


REFUSED = {
    "text named jpg": (
        "photo.jpg",
        lambda: b"Just some notes about the visit.\n" * 5,
        "not of an accepted type",
    ),
    "elf named jpg": ("photo.jpg", lambda: b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120, "program"),
    "pe named jpg": ("photo.jpg", lambda: b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120, "program"),
    "script named pdf": ("policy.pdf", lambda: b"#!/bin/sh\nrm -rf /\n", "program"),
    "empty": ("photo.jpg", lambda: b"", "empty"),
    "html": ("page.pdf", lambda: b"<!DOCTYPE html><html><script>alert(1)</script></html>", "scripts"),
    "svg": (
        "drawing.png",
        lambda: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
        "scripts",
    ),
    "svg without xml header": ("drawing.svg", lambda: b"  <svg onload='x()'></svg>", "scripts"),
    "zip of notes": ("agenda.docx", zip_of_notes, "Archives"),
    "gzip": ("agenda.docx", lambda: gzip.compress(b"agenda"), "Archives"),
    "word with macros": ("agenda.docx", docm_bytes, "macros"),
    "damaged zip": ("agenda.docx", lambda: docx_bytes()[:60], "damaged"),
    "corrupt jpeg": ("photo.jpg", lambda: b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, "damaged"),
    "truncated jpeg": ("photo.jpg", lambda: jpeg_bytes((400, 300))[:1500], "damaged"),
    # A picture's first bytes in front of a program: the signature says photo, the bytes do not.
    "heic header then a windows program": (
        "IMG_0042.HEIC",
        lambda: heic_header() + windows_program() + bytes(2048),
        "damaged",
    ),
    "jpeg header then a windows program": (
        "photo.jpg",
        lambda: (
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + windows_program()
            + bytes(2048)
        ),
        "damaged",
    ),
    "png header then a windows program": (
        "screen.png",
        lambda: image_bytes("PNG")[:33] + windows_program() + bytes(2048),
        "damaged",
    ),
    "heic cut short": ("IMG_0042.HEIC", lambda: heic_bytes()[:-64], "damaged"),
    "gif": ("photo.jpg", lambda: image_bytes("GIF"), "GIF files are not accepted"),
    "installer compound file": ("setup.doc", lambda: compound_file(None), "compound file"),
    "avif": (
        "photo.heic",
        lambda: (24).to_bytes(4, "big") + b"ftypavif\x00\x00\x00\x00mif1avif" + b"\x00" * 64,
        "AVIF files are not accepted",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_it_refuses_by_content_and_stores_nothing(case, cast, finding, api, settings):
    name, make, reason = REFUSED[case]
    response = api(cast.lead).post("/api/v1/evidence/", {"finding": finding.pk, "file": upload(name, make())})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["file"]
    assert reason in response.json()["file"][0]
    assert Evidence.objects.count() == 0
    assert stored_files(settings) == []
    assert not FindingChange.objects.filter(action=ChangeAction.EVIDENCE_ADDED).exists()


def test_it_refuses_files_over_the_size_limit(cast, finding, settings):
    content = jpeg_bytes()
    settings.EVIDENCE_MAX_BYTES = len(content) - 1
    with pytest.raises(DomainError, match="larger than the limit") as refusal:
        add(cast, finding, content=content)
    assert refusal.value.field == "file"
    assert Evidence.objects.count() == 0
    assert stored_files(settings) == []

    settings.EVIDENCE_MAX_BYTES = len(content)
    assert add(cast, finding, content=content).size == len(content)


def test_it_removes_the_file_when_the_database_write_fails(cast, finding, settings, monkeypatch):
    def failing_create(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(FindingChange.objects, "create", failing_create)
    with pytest.raises(DatabaseError):
        add(cast, finding)
    assert Evidence.objects.count() == 0
    assert stored_files(settings) == []


# --- thumbnails --------------------------------------------------------------------------------


def test_it_makes_an_upright_thumbnail_after_commit(cast, finding, django_capture_on_commit_callbacks):
    # Orientation 6: the camera was turned; shown upright, the left (red) half is at the top.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        evidence = add(cast, finding, content=jpeg_bytes((800, 400), orientation=6))
    assert len(callbacks) == 1
    evidence.refresh_from_db()
    assert evidence.thumbnail.name.startswith(f"evidence/{finding.audit_id}/thumbnails/")
    with Image.open(evidence.thumbnail.path) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (160, 320)
        top, bottom = thumbnail.getpixel((80, 20)), thumbnail.getpixel((80, 300))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom

    # Running it again keeps the thumbnail it has.
    assert make_thumbnail(evidence.pk) is False
    assert Evidence.objects.get(pk=evidence.pk).thumbnail.name == evidence.thumbnail.name


def test_it_makes_no_thumbnail_for_documents(cast, finding, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        evidence = add(cast, finding, name="policy.pdf", content=pdf_bytes())
    assert callbacks == []
    assert make_thumbnail(evidence.pk) is False
    evidence.refresh_from_db()
    assert not evidence.thumbnail


def test_it_makes_a_thumbnail_of_a_heic_photo(cast, finding, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        evidence = add(cast, finding, name="IMG_0042.HEIC", content=heic_bytes((800, 600)))
    assert len(callbacks) == 1
    evidence.refresh_from_db()
    with Image.open(evidence.thumbnail.path) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (320, 240)
        red, green, blue = thumbnail.getpixel((160, 120))
    assert green > 100 and red < 60 and blue < 60


def test_it_flattens_a_transparent_png_onto_white(cast, finding):
    evidence = add(cast, finding, name="logo.png", content=image_bytes("PNG", mode="RGBA"))
    assert make_thumbnail(evidence.pk) is True
    evidence.refresh_from_db()
    with Image.open(evidence.thumbnail.path) as thumbnail:
        assert thumbnail.mode == "RGB"


# --- downloads ---------------------------------------------------------------------------------


@pytest.fixture
def shared_and_team_files(cast, finding):
    shared = add(cast, finding, name="reception.jpg", visibility=Visibility.CLIENT)
    team_only = add(cast, finding, name="notes.pdf", content=pdf_bytes())
    return shared, team_only


# (audit closed?, file) -> expected status per cast user (anonymous, staff, lead, auditor, client, other).
DOWNLOADS = {
    "open, shared": (False, 0, [302, 200, 200, 404, 404, 404]),
    "open, team only": (False, 1, [302, 200, 200, 404, 404, 404]),
    "closed, shared": (True, 0, [302, 200, 200, 404, 200, 404]),
    "closed, team only": (True, 1, [302, 200, 200, 404, 404, 404]),
}


@pytest.mark.parametrize("case", DOWNLOADS)
def test_it_lets_only_permitted_users_download(case, cast, audit, shared_and_team_files, login):
    closed, index, expected = DOWNLOADS[case]
    if closed:
        close(audit)
    url = f"/evidence/{shared_and_team_files[index].pk}/download/"
    got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == expected, f"{case}: {dict(zip(CAST_NAMES, got, strict=True))}"


def test_it_sends_the_file_as_a_private_attachment(cast, audit, shared_and_team_files, login, settings):
    # The view says nosniff itself, not only through SecurityMiddleware's site-wide setting.
    settings.SECURE_CONTENT_TYPE_NOSNIFF = False
    shared, _team_only = shared_and_team_files
    close(audit)
    response = login(cast.client).get(f"/evidence/{shared.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="reception.jpg"'
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == Path(shared.file.path).read_bytes()


def test_it_sends_anonymous_visitors_to_log_in(shared_and_team_files, login):
    response = login(None).get(f"/evidence/{shared_and_team_files[0].pk}/download/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_answers_only_safe_methods(cast, shared_and_team_files, login):
    assert login(cast.lead).post(f"/evidence/{shared_and_team_files[0].pk}/download/").status_code == 405


def test_it_stops_serving_removed_files(cast, shared_and_team_files, login):
    shared, _team_only = shared_and_team_files
    evidence_remove(evidence=shared, user=cast.lead)
    assert login(cast.lead).get(f"/evidence/{shared.pk}/download/").status_code == 404
    assert Path(shared.file.path).exists()  # still on record


def test_it_serves_thumbnails_to_permitted_users(cast, finding, login):
    picture = add(cast, finding)
    document = add(cast, finding, name="policy.pdf", content=pdf_bytes())
    make_thumbnail(picture.pk)
    response = login(cast.lead).get(f"/evidence/{picture.pk}/thumbnail/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response["Content-Disposition"].startswith("attachment")
    assert login(cast.lead).get(f"/evidence/{document.pk}/thumbnail/").status_code == 404
    assert login(cast.auditor).get(f"/evidence/{picture.pk}/thumbnail/").status_code == 404
    assert login(cast.client).get(f"/evidence/{picture.pk}/thumbnail/").status_code == 404


# --- history and the rules ---------------------------------------------------------------------


def test_it_records_each_change_in_the_history(cast, finding):
    evidence = add(cast, finding, description="Queue board")
    evidence_update(evidence=evidence, user=cast.lead, description="Queue board, 10:40", visibility="client")
    evidence_update(evidence=evidence, user=cast.lead, description="Queue board, 10:40")  # no change
    evidence_remove(evidence=evidence, user=cast.lead)

    changes = list(FindingChange.objects.filter(evidence=evidence).order_by("id"))
    assert [change.action for change in changes] == [
        ChangeAction.EVIDENCE_ADDED,
        ChangeAction.EVIDENCE_CHANGED,
        ChangeAction.EVIDENCE_REMOVED,
    ]
    added, changed, removed = changes
    assert added.changes["original_name"] == [None, "site-photo.jpg"]
    assert added.changes["sha256"] == [None, evidence.sha256]
    assert added.changes["description"] == [None, "Queue board"]
    assert changed.changes == {
        "description": ["Queue board", "Queue board, 10:40"],
        "visibility": ["team", "client"],
    }
    assert removed.changes == {"original_name": ["site-photo.jpg", None]}
    assert {change.version for change in changes} == {finding.version}
    assert {change.changed_by_id for change in changes} == {cast.lead.pk}
    evidence.refresh_from_db()
    assert evidence.removed_at is not None


def test_it_refuses_everything_once_the_audit_is_closed(cast, audit, finding, settings):
    evidence = add(cast, finding)
    close(audit)
    with pytest.raises(ConflictError, match="closed"):
        add(cast, finding, name="late.jpg")
    with pytest.raises(ConflictError, match="closed"):
        evidence_update(evidence=evidence, user=cast.lead, description="Changed after closing")
    with pytest.raises(ConflictError, match="closed"):
        evidence_remove(evidence=evidence, user=cast.lead)
    assert Evidence.objects.count() == 1
    assert len(stored_files(settings)) == 1
    evidence.refresh_from_db()
    assert evidence.description == "" and evidence.removed_at is None
    assert FindingChange.objects.filter(evidence__isnull=False).count() == 1


def test_it_refuses_files_for_a_removed_finding(cast, finding, settings):
    finding_remove(finding=finding, user=cast.lead, version=finding.version)
    finding.refresh_from_db()
    with pytest.raises(ConflictError, match="removed"):
        add(cast, finding)
    assert stored_files(settings) == []


@pytest.mark.parametrize("name", ["staff", "auditor", "client", "other"])
def test_it_lets_only_the_team_add_files(name, cast, finding, settings):
    with pytest.raises(PermissionDenied):
        evidence_add(finding=finding, user=cast.user(name), upload=upload("photo.jpg", jpeg_bytes()))
    assert Evidence.objects.count() == 0
    assert stored_files(settings) == []


def test_it_checks_the_description_and_visibility(cast, finding):
    with pytest.raises(DomainError) as refusal:
        add(cast, finding, description="x" * 501)
    assert refusal.value.field == "description"
    with pytest.raises(DomainError) as refusal:
        add(cast, finding, visibility="everyone")
    assert refusal.value.field == "visibility"
    assert Evidence.objects.count() == 0


# --- the API -----------------------------------------------------------------------------------

# Expected status per cast user (anonymous, staff, lead, auditor, client, other) while the audit is
# open: staff see the finding but are not on the team (403); others cannot see it (400 "No such
# finding.", as for a finding that does not exist).
API_CREATE = [401, 403, 201, 400, 400, 400]


def test_it_answers_api_uploads_as_decided(cast, finding, api, settings):
    got = []
    for name in CAST_NAMES:
        response = api(cast.user(name)).post(
            "/api/v1/evidence/", {"finding": finding.pk, "file": upload("photo.jpg", jpeg_bytes())}
        )
        got.append(response.status_code)
        if response.status_code == 400:
            assert response.json() == {"finding": ["No such finding."]}
    assert got == API_CREATE, dict(zip(CAST_NAMES, got, strict=True))
    assert Evidence.objects.get().uploaded_by == cast.lead
    assert len(stored_files(settings)) == 1


def test_it_returns_the_stored_file_on_upload(cast, finding, api):
    content = jpeg_bytes()
    response = api(cast.lead).post(
        "/api/v1/evidence/",
        {
            "finding": finding.pk,
            "file": upload("reception.jpg", content, content_type="application/pdf"),
            "description": "Queue board",
            "visibility": "client",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    evidence = Evidence.objects.get()
    assert body == {
        "id": evidence.pk,
        "finding": finding.pk,
        "audit": finding.audit_id,
        "original_name": "reception.jpg",
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "content_type": "image/jpeg",
        "description": "Queue board",
        "visibility": "client",
        "uploaded_by": cast.lead.pk,
        "uploaded_at": body["uploaded_at"],
        "download_url": f"/evidence/{evidence.pk}/download/",
        "thumbnail_url": None,
    }


def test_it_takes_uploads_spooled_to_a_temporary_file(cast, finding, api, settings):
    # Django keeps uploads over FILE_UPLOAD_MAX_MEMORY_SIZE in a temporary file, which storage moves.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    content = jpeg_bytes((600, 400))
    assert len(content) > 1024
    response = api(cast.lead).post(
        "/api/v1/evidence/", {"finding": finding.pk, "file": upload("big.jpg", content)}
    )
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get()
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert Path(evidence.file.path).read_bytes() == content


def test_it_explains_bad_upload_requests(cast, finding, api):
    lead = api(cast.lead)
    assert lead.post("/api/v1/evidence/", {"finding": finding.pk}).json() == {
        "file": ["No file was submitted."]
    }
    assert lead.post(
        "/api/v1/evidence/", {"finding": 999999, "file": upload("a.jpg", jpeg_bytes())}
    ).json() == {"finding": ["No such finding."]}
    assert lead.post("/api/v1/evidence/", {"finding": "x", "file": upload("a.jpg", jpeg_bytes())}).json() == {
        "finding": ["No such finding."]
    }
    response = lead.post(
        "/api/v1/evidence/",
        {"finding": finding.pk, "file": upload("a.jpg", jpeg_bytes()), "visibility": "all"},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["visibility"]
    assert Evidence.objects.count() == 0


def test_it_refuses_api_uploads_once_the_audit_is_closed(cast, audit, finding, api, settings):
    close(audit)
    response = api(cast.lead).post(
        "/api/v1/evidence/", {"finding": finding.pk, "file": upload("a.jpg", jpeg_bytes())}
    )
    assert response.status_code == 409
    assert "closed" in response.json()["detail"]
    assert Evidence.objects.count() == 0
    assert stored_files(settings) == []


def _names(response):
    return sorted(row["original_name"] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("closed", "expected"),
    [
        (False, [401, ["notes.pdf", "reception.jpg"], ["notes.pdf", "reception.jpg"], [], [], []]),
        (
            True,
            [401, ["notes.pdf", "reception.jpg"], ["notes.pdf", "reception.jpg"], [], ["reception.jpg"], []],
        ),
    ],
)
def test_it_scopes_the_api_list(closed, expected, cast, audit, shared_and_team_files, api):
    if closed:
        close(audit)
    got = []
    for name in CAST_NAMES:
        response = api(cast.user(name)).get("/api/v1/evidence/")
        got.append(_names(response) if response.status_code == 200 else response.status_code)
    assert got == expected


def test_it_filters_the_api_list_by_finding_and_audit(cast, audit, finding, api):
    other_finding = finding_create(
        audit=audit, user=cast.lead, clause=cast.standard.clauses.get(number="4.2"), grade=Grade.CONFORMING
    )
    add(cast, finding, name="first.jpg")
    add(cast, other_finding, name="second.jpg")
    lead = api(cast.lead)
    assert _names(lead.get("/api/v1/evidence/", {"finding": other_finding.pk})) == ["second.jpg"]
    assert _names(lead.get("/api/v1/evidence/", {"audit": audit.pk})) == ["first.jpg", "second.jpg"]
    assert lead.get("/api/v1/evidence/", {"audit": 999999}).status_code == 400


# Role and permission look-ups, then one count and one page: never a query per file.
LIST_QUERIES = {"lead": 6, "staff": 4, "client": 5}


@pytest.mark.parametrize("name", LIST_QUERIES)
def test_it_lists_in_a_constant_number_of_queries(
    name, cast, audit, finding, api, django_assert_max_num_queries
):
    client = api(cast.user(name))
    add(cast, finding, name="first.jpg", visibility=Visibility.CLIENT)
    close(audit)
    with django_assert_max_num_queries(LIST_QUERIES[name]):
        assert len(client.get("/api/v1/evidence/").json()["results"]) == 1
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.IN_PROGRESS, closed_at=None)
    for number in range(6):
        add(cast, finding, name=f"more-{number}.jpg", visibility=Visibility.CLIENT)
    close(audit)
    with django_assert_max_num_queries(LIST_QUERIES[name]):
        assert len(client.get("/api/v1/evidence/").json()["results"]) == 7


# (audit closed?) -> expected PATCH status per cast user on the shared file.
API_PATCH = {
    "open": (False, [401, 403, 200, 404, 404, 404]),
    "closed": (True, [401, 403, 409, 404, 403, 404]),
}


@pytest.mark.parametrize("case", API_PATCH)
def test_it_answers_api_changes_as_decided(case, cast, audit, shared_and_team_files, api):
    closed, expected = API_PATCH[case]
    shared, _team_only = shared_and_team_files
    if closed:
        close(audit)
    got = [
        api(cast.user(name))
        .patch(f"/api/v1/evidence/{shared.pk}/", {"description": f"by {name}"}, format="json")
        .status_code
        for name in CAST_NAMES
    ]
    assert got == expected, dict(zip(CAST_NAMES, got, strict=True))
    shared.refresh_from_db()
    assert shared.description == ("" if closed else "by lead")


def test_it_changes_visibility_over_the_api(cast, shared_and_team_files, api):
    _shared, team_only = shared_and_team_files
    response = api(cast.lead).patch(f"/api/v1/evidence/{team_only.pk}/", {"visibility": "client"})
    assert response.status_code == 200
    assert response.json()["visibility"] == "client"
    response = api(cast.lead).patch(f"/api/v1/evidence/{team_only.pk}/", {"visibility": "world"})
    assert response.status_code == 400
    assert list(response.json()) == ["visibility"]
    assert api(cast.lead).put(f"/api/v1/evidence/{team_only.pk}/", {"description": "x"}).status_code == 405
    team_only.refresh_from_db()
    assert team_only.visibility == "client"


API_DELETE = {
    "open": (False, [401, 403, 204, 404, 404, 404]),
    "closed": (True, [401, 403, 409, 404, 403, 404]),
}


@pytest.mark.parametrize("case", API_DELETE)
def test_it_answers_api_removals_as_decided(case, cast, audit, shared_and_team_files, api, settings):
    closed, expected = API_DELETE[case]
    shared, _team_only = shared_and_team_files
    if closed:
        close(audit)
    got = [api(cast.user(name)).delete(f"/api/v1/evidence/{shared.pk}/").status_code for name in CAST_NAMES]
    assert got == expected, dict(zip(CAST_NAMES, got, strict=True))
    shared.refresh_from_db()
    assert (shared.removed_at is None) == closed
    assert len(stored_files(settings)) == 2  # removal never deletes the file
    assert api(cast.lead).get(f"/api/v1/evidence/{shared.pk}/").status_code == (200 if closed else 404)
