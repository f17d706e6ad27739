"""The nightly clean-up of orphan files (housekeeping/orphans.py): temporary uploads and stored files
no record names, left when a process is killed halfway through an upload (issue 15, item 10)."""

import io
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils.module_loading import import_string

from findings.evidence import evidence_add
from findings.services import finding_create
from housekeeping.tasks import remove_orphan_files
from tests.world import png_upload

pytestmark = pytest.mark.django_db

TWO_DAYS = 2 * 24 * 3600


def made_long_ago(path) -> None:
    then = time.time() - TWO_DAYS
    os.utime(path, (then, then))


@pytest.fixture
def upload_dir(settings, tmp_path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


@pytest.fixture
def evidence(cast, onsite_audit):
    finding = finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade="observation",
        statement="Queue boards lag.",
    )
    return evidence_add(finding=finding, user=cast.lead, upload=png_upload("board.png"))


def test_it_removes_old_orphans_and_keeps_young_and_recorded_files(evidence, upload_dir, caplog):
    caplog.set_level("INFO", logger="housekeeping.orphans")
    old_upload = upload_dir / "tmpk2j3h4.upload.jpg"
    young_upload = upload_dir / "tmpa8s7d6.upload.pdf"
    someone_elses = upload_dir / "notes.txt"
    for path in (old_upload, young_upload, someone_elses):
        path.write_bytes(b"partial upload")
    made_long_ago(old_upload)
    made_long_ago(someone_elses)
    folder = evidence.file.name.rsplit("/", 1)[0]
    old_orphan = default_storage.save(f"{folder}/killed-mid-upload.jpg", ContentFile(b"x"))
    young_orphan = default_storage.save(f"{folder}/being-saved.jpg", ContentFile(b"x"))
    made_long_ago(default_storage.path(old_orphan))
    made_long_ago(default_storage.path(evidence.file.name))

    assert remove_orphan_files.delay().get() == {"temporary_uploads": 1, "media_files": 1}

    assert not old_upload.exists()
    assert young_upload.exists()
    assert someone_elses.exists()
    assert not default_storage.exists(old_orphan)
    assert default_storage.exists(young_orphan)
    assert default_storage.exists(evidence.file.name)
    assert "1 temporary upload(s)" in caplog.text
    assert "1 file(s) in storage with no record" in caplog.text


def test_it_keeps_every_kind_of_recorded_file(evidence, closed_audit, upload_dir):
    from outbox.tasks import messages_dispatch_due

    # The thumbnail, the report, the NCR and the summary are made now, beside the evidence itself.
    messages_dispatch_due()
    stored = [Path(folder) / name for folder, _, names in os.walk(settings.MEDIA_ROOT) for name in names]
    assert len(stored) == 5
    for path in stored:
        made_long_ago(path)
    assert remove_orphan_files.delay().get() == {"temporary_uploads": 0, "media_files": 0}
    assert all(path.exists() for path in stored)


def test_it_does_nothing_without_a_media_folder_yet(settings, upload_dir, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "never-made"
    assert remove_orphan_files.delay().get() == {"temporary_uploads": 0, "media_files": 0}


def test_it_cleans_up_from_the_command_line_too(evidence, upload_dir):
    made_long_ago(default_storage.path(default_storage.save("stray.pdf", ContentFile(b"%PDF"))))
    out = io.StringIO()
    call_command("remove_orphan_files", stdout=out)
    assert "Removed 0 temporary upload(s) and 1 stored file(s) with no record." in out.getvalue()
    assert not default_storage.exists("stray.pdf")


def test_it_spools_uploads_to_a_folder_of_its_own():
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    assert folder == Path(settings.BASE_DIR) / "var" / "tmp" / "uploads"
    assert folder.is_dir()


def test_it_schedules_the_outbox_and_the_clean_up_with_celery_beat():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "outbox.tasks.dispatch_due",
        "outbox.tasks.purge_done",
        "housekeeping.tasks.remove_orphan_files",
    } <= tasks
    # Each name is a task that exists (a typo would make beat send what no worker knows).
    assert all(callable(import_string(name)) for name in tasks)
