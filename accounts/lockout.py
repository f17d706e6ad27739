"""Log-in throttling (django-axes): how a locked-out log-in is answered and counted.

Settings point here (AXES_LOCKOUT_CALLABLE, AXES_USERNAME_CALLABLE); the limits themselves are
AXES_FAILURE_LIMIT and AXES_COOLOFF_TIME.
"""

import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render


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
