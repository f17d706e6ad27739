"""Throttling at the door: failed log-ins (django-axes) and password-reset e-mails.

Settings point here (AXES_LOCKOUT_CALLABLE, AXES_USERNAME_CALLABLE); the limits themselves are
AXES_FAILURE_LIMIT and AXES_COOLOFF_TIME, and PASSWORD_RESET_LIMIT_PER_ADDRESS,
PASSWORD_RESET_LIMIT_PER_CLIENT and PASSWORD_RESET_PERIOD.
"""

import logging
import math
import unicodedata

from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage

from accounts.addresses import client_key

logger = logging.getLogger(__name__)


def lockout_minutes(request=None) -> int:
    """Whole minutes a locked-out pair waits, rounded up so the page never promises too little."""
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_response(request, original_response=None, credentials=None):
    """The lockout page: 429 with the wait in minutes, also as Retry-After for programs."""
    minutes = lockout_minutes(request)
    response = render(
        request,
        "accounts/lockout.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response


def lockout_username(request, credentials=None) -> str | None:
    """The username attempts are counted under: trimmed and in lower case.

    Usernames differ by case for Django, but a guesser must not get a fresh set of tries by
    typing "Staff", "sTaff" and so on.
    """
    if credentials:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        username = getattr(request, "POST", {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if not isinstance(username, str):
        return username
    return username.strip().lower()


def password_reset_allowed(*, request, email: str) -> bool:
    """Count one request for a password-reset e-mail; False once its address or its client is spent.

    At most PASSWORD_RESET_LIMIT_PER_ADDRESS e-mails to one address and
    PASSWORD_RESET_LIMIT_PER_CLIENT asked for from one client address (the one rule for addresses)
    in PASSWORD_RESET_PERIOD seconds, counted in the shared cache whether or not an account has
    that address, so the count itself tells nothing. The address is counted as Django matches it
    to accounts (any case, Unicode normalised): "Anna@x.se" and "anna@x.se" share one budget.
    """
    address = unicodedata.normalize("NFKC", email).casefold()
    # Every request counts against both budgets, whichever runs out first.
    spent = [
        _spent(
            request,
            "password-reset-address",
            lambda group, request: address,
            settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
        ),
        _spent(request, "password-reset-client", _client_key, settings.PASSWORD_RESET_LIMIT_PER_CLIENT),
    ]
    if any(spent):
        logger.warning("Password-reset e-mail not sent: a limit is reached (client %s).", client_key(request))
    return not any(spent)


def _client_key(group, request) -> str:
    return client_key(request)


def _spent(request, group: str, key, limit: int) -> bool:
    try:
        usage = get_usage(
            request, group=group, key=key, rate=(limit, settings.PASSWORD_RESET_PERIOD), increment=True
        )
    except Exception:
        # As for the public pages: a cache that does not answer must not take log-in help down.
        logger.exception("Password-reset e-mails not counted: the cache did not answer.")
        return False
    return usage is not None and usage["should_limit"]
