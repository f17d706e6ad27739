"""The transactional outbox (outbox/): e-mails and documents recorded with the change that calls
for them, handed to a worker after the commit (or later, by the periodic dispatcher), run once.

These run on SQLite without a broker: tasks run in-process, as in the embedded set-up. The broker
tests point Celery at a closed port; tests/outbox/test_worker.py runs the same story against a real
broker and worker (make test-services).
"""

import datetime
import time

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from reportlab.platypus.doctemplate import LayoutError

from accounts.deliveries import INVITATION_EMAIL
from audits.models import AuditDocument, DocumentKind
from clients.services import client_user_create
from core.actors import SYSTEM
from core.errors import ConflictError
from findings.deliveries import NC_NOTICE, NC_PDF, NC_SUMMARY_PDF
from findings.models import Nonconformity
from outbox.delivery import SENT_TIMEOUT, message_deliver, messages_claim
from outbox.models import MessageState, OutboxMessage
from outbox.services import message_enqueue, message_retry
from outbox.tasks import messages_dispatch_due, purge_done
from reports.deliveries import REPORT_PDF, report_delivery
from tests.conftest import CAST_NAMES
from tests.factories import closing_form

pytestmark = pytest.mark.django_db

ANSWER = {
    "correction": "Ran the trend analysis for June to November.",
    "root_cause": "The analyst's task was not handed over when she left.",
    "corrective_action": "The monthly analysis is now a task in the quality calendar.",
}


def invite(cast, username: str):
    return client_user_create(
        actor=SYSTEM, organization=cast.org_a, username=username, email=f"{username}@example.com"
    )


def invitations_to(address: str) -> int:
    return sum(1 for message in mail.outbox if message.to == [address])


@pytest.fixture
def broken_pdfs(monkeypatch):
    """Every PDF's layout fails as a page-tall table row does (reportlab's LayoutError)."""
    from core import pdf

    def build_pdf(*args, **kwargs):
        raise LayoutError("Flowable <Table> too large on page 1")

    monkeypatch.setattr(pdf, "build_pdf", build_pdf)


# -- Recorded with the change ----------------------------------------------------------------------


def test_it_records_the_invitation_in_the_users_transaction(cast):
    with pytest.raises(RuntimeError), transaction.atomic():
        invite(cast, "maria")
        assert OutboxMessage.objects.filter(task=INVITATION_EMAIL).count() == 1
        raise RuntimeError("the request failed after the user was saved")
    # Rolled back together: no user, no invitation waiting for nobody.
    assert not OutboxMessage.objects.exists()
    user = invite(cast, "maria")
    message = OutboxMessage.objects.get()
    assert (message.task, message.args, message.state) == (INVITATION_EMAIL, [user.pk], MessageState.PENDING)
    assert message.subject == str(user)


def test_it_runs_the_task_at_commit_in_process_without_a_broker(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(cast, "maria")
    assert invitations_to("maria@example.com") == 1
    message = OutboxMessage.objects.get()
    assert message.state == MessageState.DONE
    assert message.attempts == 1
    assert message.finished_at is not None


def test_it_refuses_to_queue_a_task_the_outbox_does_not_know(cast):
    with pytest.raises(ValueError, match="not registered"):
        message_enqueue(task="accounts.tasks.no_such_task", args=[1])
    assert not OutboxMessage.objects.exists()


# -- Exactly once ----------------------------------------------------------------------------------


def test_it_sends_each_row_once_even_when_the_dispatcher_runs_twice(cast):
    # Not committed in this test: both invitations wait for the periodic dispatcher.
    invite(cast, "maria")
    invite(cast, "jonas")
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {MessageState.PENDING}
    assert messages_dispatch_due() == 2
    assert messages_dispatch_due() == 0
    assert invitations_to("maria@example.com") == 1
    assert invitations_to("jonas@example.com") == 1
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {MessageState.DONE}


def test_it_runs_a_row_delivered_twice_only_once(cast):
    invite(cast, "maria")
    [message_id] = messages_claim(OutboxMessage.objects.all(), limit=10)
    # The broker handed the same message to two workers (a redelivery after a lost acknowledgement).
    assert message_deliver(message_id=message_id) is True
    assert message_deliver(message_id=message_id) is False
    assert invitations_to("maria@example.com") == 1
    assert OutboxMessage.objects.get().attempts == 1


def test_it_claims_a_row_for_one_dispatcher_only(cast):
    invite(cast, "maria")
    assert len(messages_claim(OutboxMessage.objects.filter(state=MessageState.PENDING), limit=10)) == 1
    assert messages_claim(OutboxMessage.objects.filter(state=MessageState.PENDING), limit=10) == []
    assert OutboxMessage.objects.get().state == MessageState.SENT


def test_it_runs_only_a_claimed_row(cast):
    invite(cast, "maria")
    message = OutboxMessage.objects.get()
    # Pending: no dispatcher handed it over (a stray message for it does nothing).
    assert message_deliver(message_id=message.pk) is False
    assert mail.outbox == []


def test_it_hands_a_row_over_again_when_its_worker_never_ran_it(cast):
    invite(cast, "maria")
    messages_claim(OutboxMessage.objects.all(), limit=10)
    # Handed over a moment ago: with the broker, not due again.
    assert messages_dispatch_due() == 0
    # The broker lost it (restarted without persistence): after the timeout it goes again.
    OutboxMessage.objects.update(sent_at=timezone.now() - SENT_TIMEOUT - datetime.timedelta(minutes=1))
    assert messages_dispatch_due() == 1
    assert invitations_to("maria@example.com") == 1
    assert OutboxMessage.objects.get().state == MessageState.DONE


# -- Failures ----------------------------------------------------------------------------------------


def test_it_marks_a_failing_task_failed_with_its_error(cast, monkeypatch, django_capture_on_commit_callbacks):
    from accounts import tasks

    def broken(*, user):
        raise ValueError("template missing")

    monkeypatch.setattr(tasks, "invitation_email_send", broken)
    with django_capture_on_commit_callbacks(execute=True):
        user = invite(cast, "maria")
    # The person's action stands; the failure is on the row, for staff.
    assert user.pk is not None
    message = OutboxMessage.objects.get()
    assert message.state == MessageState.FAILED
    assert message.last_error == "ValueError: template missing"
    assert message.attempts == 1
    # A failed row is not tried again by itself: the same fault would fail the same way.
    assert messages_dispatch_due() == 0


def test_it_tries_a_passing_failure_again_later_then_gives_up(
    cast, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from accounts import tasks

    settings.OUTBOX_MAX_ATTEMPTS = 2

    def mail_server_down(*, user):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(tasks, "invitation_email_send", mail_server_down)
    with django_capture_on_commit_callbacks(execute=True):
        invite(cast, "maria")
    message = OutboxMessage.objects.get()
    assert message.state == MessageState.PENDING
    assert message.attempts == 1
    assert "Connection refused" in message.last_error
    assert message.available_at > timezone.now()
    assert messages_dispatch_due() == 0  # not due before its back-off
    OutboxMessage.objects.update(available_at=timezone.now())
    assert messages_dispatch_due() == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.FAILED, 2)


def test_it_sends_a_failed_row_when_staff_retry_it(cast, monkeypatch, django_capture_on_commit_callbacks):
    from accounts import tasks

    with monkeypatch.context() as patch:
        patch.setattr(tasks, "invitation_email_send", lambda *, user: 1 / 0)
        with django_capture_on_commit_callbacks(execute=True):
            invite(cast, "maria")
    message = OutboxMessage.objects.get()
    assert message.state == MessageState.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        message_retry(actor=cast.staff, message=message)
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (MessageState.DONE, 2, "")
    assert invitations_to("maria@example.com") == 1
    # Done: a retry would send it twice, so it is refused.
    with pytest.raises(ConflictError, match="already delivered"):
        message_retry(actor=cast.staff, message=message)


def test_it_forgets_done_rows_after_the_keeping_time_but_keeps_failures(cast, settings):
    settings.OUTBOX_KEEP_DAYS = 30
    old = timezone.now() - datetime.timedelta(days=31)
    kept = timezone.now() - datetime.timedelta(days=29)
    for state, finished in ((MessageState.DONE, old), (MessageState.DONE, kept), (MessageState.FAILED, old)):
        OutboxMessage.objects.create(task=INVITATION_EMAIL, args=[1], state=state, finished_at=finished)
    assert purge_done.delay().get() == 1
    assert sorted(OutboxMessage.objects.values_list("state", flat=True)) == ["done", "failed"]


# -- A broker that is down -------------------------------------------------------------------------


def test_it_invites_a_client_user_at_once_with_the_broker_down(
    cast, login, broker_down, django_capture_on_commit_callbacks
):
    data = {"username": "maria", "email": "maria@example.com", "role": "responder", "language": "sv"}
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.staff).post(f"/organizations/{cast.org_a.pk}/users/new/", data)
    # Not held by the broker's connection retries (which take far longer); a loose bound, as a
    # loaded CI machine answers a normal request in well over a second.
    assert time.monotonic() - started < 10
    assert response.status_code == 302
    message = OutboxMessage.objects.get(task=INVITATION_EMAIL)
    assert message.state == MessageState.PENDING
    assert message.last_error.startswith("Not handed to a worker")
    assert mail.outbox == []


def test_it_saves_an_nc_answer_at_once_with_the_broker_down_and_sends_its_mail_later(
    cast, closed_audit, login, broker_down, django_capture_on_commit_callbacks
):
    nonconformity = Nonconformity.objects.get(audit=closed_audit)
    OutboxMessage.objects.all().delete()  # the close's own, not this test's
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.client).post(f"/ncrs/{nonconformity.pk}/respond/", ANSWER)
    assert time.monotonic() - started < 2
    assert response.status_code == 302
    nonconformity.refresh_from_db()
    assert nonconformity.status == "awaiting_review"
    waiting = OutboxMessage.objects.order_by("pk")
    assert [message.task for message in waiting] == [NC_NOTICE, NC_PDF, NC_SUMMARY_PDF]
    assert {message.state for message in waiting} == {MessageState.PENDING}
    # The broker is back (here: tasks in-process again): the periodic run delivers each once.
    broker_down.conf.task_always_eager = True
    assert messages_dispatch_due() == 3
    assert messages_dispatch_due() == 0
    assert {message.state for message in OutboxMessage.objects.all()} == {MessageState.DONE}
    assert [message.to for message in mail.outbox] == [[cast.lead.email]]
    assert nonconformity.documents.count() == 1


# -- A document that fails (issue 15, item 2) ----------------------------------------------------------


def test_it_keeps_a_failed_report_for_staff_to_see_and_make_again(
    cast, closed_audit, login, broken_pdfs, monkeypatch, django_capture_on_commit_callbacks
):
    # closed_audit ran no commit callbacks: its report waits; the dispatcher runs it and it fails.
    messages_dispatch_due()
    message = report_delivery(closed_audit)
    assert message.state == MessageState.FAILED
    assert message.last_error == "LayoutError: Flowable <Table> too large on page 1"
    assert not AuditDocument.objects.filter(audit=closed_audit, kind=DocumentKind.REPORT).exists()

    page = login(cast.staff).get(f"/audits/{closed_audit.pk}/").content.decode()
    assert "The audit report could not be made" in page
    assert "LayoutError: Flowable &lt;Table&gt; too large on page 1" in page
    assert f'action="/outbox/{message.pk}/retry/"' in page
    outbox_page = login(cast.staff).get("/outbox/").content.decode()
    assert "Audit report (PDF)" in outbox_page
    assert "LayoutError" in outbox_page
    # The client reads that it failed and who acts, not the error.
    client_page = login(cast.client).get(f"/audits/{closed_audit.pk}/").content.decode()
    assert "Certification staff see this and can make it again." in client_page
    assert "LayoutError" not in client_page
    assert "/retry/" not in client_page
    download = login(cast.client).get(f"/audits/{closed_audit.pk}/report.pdf")
    assert download.status_code == 404
    assert "Making the audit report failed" in download.content.decode()

    monkeypatch.undo()  # the fault is fixed
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.staff).post(
            f"/outbox/{message.pk}/retry/", {"next": f"/audits/{closed_audit.pk}/"}
        )
    assert response.status_code == 302
    assert response["Location"] == f"/audits/{closed_audit.pk}/"
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.DONE, 2)
    assert AuditDocument.objects.filter(audit=closed_audit, kind=DocumentKind.REPORT).count() == 1
    page = login(cast.staff).get(f"/audits/{closed_audit.pk}/").content.decode()
    assert "Download the audit report (PDF)" in page
    assert "could not be made" not in page


def test_it_closes_the_audit_even_when_its_report_fails(
    cast, onsite_audit, login, broken_pdfs, django_capture_on_commit_callbacks
):
    from findings.services import finding_create

    finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade="minor",
        statement="No trend analysis.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.lead).post(
            f"/audits/{onsite_audit.pk}/close/",
            {**closing_form(onsite_audit), "recommendation": "certify", "conclusion": "Done."},
        )
    assert response.status_code == 302
    onsite_audit.refresh_from_db()
    assert onsite_audit.status == "closed"
    assert report_delivery(onsite_audit).state == MessageState.FAILED
    # The NCR's notice went; its PDF, laid out by the same broken builder, failed with the report.
    assert OutboxMessage.objects.get(task=NC_NOTICE).state == MessageState.DONE
    assert OutboxMessage.objects.get(task=NC_PDF).state == MessageState.FAILED


# -- The staff page --------------------------------------------------------------------------------


def test_it_shows_staff_what_waits_and_what_failed(cast, login):
    OutboxMessage.objects.create(task=REPORT_PDF, args=[7], subject="Stage 2, Nordkontakt AB")
    OutboxMessage.objects.create(
        task=INVITATION_EMAIL,
        args=[8],
        state=MessageState.FAILED,
        attempts=3,
        last_error="SMTPException: 554",
    )
    OutboxMessage.objects.create(task=NC_PDF, args=[9], subject="NC-2026-0099", state=MessageState.DONE)
    page = login(cast.staff).get("/outbox/").content.decode()
    assert "Audit report (PDF)" in page and "Stage 2, Nordkontakt AB" in page
    assert "Invitation e-mail" in page and "SMTPException: 554" in page
    assert page.count('/retry/"') == 2
    # Done rows only when asked for.
    assert "NC-2026-0099" not in page
    assert "NC-2026-0099" in login(cast.staff).get("/outbox/?state=done").content.decode()
    assert "SMTPException" not in login(cast.staff).get("/outbox/?state=done").content.decode()


def test_it_shows_the_outbox_to_staff_only(cast, login):
    message = OutboxMessage.objects.create(task=INVITATION_EMAIL, args=[1], state=MessageState.FAILED)
    got = [login(cast.user(name)).get("/outbox/").status_code for name in CAST_NAMES]
    assert got == [302, 200, 403, 403, 403, 403], dict(zip(CAST_NAMES, got, strict=True))
    got = [login(cast.user(name)).post(f"/outbox/{message.pk}/retry/").status_code for name in CAST_NAMES]
    assert got == [302, 302, 403, 403, 403, 403], dict(zip(CAST_NAMES, got, strict=True))
    assert login(cast.staff).get(f"/outbox/{message.pk}/retry/").status_code == 405
    assert login(cast.staff).post(f"/outbox/{message.pk + 1000}/retry/").status_code == 404


def test_it_refuses_to_retry_a_done_row_saying_why(cast, login):
    message = OutboxMessage.objects.create(task=INVITATION_EMAIL, args=[1], state=MessageState.DONE)
    response = login(cast.staff).post(f"/outbox/{message.pk}/retry/")
    assert response.status_code == 409
    assert "already delivered" in response.content.decode()
    assert OutboxMessage.objects.get().state == MessageState.DONE


def test_it_sends_a_retry_nowhere_but_this_site(cast, login):
    message = OutboxMessage.objects.create(task=INVITATION_EMAIL, args=[cast.client.pk], state="failed")
    response = login(cast.staff).post(f"/outbox/{message.pk}/retry/", {"next": "https://evil.example/"})
    assert response["Location"] == "/outbox/"


def test_it_lists_the_outbox_in_a_fixed_number_of_queries(cast, login, django_assert_num_queries):
    client = login(cast.staff)
    for number in range(3):
        OutboxMessage.objects.create(task=NC_PDF, args=[number], state=MessageState.FAILED, last_error="x")
    client.get("/outbox/")  # the session and permission caches warm
    with django_assert_num_queries(8) as few:
        client.get("/outbox/")
    for number in range(20):
        OutboxMessage.objects.create(task=REPORT_PDF, args=[number])
    with django_assert_num_queries(len(few.captured_queries)):
        client.get("/outbox/")
