"""A task enqueued through the real broker is run by a separately started `celery worker`.

Runs in `make test-services` (CELERY_BROKER_URL set, PostgreSQL); skipped loudly otherwise. The
outbox's story: with the broker down a person's action succeeds at once and its e-mails and
documents wait in the outbox; with the broker back, `celery beat`'s dispatcher and the worker
deliver each exactly once.
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
from core.actors import SYSTEM
from findings.models import Nonconformity
from outbox import tasks as outbox_tasks
from outbox.models import MessageState, OutboxMessage
from tests.conftest import ROOT
from tests.factories import OrganizationFactory, closing_report

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


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
    mail_dir = tmp_path / "mail"
    env = _process_env(queue, mail_dir)
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


def _process_env(queue: str, mail_dir: Path) -> dict:
    """The environment of a worker or beat process on this test's database, broker and queue."""
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        # The worker stores PDFs where this test reads them.
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }


@pytest.fixture
def start_beat(worker, tmp_path):
    """start_beat() -> `celery beat` in its own process, dispatching the outbox every second to the
    worker's queue, as production's beat does every minute."""
    from config.celery_app import app

    processes = []

    def start():
        env = {**_process_env(app.conf.task_default_queue, worker), "OUTBOX_DISPATCH_SECONDS": "1"}
        log = (tmp_path / "beat.log").open("w")
        command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
        command += ["--schedule", str(tmp_path / "beat-schedule")]
        processes.append(
            (subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log)
        )

    yield start
    for process, log in processes:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_it_runs_an_enqueued_task_in_a_separate_worker(worker, tmp_path):
    from config.celery_app import app

    assert not app.conf.task_always_eager
    organization = OrganizationFactory(legal_name="Worker Test AB")
    # The service queues the invitation with transaction.on_commit; this test's transaction commits.
    client_user_create(
        actor=SYSTEM, organization=organization, username="workertest", email="worker@example.com"
    )

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
    from findings.services import finding_create
    from reports.services import audit_close

    finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade="minor",
        statement="No trend analysis of complaints since June.",
    )
    # Closing queues the report with transaction.on_commit; this test's transaction commits.
    audit_close(
        audit=onsite_audit,
        **closing_report(onsite_audit),
        user=cast.lead,
        recommendation="certify",
        conclusion="Worker test",
    )

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


def test_it_delivers_what_waited_for_a_broker_that_was_down_exactly_once(
    broker_down, start_beat, worker, cast, closed_audit, login, monkeypatch, tmp_path
):
    from config.celery_app import app

    # The broker is down (this process publishes to a closed port); the worker waits on the real one.
    for user, address in ((cast.lead, "lead@example.com"), (cast.client, "client@example.com")):
        user.email = address
        user.save(update_fields=["email"])
    staff = login(cast.staff)
    # Each request finds the broker down itself, not a pause left by the one before.
    monkeypatch.setattr(outbox_tasks, "_broker_down_until", 0.0)
    data = {"username": "maria", "email": "maria@example.com", "role": "responder", "language": "sv"}
    started = time.monotonic()
    # At the other client, so the new user hears only of the invitation, not of Nordkontakt NCRs.
    response = staff.post(f"/organizations/{cast.org_b.pk}/users/new/", data)
    assert time.monotonic() - started < 2
    assert response.status_code == 302

    nonconformity = Nonconformity.objects.get(audit=closed_audit)
    monkeypatch.setattr(outbox_tasks, "_broker_down_until", 0.0)
    answer = {
        "correction": "Ran the trend analysis for June to November.",
        "root_cause": "The analyst's task was not handed over when she left.",
        "corrective_action": "The monthly analysis is now a task in the quality calendar.",
    }
    started = time.monotonic()
    response = login(cast.client).post(f"/ncrs/{nonconformity.pk}/respond/", answer)
    assert time.monotonic() - started < 2
    assert response.status_code == 302
    nonconformity.refresh_from_db()
    assert nonconformity.status == "awaiting_review"
    # The invitation; the close's report, NCR notice and PDFs; the answer's notice and PDFs.
    waiting = OutboxMessage.objects.all()
    assert waiting.count() == 8
    assert {message.state for message in waiting} == {MessageState.PENDING}
    assert not worker.exists() or not list(worker.glob("*.log"))

    # The broker is back: this process publishes to it again, and beat dispatches every second.
    app.set_current()
    start_beat()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and OutboxMessage.objects.exclude(state=MessageState.DONE).exists():
        time.sleep(0.5)
    rows = list(OutboxMessage.objects.values_list("task", "state", "attempts", "last_error"))
    beat_log = (tmp_path / "beat.log").read_text()[-2000:]
    worker_log = (tmp_path / "worker.log").read_text()[-3000:]
    assert {(state, attempts) for _, state, attempts, _ in rows} == {(MessageState.DONE, 1)}, (
        f"{rows}\nBeat log:\n{beat_log}\nWorker log:\n{worker_log}"
    )
    # A few more dispatcher runs change nothing: every row is done, every e-mail went once.
    time.sleep(3)
    sent = "".join(path.read_text() for path in worker.glob("*.log"))
    assert sent.count("To: maria@example.com") == 1
    # The client heard of the issued NCR once; the lead of the client's answer once.
    assert sent.count("To: client@example.com") == 1
    assert sent.count("To: lead@example.com") == 1
    assert closed_audit.documents.filter(kind="report").count() == 1
    assert nonconformity.documents.count() == 1
    assert OutboxMessage.objects.filter(state=MessageState.DONE, attempts=1).count() == 8
