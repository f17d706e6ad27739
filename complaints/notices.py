"""E-mails about complaints and appeals: to the submitter in their language, and deadline
reminders to the handler. Sent by the outbox's tasks (complaints.tasks), each once."""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import STAFF
from complaints.documents import outcome_letter_of
from complaints.models import Appeal, CaseState, Complaint, DeadlineReminder, TimelineEntry

logger = logging.getLogger(__name__)

# Days before a deadline on which the handler is reminded; past it, once more on the day after.
REMINDER_DAYS_BEFORE = 2


def case_model(kind: str):
    return {"complaint": Complaint, "appeal": Appeal}[kind]


def case_url(case) -> str:
    name = "complaints:complaint-detail" if isinstance(case, Complaint) else "complaints:appeal-detail"
    return settings.SITE_URL.rstrip("/") + reverse(name, args=[case.pk])


def _render(template: str, values: dict) -> tuple[str, str]:
    subject = " ".join(render_to_string(f"complaints/email/{template}_subject.txt", values).split())
    body = render_to_string(f"complaints/email/{template}_body.txt", values)
    return subject, body


def submitter_email_send(*, case, occasion: str) -> bool:
    """The submitter's e-mail for one occasion, in their language; False when there is nothing to send."""
    if not case.submitter_email:
        return False
    values = {
        "case": case,
        "is_complaint": isinstance(case, Complaint),
        "body_name": settings.CERTIFICATION_BODY_NAME,
        "url": case_url(case) if case.submitted_by_id or isinstance(case, Appeal) else "",
    }
    attachment = None
    if occasion.startswith("progress-"):
        entry = TimelineEntry.objects.filter(pk=occasion.split("-", 1)[1], visible_to_submitter=True).first()
        if entry is None:
            return False
        values["entry"] = entry
        template = "progress"
    elif occasion in ("received", "acknowledged", "decided"):
        template = occasion
        if occasion == "decided":
            letter = outcome_letter_of(case)
            if letter is not None:
                attachment = (f"{case.number}.pdf", letter.file.read(), "application/pdf")
    else:
        return False
    with translation.override(case.submitter_language or settings.LANGUAGE_CODE):
        subject, body = _render(template, values)
    message = EmailMessage(subject=subject, body=body, to=[case.submitter_email])
    if attachment:
        message.attach(*attachment)
    message.send()
    return True


def _handlers(case) -> list:
    if case.handler_id is not None and case.handler.email and case.handler.is_active:
        return [case.handler]
    return list(
        get_user_model().objects.filter(groups__name=STAFF, is_active=True).exclude(email="").order_by("id")
    )


def reminder_send(*, case, key: str) -> bool:
    """The handler's reminder of a deadline (or all staff's, while the case has no handler)."""
    recipients = _handlers(case)
    if not recipients:
        return False
    occasion, _date = key.split(":", 1)
    for user in recipients:
        with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
            subject, body = _render(
                "reminder",
                {
                    "case": case,
                    "user": user,
                    "occasion": occasion,
                    "is_complaint": isinstance(case, Complaint),
                    "url": case_url(case),
                },
            )
        EmailMessage(subject=subject, body=body, to=[user.email]).send()
    return True


def reminder_occasions(case, *, today: datetime.date) -> list[str]:
    """The reminders due today for this case, as keys 'occasion:deadline' (one e-mail per key)."""
    keys = []
    if case.state == CaseState.RECEIVED:
        deadline, name = case.acknowledge_by, "acknowledge"
        keys.extend(_keys(name, deadline, today))
    if case.state in (CaseState.RECEIVED, CaseState.ACKNOWLEDGED, CaseState.INVESTIGATING):
        keys.extend(_keys("answer", case.answer_by, today))
    return keys


def _keys(name: str, deadline: datetime.date, today: datetime.date) -> list[str]:
    if deadline < today:
        return [f"{name}-overdue:{deadline.isoformat()}"]
    if (deadline - today).days <= REMINDER_DAYS_BEFORE:
        return [f"{name}-soon:{deadline.isoformat()}"]
    return []


def reminder_claim(case, key: str) -> bool:
    """Record that this reminder is sent; False when it was already (the run is idempotent)."""
    _row, created = DeadlineReminder.objects.get_or_create(
        case_number=case.number,
        key=key,
        defaults={"recipients": [user.email for user in _handlers(case)], "sent_at": timezone.now()},
    )
    return created
