"""Two-factor log-in judges a request by the credential that authenticated it, never by a header.

A session that logged in with its password still owes its code: every page sends it to the code
page whatever headers come along. Only the API is authenticated by token, and there only a valid
token is the credential (the session is then not consulted).
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authentication import SessionAuthentication as DRFSessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView

from accounts.authentication import SessionAuthentication
from findings.models import Nonconformity, NonconformityResponse, NonconformityStatus

VERIFY = "/account/two-factor/verify/"
SET_UP = "/account/two-factor/"
ANSWER = {
    "correction": "Ran the trend analysis for June to November.",
    "root_cause": "The analyst's task was not handed over when she left.",
    "corrective_action": "The monthly analysis is now a task in the quality calendar with a deputy.",
    "responsible": "Quality manager",
}


def _token(user) -> str:
    return Token.objects.create(user=user).key


@pytest.fixture
def owing_code(cast, client):
    """The client user, TOTP on, logged in with the password only: the session owes its code."""
    TOTPDevice.objects.create(user=cast.client, name="Phone", confirmed=True)
    assert client.post("/login/", {"username": "client", "password": "demo"}).status_code == 302
    return client


@pytest.fixture
def staff_owing_set_up(cast, client, settings):
    """Staff under REQUIRE_2FA_FOR_STAFF, logged in with the password and no app set up yet."""
    settings.REQUIRE_2FA_FOR_STAFF = True
    assert client.post("/login/", {"username": "staff", "password": "demo"}).status_code == 302
    return client


def _headers(user) -> list[str]:
    """An invented token, the user's own valid one, and another scheme."""
    return ["Token x", f"Token {_token(user)}", "Bearer x"]


# -- Pages --------------------------------------------------------------------------------------


def test_it_sends_a_session_owing_its_code_to_the_code_page_whatever_the_header(cast, owing_code):
    url = f"/organizations/{cast.org_a.pk}/"
    for header in _headers(cast.client):
        response = owing_code.get(url, HTTP_AUTHORIZATION=header)
        assert response.status_code == 302, header
        assert response["Location"] == f"{VERIFY}?next=%2Forganizations%2F{cast.org_a.pk}%2F"


def test_it_saves_no_answer_posted_by_a_session_owing_its_code(cast, closed_audit, owing_code):
    nonconformity = Nonconformity.objects.get()
    for header in _headers(cast.client):
        response = owing_code.post(f"/ncrs/{nonconformity.pk}/respond/", ANSWER, HTTP_AUTHORIZATION=header)
        assert response.status_code == 302, header
        assert response["Location"].startswith(VERIFY)
    assert not NonconformityResponse.objects.exists()
    nonconformity.refresh_from_db()
    assert nonconformity.status == NonconformityStatus.AWAITING_RESPONSE


@pytest.mark.parametrize("url", ["/admin/", "/security/", "/certificates/export.csv", "/api/docs/"])
def test_it_keeps_staff_pages_closed_until_two_factor_is_set_up(cast, staff_owing_set_up, url):
    for header in _headers(cast.staff):
        response = staff_owing_set_up.get(url, HTTP_AUTHORIZATION=header)
        assert response.status_code == 302, header
        assert response["Location"].startswith(f"{SET_UP}?next="), header


def test_it_opens_the_pages_once_the_code_is_entered(cast, owing_code):
    # What lets the session through is the code, never a header.
    device = TOTPDevice.objects.get(user=cast.client)
    assert owing_code.post(VERIFY, {"code": f"{totp(device.bin_key):06d}"}).status_code == 302
    assert owing_code.get(f"/organizations/{cast.org_a.pk}/").status_code == 200


# -- The API ------------------------------------------------------------------------------------


def test_it_answers_an_api_call_by_the_credential_that_authenticated_it(cast, staff_owing_set_up):
    session = staff_owing_set_up
    url = "/api/v1/organizations/"
    # No token: the session is the credential, and it owes its code.
    response = session.get(url)
    assert response.status_code == 403
    assert "Two-factor" in response.json()["detail"]
    assert session.get(url, HTTP_AUTHORIZATION="Bearer x").status_code == 403
    # An invalid token is refused as such; the session is not consulted.
    assert session.get(url, HTTP_AUTHORIZATION="Token x").status_code == 401
    # A valid token is the credential: no code is asked of it, with or without the session.
    assert session.get(url, HTTP_AUTHORIZATION=f"Token {_token(cast.staff)}").status_code == 200
    session.logout()
    assert session.get(url, HTTP_AUTHORIZATION=f"Token {Token.objects.get().key}").status_code == 200


def test_it_refuses_a_session_owing_its_code_on_api_writes(cast, closed_audit, owing_code):
    nonconformity = Nonconformity.objects.get()
    response = owing_code.post(
        f"/api/v1/nonconformities/{nonconformity.pk}/respond/",
        ANSWER,
        HTTP_AUTHORIZATION="Bearer x",
    )
    assert response.status_code == 403
    assert not NonconformityResponse.objects.exists()


def _api_views(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_views(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.lstrip("^").startswith("api/"):
            yield route, entry.callback


def test_it_leaves_only_drf_views_under_the_api_to_drf():
    # The middleware leaves /api/ to DRF's authentication, which asks for the code: a plain Django
    # view there, or a DRF view reading the session its own way, would be a page nobody guards.
    found = {}
    for route, callback in _api_views(get_resolver().url_patterns):
        if route.startswith("api/docs/"):
            continue  # a page: the middleware sends a session owing its code to the code page
        view = getattr(callback, "cls", None)
        assert view is not None and issubclass(view, APIView), route
        classes = view.authentication_classes
        session_classes = [cls for cls in classes if issubclass(cls, DRFSessionAuthentication)]
        assert session_classes in ([], [SessionAuthentication]), route
        found[route] = classes
    assert len(found) > 20
