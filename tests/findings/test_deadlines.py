"""The daily nonconformity deadline run: reminders, escalation, suspension candidates."""

import datetime
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core import mail
from django.utils import timezone

from audits.models import Audit, AuditStatus, AuditType, TeamRole
from audits.services import audit_update, programme_create, team_member_add
from clients.models import ClientRole
from clients.services import client_membership_create
from config.celery_app import app
from core.actors import SYSTEM
from findings import notices
from findings.deadlines import REMINDER_DAYS, deadlines_run, suspension_candidates
from findings.models import Nonconformity, NonconformityStatus, Notice
from findings.ncr import nonconformity_respond, nonconformity_review, nonconformity_verify
from findings.services import finding_create
from findings.tasks import DeadlineNoticesFailed, run_nonconformity_deadlines
from reports.services import audit_close
from tests.factories import UserFactory, closing_report

DAY = datetime.timedelta(days=1)


def _raise(audit, lead, *grades, site=None) -> list[Nonconformity]:
    """Record one finding per grade and close the audit: its nonconformities, in number order."""
    for grade in grades:
        finding_create(
            audit=audit,
            user=lead,
            clause=audit.clause_41,
            site=site,
            grade=grade,
            statement="Complaints are not logged.",
        )
    audit_close(audit=audit, **closing_report(audit), user=lead, recommendation="certify_after_majors")
    return list(audit.nonconformities.order_by("number"))


def _answer(nonconformity, client):
    nonconformity_respond(
        nonconformity=nonconformity,
        user=client,
        correction="Logged the missing complaints.",
        root_cause="No one owned the log.",
        corrective_action="The team leader checks the log weekly.",
    )


def _accept(nonconformity, cast, *, client=None):
    _answer(nonconformity, client or cast.client)
    nonconformity_review(nonconformity=nonconformity, user=cast.lead, decision="accept")


def _raised_days_ago(nonconformity, days: int) -> None:
    # Noon, so the local date is exactly `days` back whatever the clock and summer time say.
    noon = datetime.datetime.combine(timezone.localdate() - days * DAY, datetime.time(12))
    Nonconformity.objects.filter(pk=nonconformity.pk).update(created_at=timezone.make_aware(noon))


def _recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


@pytest.fixture
def minor(cast, onsite_audit):
    (nonconformity,) = _raise(onsite_audit, cast.lead, "minor", site=onsite_audit.stockholm)
    mail.outbox.clear()
    return nonconformity


@pytest.fixture
def major(cast, onsite_audit):
    (nonconformity,) = _raise(onsite_audit, cast.lead, "major", site=onsite_audit.stockholm)
    mail.outbox.clear()
    return nonconformity


@pytest.fixture
def org_b_audit(cast, onsite_audit):
    """Kundtjänst Norr's stage 2 next week, plan confirmed, `cast.lead` leading it."""
    programme = programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    start = timezone.localdate() + 7 * DAY
    audit_update(actor=SYSTEM, audit=audit, start_date=start, end_date=start)
    team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR)
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CONFIRMED)
    audit.refresh_from_db()
    audit.clause_41 = onsite_audit.clause_41
    return audit


# -- Reminders ----------------------------------------------------------------------------------


def test_it_has_the_reminder_days_of_the_policy():
    assert REMINDER_DAYS == (7, 1)


def test_it_reminds_the_client_7_and_1_days_before_only(cast, minor):
    sent_on = {}
    for days_before in (8, 7, 6, 2, 1, 0):
        mail.outbox.clear()
        report = deadlines_run(today=minor.response_due - days_before * DAY)
        sent_on[days_before] = (report.reminders, _recipients())

    assert sent_on == {
        8: (0, []),
        7: (1, ["client@example.com"]),
        6: (0, []),
        2: (0, []),
        1: (1, ["client@example.com"]),
        0: (0, []),
    }
    keys = set(Notice.objects.filter(nonconformity=minor).values_list("key", flat=True))
    due = minor.response_due.isoformat()
    assert keys == {f"reminder-7:{due}", f"reminder-1:{due}"}


def test_it_names_the_nc_the_organisation_the_date_and_the_link(cast, minor):
    deadlines_run(today=minor.response_due - DAY)

    (message,) = mail.outbox
    assert minor.number in message.subject
    assert "Nordkontakt AB" in message.body
    assert "in 1 day." in message.body
    assert notices.nonconformity_url(minor) in message.body
    assert minor.response_due.strftime("%-d %b %Y") in message.subject


def test_it_never_reminds_twice_when_the_task_runs_twice(cast, minor):
    Nonconformity.objects.filter(pk=minor.pk).update(response_due=timezone.localdate() + 7 * DAY)

    first = run_nonconformity_deadlines.delay().get()
    assert first["reminders"] == 1
    assert len(mail.outbox) == 1

    second = run_nonconformity_deadlines.delay().get()
    assert second["reminders"] == 0
    assert len(mail.outbox) == 1


def test_it_reminds_again_for_a_moved_deadline(cast, minor):
    deadlines_run(today=minor.response_due - 7 * DAY)
    moved = minor.response_due + 14 * DAY
    Nonconformity.objects.filter(pk=minor.pk).update(response_due=moved)

    report = deadlines_run(today=moved - 7 * DAY)

    assert report.reminders == 1
    assert len(mail.outbox) == 2
    assert Notice.objects.filter(nonconformity=minor, key=f"reminder-7:{moved.isoformat()}").exists()


def test_it_does_not_send_a_missed_reminder_late(cast, minor):
    # The run 7 days before did not happen; 6 days before it must not say "7 days".
    report = deadlines_run(today=minor.response_due - 6 * DAY)

    assert report.reminders == 0
    assert mail.outbox == []


def test_it_does_not_remind_of_an_answered_nc(cast, minor):
    _answer(minor, cast.client)
    minor.refresh_from_db()
    assert minor.status == NonconformityStatus.AWAITING_REVIEW

    reminded = deadlines_run(today=minor.response_due - 7 * DAY)
    late = deadlines_run(today=minor.response_due + DAY)

    assert (reminded.reminders, late.escalations) == (0, 0)
    assert mail.outbox == []


# -- Escalation ---------------------------------------------------------------------------------


def test_it_escalates_a_late_answer_once_to_the_lead_and_staff(cast, minor):
    # The run on the first overdue day was missed: the first run to see it escalates.
    report = deadlines_run(today=minor.response_due + 3 * DAY)

    assert report.escalations == 1
    assert _recipients() == ["lead@example.com", "staff@example.com"]
    message = mail.outbox[0]
    assert minor.number in message.subject
    assert "no answer" in message.subject
    assert "3 days overdue" in message.body

    again = deadlines_run(today=minor.response_due + 4 * DAY)
    assert again.escalations == 0
    assert len(mail.outbox) == 2
    assert Notice.objects.filter(
        nonconformity=minor, key=f"escalation-response:{minor.response_due.isoformat()}"
    ).exists()


def test_it_escalates_a_major_not_closed_by_its_deadline(cast, major):
    _accept(major, cast)
    major.refresh_from_db()
    assert major.status == NonconformityStatus.ACCEPTED

    report = deadlines_run(today=major.close_due + DAY)

    assert report.escalations == 1
    assert _recipients() == ["lead@example.com", "staff@example.com"]
    assert "not closed" in mail.outbox[0].subject
    assert "1 day overdue" in mail.outbox[0].body
    assert Notice.objects.filter(
        nonconformity=major, key=f"escalation-close:{major.close_due.isoformat()}"
    ).exists()


def test_it_never_escalates_a_closed_nc(cast, major):
    _accept(major, cast)
    nonconformity_verify(nonconformity=major, user=cast.lead, comment="Log checked on site.")

    report = deadlines_run(today=major.close_due + 30 * DAY)

    assert report.escalations == 0
    assert mail.outbox == []


def test_it_sends_one_escalation_to_a_lead_who_is_also_staff(cast, minor):
    cast.lead.groups.add(*cast.staff.groups.all())

    deadlines_run(today=minor.response_due + DAY)

    assert _recipients() == ["lead@example.com", "staff@example.com"]


# -- Language -----------------------------------------------------------------------------------


def test_it_writes_to_each_recipient_in_their_language(cast, minor):
    cast.client.language = "sv"
    cast.client.save(update_fields=["language"])
    colleague = UserFactory(username="colleague", language="en")
    client_membership_create(actor=SYSTEM, user=colleague, organization=cast.org_a, role=ClientRole.ADMIN)

    deadlines_run(today=minor.response_due - 7 * DAY)

    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert "Bedömning: Mindre avvikelse" in bodies["client@example.com"]
    assert "Grade:" not in bodies["client@example.com"]
    assert "Grade: Minor NC" in bodies["colleague@example.com"]


def test_it_escalates_in_the_staff_members_language(cast, minor):
    cast.staff.language = "sv"
    cast.staff.save(update_fields=["language"])

    deadlines_run(today=minor.response_due + DAY)

    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert "Avsnitt: 4.1" in bodies["staff@example.com"]
    assert "Clause: 4.1" in bodies["lead@example.com"]


# -- A mail server that fails ---------------------------------------------------------------------


def test_it_carries_on_past_a_failed_e_mail_and_sends_it_next_time(cast, onsite_audit):
    first, second = _raise(onsite_audit, cast.lead, "minor", "minor", site=onsite_audit.stockholm)
    mail.outbox.clear()
    real_send = notices._send_one

    def refuse_the_first(user, *, nonconformity, **kwargs):
        if nonconformity.pk == first.pk:
            raise ConnectionRefusedError("mail server down")
        real_send(user, nonconformity=nonconformity, **kwargs)

    with mock.patch("findings.notices._send_one", side_effect=refuse_the_first):
        report = deadlines_run(today=first.response_due - 7 * DAY)

    assert (report.reminders, report.failed) == (1, 1)
    assert not Notice.objects.filter(nonconformity=first).exists()
    assert Notice.objects.filter(nonconformity=second).exists()

    retried = deadlines_run(today=first.response_due - 7 * DAY)
    assert (retried.reminders, retried.failed) == (1, 0)
    assert len(mail.outbox) == 2


def test_it_retries_the_task_when_an_e_mail_failed(cast, minor):
    Nonconformity.objects.filter(pk=minor.pk).update(response_due=timezone.localdate() + DAY)

    with (
        mock.patch("findings.notices._send_one", side_effect=ConnectionRefusedError("mail server down")),
        pytest.raises(Retry) as retry,
    ):
        run_nonconformity_deadlines.apply()

    assert isinstance(retry.value.exc, DeadlineNoticesFailed)
    assert retry.value.when == 300
    assert mail.outbox == []
    # What the worker runs five minutes later:
    assert run_nonconformity_deadlines.apply().get()["reminders"] == 1
    assert _recipients() == ["client@example.com"]


# -- Suspension candidates ----------------------------------------------------------------------


def test_it_lists_an_organisation_with_an_nc_unanswered_for_more_than_90_days(
    cast, onsite_audit, org_b_audit
):
    late, on_the_day = _raise(onsite_audit, cast.lead, "minor", "minor", site=onsite_audit.stockholm)
    (recent,) = _raise(org_b_audit, cast.lead, "minor")
    _raised_days_ago(late, 91)
    _raised_days_ago(on_the_day, 90)
    _raised_days_ago(recent, 10)

    candidates = suspension_candidates(today=timezone.localdate())

    assert [candidate.organization for candidate in candidates] == [cast.org_a]
    (candidate,) = candidates
    assert candidate.nonconformities == [late]
    assert "no answer for more than 90 days" in candidate.reason
    assert late.number in candidate.reason


def test_it_uses_the_schemes_limit(cast, minor):
    cast.standard.scheme.suspension_candidate_days = 60
    cast.standard.scheme.save(update_fields=["suspension_candidate_days"])
    _raised_days_ago(minor, 61)

    (candidate,) = suspension_candidates(today=timezone.localdate())

    assert candidate.nonconformities == [minor]
    assert "more than 60 days" in candidate.reason


def test_it_uses_90_days_for_a_standard_without_a_scheme(cast, onsite_audit):
    late, on_the_day = _raise(onsite_audit, cast.lead, "minor", "minor", site=onsite_audit.stockholm)
    _raised_days_ago(late, 91)
    _raised_days_ago(on_the_day, 90)
    cast.standard.scheme.delete()

    (candidate,) = suspension_candidates(today=timezone.localdate())

    assert candidate.nonconformities == [late]
    assert "more than 90 days" in candidate.reason


def test_it_does_not_list_an_answered_nc_however_old(cast, minor):
    _answer(minor, cast.client)
    _raised_days_ago(minor, 200)

    assert suspension_candidates(today=timezone.localdate()) == []


def test_it_lists_an_organisation_with_a_major_past_its_deadline(cast, major, org_b_audit):
    _accept(major, cast)
    # Kundtjänst Norr's major, answered and accepted too, has a later deadline.
    (within,) = _raise(org_b_audit, cast.lead, "major")
    _accept(within, cast, client=cast.other)
    Nonconformity.objects.filter(pk=within.pk).update(close_due=major.close_due + 30 * DAY)

    on_the_day = suspension_candidates(today=major.close_due)
    after = suspension_candidates(today=major.close_due + DAY)

    assert on_the_day == []
    assert [candidate.organization for candidate in after] == [cast.org_a]
    assert after[0].nonconformities == [major]
    assert "not closed by" in after[0].reason


def test_it_does_not_list_a_closed_major(cast, major):
    _accept(major, cast)
    nonconformity_verify(nonconformity=major, user=cast.lead, comment="Log checked on site.")

    assert suspension_candidates(today=major.close_due + 30 * DAY) == []


def test_it_reports_the_candidates_from_the_daily_run(cast, minor):
    _raised_days_ago(minor, 91)

    report = deadlines_run(today=timezone.localdate())

    assert [candidate.organization for candidate in report.candidates] == [cast.org_a]
    assert report.counts()["suspension_candidates"] == 1


def test_it_lists_candidates_in_a_fixed_number_of_queries(
    cast, onsite_audit, org_b_audit, django_assert_num_queries
):
    def listed():
        # The nonconformities with their organisations, the schemes' limits, the overdue surveillances.
        with django_assert_num_queries(3):
            return [
                (
                    candidate.organization.legal_name,
                    [nc.number for nc in candidate.nonconformities],
                    candidate.reason,
                )
                for candidate in suspension_candidates(today=timezone.localdate())
            ]

    (first,) = _raise(onsite_audit, cast.lead, "minor", site=onsite_audit.stockholm)
    _raised_days_ago(first, 91)
    assert len(listed()) == 1

    for nonconformity in _raise(org_b_audit, cast.lead, "minor", "major", "minor"):
        _raised_days_ago(nonconformity, 120)
    rows = listed()
    assert [name for name, _numbers, _reason in rows] == ["Kundtjänst Norr AB", "Nordkontakt AB"]
    assert len(rows[0][1]) == 3


# -- The schedule -------------------------------------------------------------------------------


def test_it_runs_daily_from_the_beat_schedule():
    (entry,) = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == run_nonconformity_deadlines.name
    ]
    assert entry["task"] == "findings.tasks.run_nonconformity_deadlines"
    assert entry["task"] in app.tasks
    schedule = entry["schedule"]
    assert (schedule.hour, schedule.minute) == ({6}, {0})
    assert len(schedule.day_of_week) == 7
