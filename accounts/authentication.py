"""API authentication: DRF's token and session schemes, tried in that order (REST_FRAMEWORK).

The token is DRF's own TokenAuthentication (the token and its user in one query); the session is
DRF's SessionAuthentication refusing a session that still owes its one-time code.
"""

from django.utils.translation import gettext_noop
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication, exceptions

from accounts.two_factor import CODE_OWED_ON_API, owed_step

# DRF's token refusals, worded by this project's Swedish catalogue (LOCALE_PATHS comes before DRF's
# own): named here so that makemessages keeps them there.
TOKEN_REFUSALS = (gettext_noop("Invalid token."), gettext_noop("User inactive or deleted."))


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's SessionAuthentication (CSRF included), refusing a session that still owes its code.

    Here, where DRF has settled which credential authenticates the call, is where two-factor is
    asked of the API: DRF tries the token first, so a valid token is the credential and the session
    is never read, and an invalid one is refused as such (401). Only a call that sent no token
    reaches the session, and a session that logged in with its password but has not entered its
    code (or set up the app its role requires) gets 403, whatever other headers came with it.
    TwoFactorMiddleware asks the same of every page.
    """

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None and owed_step(found[0], request.session) is not None:
            raise exceptions.PermissionDenied(CODE_OWED_ON_API)
        return found


class SessionAuthenticationScheme(SessionScheme):
    """The session cookie in the OpenAPI schema, as drf-spectacular describes DRF's own class."""

    target_class = SessionAuthentication
