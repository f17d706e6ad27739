"""A task enqueued through the real broker is run by a separately started `celery worker`.

Runs in `make test-services` (CELERY_BROKER_URL set, PostgreSQL); skipped loudly otherwise.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from clients.services import client_user_create
from tests.factories import OrganizationFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker(tmp_path):
    if not settings.CELERY_BROKER_URL:
        pytest.fail("The worker tests need CELERY_BROKER_URL (run them with `make test-services`).")
    if connection.vendor == "sqlite":
        pytest.fail("The worker tests need a database a second process can share (run `make test-services`).")
    from config.celery_app import app

    # A queue of our own, so neither a developer's running worker nor stale messages interfere.
    queue = f"certdesk-test-{uuid.uuid4().hex[:8]}"
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    db = settings.DATABASES["default"]
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        # The worker stores PDFs where this test reads them.
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            queue,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield mail_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        app.conf.task_default_queue = previous_queue
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)


def test_it_runs_an_enqueued_task_in_a_separate_worker(worker, tmp_path):
    from config.celery_app import app

    assert not app.conf.task_always_eager
    organization = OrganizationFactory(legal_name="Worker Test AB")
    # The service queues the invitation with transaction.on_commit; this test's transaction commits.
    client_user_create(organization=organization, username="workertest", email="worker@example.com")

    deadline = time.monotonic() + 60
    messages = []
    while time.monotonic() < deadline:
        messages = list(worker.glob("*.log")) if worker.exists() else []
        if messages:
            break
        time.sleep(0.5)
    log_file = tmp_path / "worker.log"
    assert messages, f"The worker sent no e-mail within 60 s. Worker log:\n{log_file.read_text()[-3000:]}"
    body = messages[0].read_text()
    assert "To: worker@example.com" in body
    assert "workertest" in body
    log = _log_once_succeeded(log_file, deadline)
    assert "send_invitation_email" in log and "succeeded" in log, log[-3000:]


def test_it_makes_the_audit_report_in_the_worker(worker, onsite_audit, cast, tmp_path):
    from pypdf import PdfReader

    from audits.models import AuditDocument
    from findings.closing import audit_close
    from findings.services import finding_create

    finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade="minor",
        statement="No trend analysis of complaints since June.",
    )
    # Closing queues the report with transaction.on_commit; this test's transaction commits.
    audit_close(audit=onsite_audit, user=cast.lead, recommendation="certify", conclusion="Worker test")

    deadline = time.monotonic() + 60
    document = None
    while time.monotonic() < deadline:
        document = AuditDocument.objects.filter(audit=onsite_audit, kind="report").first()
        if document is not None:
            break
        time.sleep(0.5)
    log = (tmp_path / "worker.log").read_text()
    assert document is not None, f"The worker made no report within 60 s. Worker log:\n{log[-3000:]}"
    with document.file.open("rb") as pdf:
        text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "No trend analysis of complaints since June." in text
    assert "NC-" in text
    log = _log_once_succeeded(tmp_path / "worker.log", deadline)
    assert "generate_report_pdf" in log and "succeeded" in log, log[-3000:]


def _log_once_succeeded(log_file, deadline: float) -> str:
    """The worker's log once it says a task succeeded (or at the deadline): the worker writes that
    line just after the task's own work (the e-mail, the document) is visible, so a test that saw
    the work may read the log a moment too early."""
    while time.monotonic() < deadline and "succeeded" not in log_file.read_text():
        time.sleep(0.2)
    return log_file.read_text()
