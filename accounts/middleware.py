from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation

from accounts.two_factor import owed_step

# Where DRF answers: the API judges its calls by the credential that authenticated them.
API_PREFIX = "/api/"


class PermissionsPolicyMiddleware:
    """Sends PERMISSIONS_POLICY as the Permissions-Policy header (Django has no setting for it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        return response


class UserLanguageMiddleware:
    """A logged-in person's pages are in the language kept on their account, unless this browser has
    chosen one with the language switch (its cookie, which LocaleMiddleware has already applied)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and _may_be_signed_in(request):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and user.language in dict(settings.LANGUAGES):
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        return self.get_response(request)


def _may_be_signed_in(request) -> bool:
    """False when this request has no session: AuthenticationMiddleware finds users in sessions only.

    Most public requests come without one; they are answered without loading a user at all.
    """
    session = getattr(request, "session", None)
    return session is None or session.session_key is not None


class TwoFactorMiddleware:
    """Keeps a session that owes a one-time code on the two-factor pages.

    A session owes one when its user has a confirmed device (the code goes with the password) or
    must have one (REQUIRE_2FA_FOR_STAFF): the first are sent to enter a code, the second to set
    up an app. Every page is judged by the session alone, the admin and the API docs included: a
    page is never authenticated by anything else, so no header changes the answer (letting any
    "Authorization: Token …" header through, as once, was a way around the code).

    The API (/api/…) is left to DRF, which alone knows which credential authenticates a call: a
    valid token is the credential and the session is not consulted; an invalid one is refused
    (401); a call that sent none is the session's, and accounts.authentication refuses one that
    owes its code (403). Needs django_otp's OTPMiddleware before it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def open_prefixes(self) -> tuple[str, ...]:
        # Resolved on first use: the URLconf is not loaded while middleware is built.
        return (
            reverse("login"),
            reverse("logout"),
            reverse("two-factor"),  # the set-up page; the verify page lies under it
            reverse("set_language"),
            reverse("healthz"),  # load balancers' probe: never a session's to hold back
            "/" + settings.STATIC_URL.lstrip("/"),
            # Public, for anyone: the verification pages, the register and their API.
            reverse("public:verify", kwargs={"number": "0"}).removesuffix("0/"),
            reverse("public:register"),
            reverse("public:language"),
            reverse("public-certificate", kwargs={"number": "0"}).removesuffix("0/"),
        )

    @cached_property
    def api_docs(self) -> str:
        return reverse("api-docs")

    def __call__(self, request):
        path = request.path_info
        if not path.startswith(self.open_prefixes) and not self._is_api(path):
            step = owed_step(request.user, request.session)
            if step is not None:
                target = reverse("two-factor-verify" if step == "verify" else "two-factor")
                return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _is_api(self, path: str) -> bool:
        # Every view under /api/ but the docs page is DRF's (tests/accounts/test_two_factor_credentials.py).
        return path.startswith(API_PREFIX) and not path.startswith(self.api_docs)
