"""E-mails about nonconformities, each in its recipient's language, each sent once per occasion.

A Notice row (unique per nonconformity and occasion key) is written in the same transaction as
the sending is decided, so a task that runs twice, or two workers racing, send one e-mail.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.roles import STAFF
from findings.models import Nonconformity, NonconformityEvent, NonconformityEventKind, Notice

logger = logging.getLogger(__name__)

# Who hears of each step: the client for the team's steps, the team for the client's answer.
CLIENT_STEPS = {
    NonconformityEventKind.ISSUED,
    NonconformityEventKind.REJECTED,
    NonconformityEventKind.ACCEPTED,
    NonconformityEventKind.CLOSED,
    NonconformityEventKind.REGRADED,
}


def client_recipients(nonconformity: Nonconformity) -> list:
    """The client's active users with an e-mail address."""
    return list(
        get_user_model()
        .objects.filter(
            client_membership__organization_id=nonconformity.audit.organization_id, is_active=True
        )
        .exclude(email="")
        .order_by("id")
    )


def team_recipients(nonconformity: Nonconformity, *, lead_only: bool = False) -> list:
    users = get_user_model().objects.filter(audit_roles__audit_id=nonconformity.audit_id, is_active=True)
    if lead_only:
        users = users.filter(audit_roles__role="lead_auditor")
    return list(users.exclude(email="").distinct().order_by("id"))


def staff_recipients() -> list:
    return list(
        get_user_model().objects.filter(groups__name=STAFF, is_active=True).exclude(email="").order_by("id")
    )


def nonconformity_url(nonconformity: Nonconformity) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("findings:nc-detail", args=[nonconformity.pk])


def send_notice(*, nonconformity: Nonconformity, key: str, recipients, template: str, context=None) -> bool:
    """E-mail each recipient in their language, once for this occasion; False if already sent."""
    recipients = [user for user in recipients if user.email]
    if not recipients:
        logger.info("No one to tell of %s for %s.", key, nonconformity)
        return False
    try:
        with transaction.atomic():
            Notice.objects.create(
                nonconformity=nonconformity, key=key, recipients=[user.email for user in recipients]
            )
            for user in recipients:
                _send_one(user, nonconformity=nonconformity, template=template, context=context or {})
    except IntegrityError:
        # Another run got here first: that one sent it.
        return False
    return True


def _send_one(user, *, nonconformity, template, context) -> None:
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        values = {
            "user": user,
            "nc": nonconformity,
            "audit": nonconformity.audit,
            "organization": nonconformity.audit.organization,
            "url": nonconformity_url(nonconformity),
            "body_name": settings.CERTIFICATION_BODY_NAME,
            **context,
        }
        subject = " ".join(render_to_string(f"findings/email/{template}_subject.txt", values).split())
        body = render_to_string(f"findings/email/{template}_body.txt", values)
    EmailMessage(subject=subject, body=body, to=[user.email]).send()


def event_notice_send(event: NonconformityEvent) -> bool:
    """The e-mail for one step of the workflow (issued, answered, rejected, accepted, closed)."""
    nonconformity = event.nonconformity
    if event.kind in CLIENT_STEPS:
        recipients = client_recipients(nonconformity)
    else:
        recipients = team_recipients(nonconformity)
    return send_notice(
        nonconformity=nonconformity,
        key=f"event-{event.pk}",
        recipients=recipients,
        template=f"nc_{event.kind}",
        context={"event": event},
    )
