"""Log-ins and sessions: lockout after guessing, two-factor log-in, CSRF, headers, expiry, passwords."""

import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from clients.models import Organization
from tests.conftest import PRODUCTION, ROOT, run_manage

LOCKED = "Too many failed log-ins; try again in 15 minutes."


def _log_in(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def _fail(client, times, username="client", **extra):
    return [_log_in(client, username, "wrong-guess", **extra).status_code for _ in range(times)]


def _code(device, offset=0) -> str:
    return f"{(totp(device.bin_key) + offset) % 1_000_000:06d}"


def _device(user, *, confirmed=True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=confirmed)


# -- Lockout after repeated failed log-ins (django-axes) ---------------------------------------


def test_it_locks_a_username_and_address_out_after_five_failures(cast, client):
    assert _fail(client, 4) == [200, 200, 200, 200]
    response = _log_in(client, "client", "wrong-guess")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert response["Retry-After"] == "900"
    # The right password does not get through while the lock lasts.
    response = _log_in(client, "client", "demo")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_warns_of_the_lockout_beside_a_refused_log_in(cast, client):
    body = _log_in(client, "client", "wrong-guess").content.decode()
    assert "After 5 failed log-ins in a row, logging in with this username is paused for 15 minutes." in body


def test_it_locks_only_that_username_from_that_address(cast, client):
    _fail(client, 5)
    assert _log_in(client, "client", "demo", REMOTE_ADDR="192.0.2.10").status_code == 302
    assert _log_in(Client(), "other", "demo").status_code == 302


def test_it_counts_a_username_typed_in_other_cases_as_one(cast, client):
    statuses = [_log_in(client, name, "wrong-guess").status_code for name in ("Client", "CLIENT", " client")]
    assert statuses == [200, 200, 200]
    assert _fail(client, 2) == [200, 429]


def test_it_clears_the_count_after_a_successful_log_in(cast, client):
    _fail(client, 4)
    assert _log_in(client, "client", "demo").status_code == 302
    assert not AccessAttempt.objects.exists()
    client.post("/logout/")
    assert _fail(client, 5) == [200, 200, 200, 200, 429]


def test_it_unlocks_after_the_cool_off(cast, client):
    _fail(client, 5)
    assert _log_in(client, "client", "demo").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert _log_in(client, "client", "demo").status_code == 302


def test_it_reads_the_limit_at_run_time(cast, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=1)
    response = _fail(client, 2)
    assert response == [200, 429]
    body = _log_in(client, "client", "demo").content.decode()
    assert "Too many failed log-ins; try again in 1 minute." in body


def test_it_locks_the_admin_log_in_too(cast, client):
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "staff", "password": "wrong-guess"})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_it_keeps_the_test_clients_own_log_in_working(cast):
    # Django's Client.login() authenticates without a request; the lockout check lets it through.
    client = Client()
    assert client.login(username="client", password="demo")
    assert not client.login(username="client", password="wrong-guess")
    assert client.get("/").status_code == 200


def test_it_reads_the_lockout_and_password_settings_from_the_environment():
    probe = (
        "from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), "
        "s.AUTH_PASSWORD_VALIDATORS[1]['OPTIONS']['min_length'], s.REQUIRE_2FA_FOR_STAFF)"
    )
    env = {"AXES_FAILURE_LIMIT": "3", "AXES_COOLOFF_MINUTES": "30", "PASSWORD_MIN_LENGTH": "14"}
    result = run_manage("shell", "-c", probe, env={**env, "REQUIRE_2FA_FOR_STAFF": "yes"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["3", "1800", "14", "True"]
    result = run_manage("check", env={"AXES_FAILURE_LIMIT": "five"})
    assert result.returncode != 0
    assert "AXES_FAILURE_LIMIT must be a whole number" in result.stderr


# -- Two-factor log-in (django-otp, TOTP) --------------------------------------------------------


def test_it_offers_a_qr_code_and_the_secret_to_set_up(cast, login):
    response = login(cast.client).get("/account/two-factor/")
    body = response.content.decode()
    device = TOTPDevice.objects.get(user=cast.client)
    assert response.status_code == 200
    assert not device.confirmed
    assert '<svg role="img"' in body
    assert "<script" not in body
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', body).group(1)
    assert len(secret.replace(" ", "")) == 32
    # Reloading keeps the secret the app already scanned.
    assert secret in login(cast.client).get("/account/two-factor/").content.decode()
    assert TOTPDevice.objects.filter(user=cast.client).count() == 1


def test_it_turns_two_factor_on_with_a_valid_code(cast, login):
    client = login(cast.client)
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=cast.client)
    response = client.post("/account/two-factor/", {"code": _code(device), "next": "/ncrs/"})
    assert response.status_code == 302
    assert response["Location"] == "/ncrs/"
    device.refresh_from_db()
    assert device.confirmed
    # This session entered the code, so it counts as verified and goes on working.
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/").status_code == 200
    assert "Two-factor authentication is on" in client.get("/account/two-factor/").content.decode()


@pytest.mark.parametrize("code", ["wrong", "12345", "1234567", ""])
def test_it_refuses_a_malformed_code(cast, login, code):
    client = login(cast.client)
    client.get("/account/two-factor/")
    response = client.post("/account/two-factor/", {"code": code})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not TOTPDevice.objects.get(user=cast.client).confirmed


def test_it_refuses_a_wrong_code_and_then_makes_the_guesser_wait(cast, login):
    client = login(cast.client)
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=cast.client)
    response = client.post("/account/two-factor/", {"code": _code(device, offset=500_000)})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1
    # Each wrong code doubles the wait; inside it even the right code is turned away.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=4)
    response = client.post("/account/two-factor/", {"code": _code(device)})
    assert response.status_code == 429
    assert "Too many wrong codes" in response.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed


def test_it_asks_for_the_code_after_the_password_once_two_factor_is_on(cast, client):
    device = _device(cast.client)
    assert _log_in(client, "client", "demo").status_code == 302
    response = client.get("/organizations/")
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/verify/?next=%2Forganizations%2F"
    response = client.post(
        "/account/two-factor/verify/", {"code": _code(device, 1), "next": "/organizations/"}
    )
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post("/account/two-factor/verify/", {"code": _code(device), "next": "/organizations/"})
    assert response.status_code == 302
    assert response["Location"] == "/organizations/"
    assert client.get("/organizations/").status_code == 200


def test_it_never_reuses_a_code(cast, client):
    device = _device(cast.client)
    code = _code(device)
    _log_in(client, "client", "demo")
    assert client.post("/account/two-factor/verify/", {"code": code}).status_code == 302
    other = Client()
    _log_in(other, "client", "demo")
    assert other.post("/account/two-factor/verify/", {"code": code}).status_code == 200
    assert other.get("/").status_code == 302


def test_it_does_not_follow_a_next_to_another_site(cast, login):
    device = _device(cast.client)
    client = login(cast.client)
    response = client.post(
        "/account/two-factor/verify/", {"code": _code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_it_does_not_let_the_password_alone_change_the_second_factor(cast, login):
    device = _device(cast.client)
    client = login(cast.client)
    assert client.get("/account/two-factor/")["Location"].startswith("/account/two-factor/verify/")
    response = client.post("/account/two-factor/disable/", {"disable-code": _code(device)})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_it_turns_two_factor_off_with_a_current_code(cast, login):
    device = _device(cast.client)
    client = login(cast.client)
    client.post("/account/two-factor/verify/", {"code": _code(device)})
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # the same code again, for the test
    response = client.post("/account/two-factor/disable/", {"disable-code": "000000"})
    assert response.status_code == 200
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post("/account/two-factor/disable/", {"disable-code": _code(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.client).exists()
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("name", ["staff", "lead", "auditor"])
def test_it_sends_staff_and_auditors_to_set_up_two_factor_when_required(cast, login, settings, name):
    settings.REQUIRE_2FA_FOR_STAFF = True
    client = login(cast.user(name))
    response = client.get("/organizations/")
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/?next=%2Forganizations%2F"
    assert client.get("/admin/").status_code == 302
    page = client.get("/account/two-factor/")
    assert page.status_code == 200
    assert "Your role requires two-factor authentication" in page.content.decode()
    # Logging out, the public register and changing language stay open.
    assert client.get("/register/").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "sv", "next": "/"}).status_code == 302
    assert client.post("/logout/").status_code == 302


@pytest.mark.parametrize("name", ["client", "other"])
def test_it_leaves_client_users_alone_when_two_factor_is_required_of_staff(cast, login, settings, name):
    settings.REQUIRE_2FA_FOR_STAFF = True
    assert login(cast.user(name)).get("/organizations/").status_code == 200


def test_it_lets_a_verified_session_through_when_required(cast, login, settings):
    settings.REQUIRE_2FA_FOR_STAFF = True
    client = login(cast.staff)
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=cast.staff)
    assert client.post("/account/two-factor/", {"code": _code(device)}).status_code == 302
    assert client.get("/organizations/").status_code == 200
    assert client.get("/admin/").status_code == 200
    # A required second factor cannot be turned off, even with a valid code.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    response = client.post("/account/two-factor/disable/", {"disable-code": _code(device)})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()


def test_it_sends_a_required_user_with_a_device_to_enter_a_code(cast, login, settings):
    settings.REQUIRE_2FA_FOR_STAFF = True
    _device(cast.lead)
    response = login(cast.lead).get("/audits/")
    assert response["Location"] == "/account/two-factor/verify/?next=%2Faudits%2F"


def test_it_refuses_session_api_calls_until_verified_but_not_token_calls(cast, settings):
    settings.REQUIRE_2FA_FOR_STAFF = True
    session = APIClient()
    session.force_login(cast.staff)
    response = session.get("/api/v1/organizations/")
    assert response.status_code == 403
    assert "Two-factor" in response.json()["detail"]
    tokened = APIClient()
    tokened.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=cast.staff).key}")
    assert tokened.get("/api/v1/organizations/").status_code == 200
    # Another scheme in the header would fall back to the session: still refused.
    session.credentials(HTTP_AUTHORIZATION="Basic c3RhZmY6ZGVtbw==")
    assert session.get("/api/v1/organizations/").status_code == 403
    # The public API is open to anyone.
    assert session.get("/api/v1/public/certificates/CERT-0/").status_code == 404


# -- Headers -----------------------------------------------------------------------------------


def _policy(response) -> dict[str, set[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: set(sources) for name, *sources in directives}


STRICT_POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}


@pytest.mark.parametrize(
    ("name", "url"), [("staff", "/"), ("anonymous", "/login/"), ("anonymous", "/register/")]
)
def test_it_sends_the_security_headers(cast, login, name, url):
    response = login(cast.user(name)).get(url)
    assert response.status_code == 200
    assert _policy(response) == STRICT_POLICY
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == "camera=(self), geolocation=(), microphone=()"


def test_it_serves_the_api_docs_with_inline_styles_only(cast, login):
    client = login(cast.auditor)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["style-src"] == {"'self'", "'unsafe-inline'"}
    assert policy["script-src"] == {"'self'"}
    body = response.content.decode()
    assert "<script>" not in body
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "event handler attribute"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
]


def test_it_has_no_inline_script_or_style_in_any_template():
    # The policy blocks these in the browser; a test is the only place they would show.
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {what}" for pattern, what in INLINE if pattern.search(text)]
    assert not found


# -- CSRF --------------------------------------------------------------------------------------


GOOD_ORGANIZATION = {
    "legal_name": "Samtal Syd AB",
    "org_number": "5561234500",
    "address": "Södergatan 1",
    "postal_code": "211 34",
    "city": "Malmö",
    "country": "SE",
    "contact_name": "Per Syd",
    "contact_email": "per@samtalsyd.example",
}


def test_it_refuses_a_form_post_without_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.staff)
    assert client.post("/organizations/new/", GOOD_ORGANIZATION).status_code == 403
    assert not Organization.objects.filter(legal_name="Samtal Syd AB").exists()
    client.get("/organizations/new/")
    token = client.cookies["csrftoken"].value
    response = client.post("/organizations/new/", {**GOOD_ORGANIZATION, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Organization.objects.filter(legal_name="Samtal Syd AB").exists()


def test_it_refuses_a_log_in_without_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    assert _log_in(client, "client", "demo").status_code == 403
    assert "_auth_user_id" not in client.session


def test_it_requires_csrf_on_session_authenticated_api_writes(cast):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.staff)
    response = client.post("/api/v1/organizations/", GOOD_ORGANIZATION, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Organization.objects.filter(legal_name="Samtal Syd AB").exists()
    client.get("/")
    token = client.cookies["csrftoken"].value
    response = client.post("/api/v1/organizations/", GOOD_ORGANIZATION, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
    assert Organization.objects.filter(legal_name="Samtal Syd AB").exists()


def test_it_needs_no_csrf_token_with_an_api_token(cast):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=cast.staff).key}")
    response = client.post("/api/v1/organizations/", GOOD_ORGANIZATION, format="json")
    assert response.status_code == 201


# -- Sessions ----------------------------------------------------------------------------------


def test_it_sets_a_session_cookie_that_scripts_cannot_read(cast, client, settings):
    response = _log_in(client, "client", "demo")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE == 8 * 60 * 60


def test_it_refuses_a_session_older_than_its_age(cast, client):
    _log_in(client, "client", "demo")
    assert client.get("/").status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_it_sends_cookies_only_over_https_in_production():
    probe = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE)"
    )
    result = run_manage("shell", "-c", probe, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["True", "True", "True", "Lax"]


# -- Passwords ---------------------------------------------------------------------------------


def _set_password_page(client, user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    response = client.get(f"/password/set/{uid}/{default_token_generator.make_token(user)}/")
    assert response.status_code == 302
    return response["Location"]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Kort-ord-1", "too short. It must contain at least 12 characters"),
        ("password1234", "too common"),
        ("482910573920", "entirely numeric"),
        ("client@example.com", "too similar to the email address"),
    ],
)
def test_it_refuses_a_weak_password(cast, client, password, reason):
    url = _set_password_page(client, cast.client)
    response = client.post(url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 200
    assert reason in response.content.decode().replace("&#x27;", "'")
    cast.client.refresh_from_db()
    assert cast.client.check_password("demo")


def test_it_accepts_a_long_uncommon_password(cast, client):
    url = _set_password_page(client, cast.client)
    password = "korrekt häst batteri häftklammer"
    response = client.post(url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302
    cast.client.refresh_from_db()
    assert cast.client.check_password(password)
