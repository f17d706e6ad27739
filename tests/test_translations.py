"""Swedish is complete: every string marked for translation in code, templates, e-mails and PDFs has
a Swedish translation that is not fuzzy, and the placeholders match."""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

IGNORE = [".venv", "tests", "var", "build", "node_modules", "*.egg-info"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


def po_entries(text: str) -> list[dict]:
    """Each entry of a .po file as {flags, msgid, msgid_plural, msgstr: [...]} (msgid joined)."""
    entries = []
    for block in text.split("\n\n"):
        entry = {"flags": "", "msgid": None, "msgid_plural": "", "msgstr": []}
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("#"):
                continue
            elif line.startswith("msgid_plural "):
                current = "msgid_plural"
                entry[current] = line[len("msgid_plural ") :].strip('"')
            elif line.startswith("msgid "):
                current = "msgid"
                entry[current] = line[len("msgid ") :].strip('"')
            elif line.startswith("msgstr"):
                current = "msgstr"
                entry["msgstr"].append(line.split(" ", 1)[1].strip('"'))
            elif line.startswith('"') and current == "msgstr":
                entry["msgstr"][-1] += line.strip('"')
            elif line.startswith('"') and current:
                entry[current] += line.strip('"')
        if entry["msgid"]:  # the header has an empty msgid
            entries.append(entry)
    return entries


SOURCES = [
    "core",
    "outbox",
    "housekeeping",
    "accounts",
    "audits",
    "clients",
    "standards",
    "findings",
    "reports",
    "certificates",
    "transfers",
    "records",
    "portal",
    "config",
    "templates",
    "static",
    "locale",
]


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory) -> list[dict]:
    """The Swedish catalogue as makemessages leaves it after reading today's code. It runs on a copy
    of the sources, so the project's own .po file is never touched by the test."""
    root = Path(settings.BASE_DIR)
    copy = tmp_path_factory.mktemp("sources")
    for name in SOURCES:
        shutil.copytree(root / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    here = os.getcwd()
    os.chdir(copy)
    try:
        with override_settings(LOCALE_PATHS=[copy / "locale"]):
            call_command("makemessages", locale=["sv"], ignore_patterns=IGNORE, no_obsolete=True, verbosity=0)
    finally:
        os.chdir(here)
    return po_entries((copy / "locale" / "sv" / "LC_MESSAGES" / "django.po").read_text())


def test_every_string_in_the_code_has_a_swedish_translation(fresh_catalogue):
    missing = [e["msgid"] for e in fresh_catalogue if not all(e["msgstr"]) or "fuzzy" in e["flags"]]

    assert len(fresh_catalogue) > 500
    assert not missing, f"{len(missing)} strings lack a Swedish translation, e.g. {missing[:10]}"


def test_the_swedish_keeps_every_placeholder(fresh_catalogue):
    broken = [
        e["msgid"]
        for e in fresh_catalogue
        if any(
            sorted(PLACEHOLDER.findall(msgstr)) != sorted(PLACEHOLDER.findall(e["msgid"]))
            for msgstr in e["msgstr"][:1]
        )
    ]

    assert not broken, f"placeholders differ in {broken[:10]}"
