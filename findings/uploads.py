"""What an uploaded evidence file really is, decided from its bytes, never its name or declared type.

A file is accepted only when its content is a photo (JPEG, PNG, HEIC/HEIF, WebP) that decodes, a
PDF or an office document. Everything else is refused with a DomainError on the "file" field naming the
reason. Nothing here writes anywhere: the caller stores the file only after inspect_upload()
returns.
"""

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import NoReturn

import filetype
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

from core.errors import DomainError

HEAD_BYTES = 8192
NAME_MAX_LENGTH = 200  # Evidence.original_name
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    mime: str
    # The first is the one added to a name that lacks a fitting extension.
    extensions: tuple[str, ...]


JPEG = FileKind("image/jpeg", ("jpg", "jpeg", "jpe", "jfif"))
PNG = FileKind("image/png", ("png",))
WEBP = FileKind("image/webp", ("webp",))
HEIC = FileKind("image/heic", ("heic", "heif", "hif"))
HEIF = FileKind("image/heif", ("heif", "heic", "hif"))
PDF = FileKind("application/pdf", ("pdf",))
DOCX = FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",))
XLSX = FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",))
PPTX = FileKind("application/vnd.openxmlformats-officedocument.presentationml.presentation", ("pptx",))
ODT = FileKind("application/vnd.oasis.opendocument.text", ("odt",))
ODS = FileKind("application/vnd.oasis.opendocument.spreadsheet", ("ods",))
ODP = FileKind("application/vnd.oasis.opendocument.presentation", ("odp",))
DOC = FileKind("application/msword", ("doc",))
XLS = FileKind("application/vnd.ms-excel", ("xls",))
PPT = FileKind("application/vnd.ms-powerpoint", ("ppt",))

# Every picture is decoded before it is kept (HEIC/HEIF through pillow-heif, registered in
# FindingsConfig.ready), so every one gets a thumbnail.
THUMBNAIL_TYPES = {kind.mime for kind in (JPEG, PNG, WEBP, HEIC, HEIF)}
# filetype's names for the photos Pillow checks; an animated PNG is still a PNG.
IMAGE_EXTENSIONS = {"jpg": JPEG, "png": PNG, "apng": PNG, "webp": WEBP}
# Pillow's names for what it opened; camera JPEGs with several pictures open as MPO.
PILLOW_FORMATS = {JPEG: {"JPEG", "MPO"}, PNG: {"PNG"}, WEBP: {"WEBP"}, HEIC: {"HEIF"}, HEIF: {"HEIF"}}

# Main-part content types in an OOXML package's [Content_Types].xml, and the part Office names it.
OOXML_MAIN_TYPES = [
    (DOCX, b"wordprocessingml.document.main+xml", "word/document.xml"),
    (XLSX, b"spreadsheetml.sheet.main+xml", "xl/workbook.xml"),
    (PPTX, b"presentationml.presentation.main+xml", "ppt/presentation.xml"),
]
OOXML_MACRO_TYPES = (b"macroEnabled", b"vbaProject")
ODF_KINDS = {kind.mime: kind for kind in (ODT, ODS, ODP)}

# Legacy Office files are OLE2 compound files; which application's stream they hold says which.
CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CFB_DIRECTORY_ENTRY = 128
CFB_STREAMS = {
    DOC: "WordDocument".encode("utf-16-le") + b"\x00\x00",
    XLS: "Workbook".encode("utf-16-le") + b"\x00\x00",
    PPT: "PowerPoint Document".encode("utf-16-le") + b"\x00\x00",
}
FILETYPE_CFB = {"doc": DOC, "xls": XLS, "ppt": PPT}

# ISO base media file brands (the "ftyp" box) of phone-camera HEIC/HEIF pictures.
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
HEIF_BRANDS = {b"mif1", b"msf1"}
AVIF_BRANDS = {b"avif", b"avis"}

# Programs by their first bytes: ELF, Windows PE/DOS (MZ), Mach-O and Java classes, scripts,
# WebAssembly, Android dex.
EXECUTABLE_SIGNATURES = [
    (b"\x7fELF", "ELF"),
    (b"MZ", "Windows"),
    (b"\xfe\xed\xfa\xce", "Mach-O"),
    (b"\xfe\xed\xfa\xcf", "Mach-O"),
    (b"\xce\xfa\xed\xfe", "Mach-O"),
    (b"\xcf\xfa\xed\xfe", "Mach-O"),
    (b"\xca\xfe\xba\xbe", "Mach-O/Java"),
    (b"#!", "script"),
    (b"\x00asm", "WebAssembly"),
    (b"dex\n", "Android"),
]
# Markup a browser would run scripts in (SVG is XML and may hold <script>).
MARKUP_MARKERS = (b"<html", b"<!doctype html", b"<svg", b"<script", b"<head", b"<body", b"<iframe", b"<?xml")
ARCHIVE_EXTENSIONS = {
    "zip", "tar", "rar", "gz", "bz2", "7z", "xz", "zst", "lz4", "lz", "Z", "lzo", "cab", "deb",
    "rpm", "ar", "epub", "crx", "br",
}  # fmt: skip


@dataclass(frozen=True)
class InspectedFile:
    kind: FileKind
    size: int
    sha256: str
    original_name: str


def _accepted_types() -> str:
    return _(
        "Accepted are photos (JPEG, PNG, HEIC, WebP), PDF, Word, Excel and PowerPoint files "
        "(also the older .doc, .xls, .ppt) and OpenDocument files."
    )


def _refuse(message: str) -> NoReturn:
    raise DomainError(message, field="file")


def inspect_upload(upload) -> InspectedFile:
    """Check an uploaded file and say what it is; DomainError(field="file") when it is refused."""
    limit = settings.EVIDENCE_MAX_BYTES
    declared_size = getattr(upload, "size", None)
    if declared_size is not None and declared_size > limit:
        _refuse(_("The file is larger than the limit of %(limit)s.") % {"limit": filesizeformat(limit)})
    size, sha256 = _measure(upload, limit)
    if size == 0:
        _refuse(_("The file is empty."))
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    kind = _detect(upload, head)
    return InspectedFile(
        kind=kind, size=size, sha256=sha256, original_name=clean_original_name(upload.name or "", kind)
    )


def _measure(upload, limit: int) -> tuple[int, str]:
    """Size and SHA-256 from the bytes themselves; the declared size is only a hint."""
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    while chunk := upload.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            _refuse(_("The file is larger than the limit of %(limit)s.") % {"limit": filesizeformat(limit)})
        digest.update(chunk)
    return size, digest.hexdigest()


def _detect(upload, head: bytes) -> FileKind:
    for signature, family in EXECUTABLE_SIGNATURES:
        if head.startswith(signature):
            _refuse(
                _("This file is a program (%(family)s); programs are never accepted, whatever their name.")
                % {"family": family}
            )
    heif = _heif_kind(head)
    if heif is not None:
        # The brand in the first box says HEIC; only decoding the picture shows that it is one.
        return _checked_image(upload, heif)
    guessed = filetype.guess(head)
    if guessed is not None:
        if guessed.extension in IMAGE_EXTENSIONS:
            return _checked_image(upload, IMAGE_EXTENSIONS[guessed.extension])
        if guessed.extension == "pdf":
            return PDF
        if head.startswith(b"PK"):
            return _zip_kind(upload)
        if head.startswith(CFB_SIGNATURE):
            return _compound_file_kind(upload, FILETYPE_CFB.get(guessed.extension))
        if guessed.extension in ("exe", "elf", "wasm"):
            _refuse(_("This file is a program; programs are never accepted, whatever their name."))
        if guessed.extension in ARCHIVE_EXTENSIONS:
            _refuse(
                _("Archives are not accepted; attach the documents themselves.") + " " + _accepted_types()
            )
        _refuse(
            _("%(type)s files are not accepted.") % {"type": guessed.extension.upper()}
            + " "
            + _accepted_types()
        )
    if head.startswith(CFB_SIGNATURE):
        return _compound_file_kind(upload, None)
    lowered = head.lower()
    if any(marker in lowered for marker in MARKUP_MARKERS):
        _refuse(_("Web pages, SVG and XML files are not accepted: a browser may run scripts in them."))
    _refuse(
        _("The file's content is not of an accepted type (its name and declared type do not count).")
        + " "
        + _accepted_types()
    )


def _heif_kind(head: bytes) -> FileKind | None:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    box_length = int.from_bytes(head[0:4], "big")
    if box_length < 16 or box_length > len(head):
        return None
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, box_length - 3, 4)}
    if major in HEIC_BRANDS or (major in HEIF_BRANDS and brands & HEIC_BRANDS):
        return HEIC
    if major in HEIF_BRANDS and not brands & AVIF_BRANDS:
        return HEIF
    return None


def _checked_image(upload, kind: FileKind) -> FileKind:
    """The image must open, verify and decode in Pillow, as what its signature says it is."""
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            opened_as = image.format
            image.verify()
        if opened_as not in PILLOW_FORMATS[kind]:
            _refuse(_("The image is damaged: its content does not match its type."))
        # verify() reads the structure only; decoding catches a truncated or garbled picture.
        upload.seek(0)
        with Image.open(upload) as image:
            image.draft(None, (1024, 1024))  # JPEG decodes at reduced scale: cheaper, same checks
            image.load()
    except Image.DecompressionBombError:
        _refuse(_("The image has too many pixels to be processed safely."))
    except DomainError:
        raise
    except Exception:
        # Pillow raises many kinds of error on malformed input; any of them means "cannot be read".
        _refuse(_("The image is damaged or incomplete and cannot be opened."))
    finally:
        upload.seek(0)
    return kind


def _zip_kind(upload) -> FileKind:
    """A ZIP is accepted only as an OOXML or OpenDocument package, without macros."""
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                return _ooxml_kind(archive, names)
            if "mimetype" in names:
                return _odf_kind(archive, names)
    except DomainError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        _refuse(_("The file looks like an office document or archive but is damaged."))
    finally:
        upload.seek(0)
    _refuse(_("Archives are not accepted; attach the documents themselves.") + " " + _accepted_types())


def _ooxml_kind(archive: zipfile.ZipFile, names: set[str]) -> FileKind:
    # Read at most 1 MB of the manifest: a compressed bomb must not cost more than that.
    with archive.open("[Content_Types].xml") as manifest:
        content_types = manifest.read(1024 * 1024)
    if any(marker in content_types for marker in OOXML_MACRO_TYPES) or any(
        name.endswith("vbaProject.bin") for name in names
    ):
        _refuse(_("Office files with macros are not accepted; save it without macros (.docx, .xlsx, .pptx)."))
    for kind, main_type, _main_part in OOXML_MAIN_TYPES:
        if main_type in content_types:
            return kind
    for kind, _main_type, main_part in OOXML_MAIN_TYPES:
        if main_part in names:
            return kind
    _refuse(_("The file is an office package but not a Word, Excel or PowerPoint document."))


def _odf_kind(archive: zipfile.ZipFile, names: set[str]) -> FileKind:
    with archive.open("mimetype") as member:
        mimetype = member.read(100).decode("ascii", "replace").strip()
    kind = ODF_KINDS.get(mimetype)
    if kind is None or "content.xml" not in names:
        _refuse(_("The file is an OpenDocument package but not a text, spreadsheet or presentation."))
    if any(name.startswith(("Basic/", "Scripts/")) for name in names):
        _refuse(_("Office files with macros are not accepted; save it without macros."))
    return kind


def _compound_file_kind(upload, guessed: FileKind | None) -> FileKind:
    """A legacy .doc, .xls or .ppt: the compound file must hold that application's main stream.

    Directory entries start on 128-byte boundaries, so a stream name is only counted there; an
    installer (.msi) or Outlook message is a compound file too and holds none of them.
    """
    found = set()
    upload.seek(0)
    while chunk := upload.read(CHUNK_BYTES):  # a multiple of 128, so entries never straddle chunks
        for kind, entry_name in CFB_STREAMS.items():
            if kind not in found and any(
                chunk.startswith(entry_name, offset) for offset in range(0, len(chunk), CFB_DIRECTORY_ENTRY)
            ):
                found.add(kind)
    upload.seek(0)
    if guessed in found:
        return guessed
    if len(found) == 1:
        return found.pop()
    _refuse(
        _("The file is an older Microsoft compound file but not a Word, Excel or PowerPoint document.")
        + " "
        + _accepted_types()
    )


def clean_original_name(name: str, kind: FileKind) -> str:
    """The uploader's file name made safe to show and to offer as a download name.

    Only the last path part, no control or invisible characters, no characters that mean
    something to a shell or file system, at most 200 characters, and an extension that fits the
    detected type: a JPEG named report.html downloads as report.html.jpg, so it opens as a picture.
    """
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Categories C*: control, format (e.g. right-to-left override), unassigned, private use.
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = re.sub(r"[^\w\s.()+,&'-]", "", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if extension.lower() not in kind.extensions:
        stem, extension = name, kind.extensions[0]
    stem = stem.strip(" .") or "evidence"
    stem = stem[: NAME_MAX_LENGTH - len(extension) - 1].rstrip(" .") or "evidence"
    return f"{stem}.{extension}"
