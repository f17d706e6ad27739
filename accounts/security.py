"""The security log: `record` writes one SecurityEvent; the auth signal receivers record log-ins.

Services call `record` where the event happens, inside their transaction, so a refused or rolled
back action leaves no event. A service that is not handed the request (a team change, a grant)
gets the actor and the address from the request being served, which RequestContextMiddleware
keeps; from a command or a Celery worker there is none, and the event says so by having no actor.
"""

import contextvars

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from accounts.addresses import client_ip
from accounts.models import SecurityEvent, SecurityEventKind

_current_request: contextvars.ContextVar = contextvars.ContextVar("certdesk_security_request", default=None)

USERNAME_MAX_LENGTH = 150  # SecurityEvent.username
TARGET_MAX_LENGTH = 200  # SecurityEvent.target


class RequestContextMiddleware:
    """Keeps the request being served, so `record` called deep in a service knows who and from where.

    Only a reference for the duration of the request: the user is read when an event is recorded,
    which also sees a user DRF authenticated by token (DRF sets it on the Django request).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def record(
    kind: str,
    *,
    actor=None,
    request=None,
    organization=None,
    target: str = "",
    username: str = "",
    **details,
) -> SecurityEvent:
    """Record one security event.

    actor: the user who acted; taken from the request (given, or the one being served) when left out.
    organization: an Organization or its id, for filtering the log by client.
    target: a short text naming the record, such as "audit 12".
    username: for a failed log-in, what was typed; otherwise the actor's username.
    details: anything else worth keeping, as JSON (dates and decimals allowed).
    """
    if request is None:
        request = _current_request.get()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if not username and actor is not None:
        username = actor.get_username()
    return SecurityEvent.objects.create(
        kind=kind,
        actor=actor,
        username=(username or "")[:USERNAME_MAX_LENGTH],
        ip=client_ip(request) if request is not None else None,
        target=(target or "")[:TARGET_MAX_LENGTH],
        organization_id=getattr(organization, "pk", organization),
        details=details,
    )


# -- Log-ins ------------------------------------------------------------------------------------
# Django's auth signals are the one place every log-in passes (the log-in page, the admin), so
# these receivers record them rather than each view.


def _logged_in(sender, request, user, **kwargs):
    record(SecurityEventKind.LOGIN, actor=user, request=request, organization=_client_organization(user))


def _client_organization(user) -> int | None:
    """A client's user's organisation, so a client's log-ins are found by filtering on it.

    Read through the user's reverse relation to their membership (clients.ClientMembership), one
    query as before: clients sits above accounts, which never imports it.
    """
    users = get_user_model().objects.filter(pk=user.pk)
    return users.values_list("client_membership__organization_id", flat=True).first()


def _logged_out(sender, request, user, **kwargs):
    # Logging out an anonymous session is no event.
    if user is not None:
        record(SecurityEventKind.LOGOUT, actor=user, request=request)


def _login_failed(sender, credentials, request=None, **kwargs):
    typed = credentials.get(get_user_model().USERNAME_FIELD, "")
    # The username as typed, which may belong to nobody; an actor only if a session was already signed in.
    record(
        SecurityEventKind.LOGIN_FAILED,
        actor=None,
        request=request,
        username=typed if isinstance(typed, str) else "",
    )


def connect_receivers() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="certdesk-security-login")
    user_logged_out.connect(_logged_out, dispatch_uid="certdesk-security-logout")
    user_login_failed.connect(_login_failed, dispatch_uid="certdesk-security-login-failed")
