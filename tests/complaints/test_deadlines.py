"""The daily reminders of complaint and appeal deadlines: to the handler, once per deadline."""

import datetime

from django.core import mail
from django.utils import timezone

from complaints.models import Complaint, DeadlineReminder
from complaints.notices import reminder_occasions
from complaints.services import case_acknowledge
from complaints.tasks import run_case_deadlines

DAY = datetime.timedelta(days=1)


def test_it_reminds_nobody_while_the_deadlines_are_far(cast, public_complaint):
    assert reminder_occasions(public_complaint, today=timezone.localdate()) == []
    assert run_case_deadlines() == 0


def test_it_reminds_the_handler_once_when_an_acknowledgement_is_overdue(
    cast, public_complaint, django_capture_on_commit_callbacks
):
    Complaint.objects.filter(pk=public_complaint.pk).update(
        acknowledge_by=timezone.localdate() - DAY, handler=cast.staff
    )
    cast.staff.email = "staff@certdesk.se"
    cast.staff.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_case_deadlines() == 1
    (message,) = mail.outbox
    assert message.to == ["staff@certdesk.se"]
    assert public_complaint.number in message.subject
    with django_capture_on_commit_callbacks(execute=True):
        assert run_case_deadlines() == 0
    assert len(mail.outbox) == 1
    assert DeadlineReminder.objects.get().key.startswith("acknowledge-overdue:")


def test_it_reminds_two_days_before_the_answer_is_due_and_again_once_it_is_late(cast, public_complaint):
    case_acknowledge(user=cast.staff, case=public_complaint)
    public_complaint.refresh_from_db()
    due = public_complaint.answer_by
    assert reminder_occasions(public_complaint, today=due - 3 * DAY) == []
    assert reminder_occasions(public_complaint, today=due - 2 * DAY) == [f"answer-soon:{due.isoformat()}"]
    assert reminder_occasions(public_complaint, today=due + DAY) == [f"answer-overdue:{due.isoformat()}"]


def test_a_moved_deadline_gets_reminders_of_its_own(cast, public_complaint):
    Complaint.objects.filter(pk=public_complaint.pk).update(acknowledge_by=timezone.localdate() - DAY)
    assert run_case_deadlines() == 1
    Complaint.objects.filter(pk=public_complaint.pk).update(acknowledge_by=timezone.localdate() - 2 * DAY)
    assert run_case_deadlines() == 1


def test_it_sends_nothing_for_a_closed_or_decided_case(cast, investigating):
    Complaint.objects.filter(pk=investigating.pk).update(
        state="decided", answer_by=timezone.localdate() - DAY, acknowledge_by=timezone.localdate() - DAY
    )
    assert run_case_deadlines() == 0
