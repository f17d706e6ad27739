"""/healthz answers load balancers: anonymous, plain JSON, 503 when a configured service is down."""

import json
import os

import pytest
from django.db import OperationalError, connection

from tests.conftest import PRODUCTION, closed_port, run_manage

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_broker(settings):
    settings.CELERY_BROKER_URL = ""


def _answer(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_it_answers_ok_when_every_configured_check_passes(client, no_broker):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert _answer(response) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "skipped"},
    }


def test_it_fails_when_the_database_cannot_be_reached(client, no_broker, monkeypatch):
    def refuse():
        raise OperationalError("could not connect to server at db.internal:5432")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert _answer(response) == {
        "status": "fail",
        "checks": {"database": "fail", "cache": "ok", "broker": "skipped"},
    }
    # Nothing of the error reaches the anonymous caller.
    assert b"db.internal" not in response.content


def test_it_fails_when_the_cache_cannot_be_reached(client, no_broker, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/1",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert _answer(response)["checks"]["cache"] == "fail"


def test_it_fails_when_the_configured_broker_cannot_be_reached(client, settings):
    port = closed_port()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert _answer(response) == {
        "status": "fail",
        "checks": {"database": "ok", "cache": "ok", "broker": "fail"},
    }
    assert str(port).encode() not in response.content


@pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="needs a broker (make test-services)")
def test_it_checks_a_reachable_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert _answer(response)["checks"]["broker"] == "ok"


def test_it_answers_anyone_without_a_session_or_a_limit(client, no_broker, settings):
    settings.PUBLIC_RATE_LIMIT = 1
    for _ in range(3):
        response = client.get("/healthz")
        assert response.status_code == 200
        # No session, no CSRF cookie, no language cookie: a probe leaves nothing behind.
        assert not response.cookies
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_it_answers_a_session_that_owes_its_one_time_code(cast, login, no_broker, settings):
    settings.REQUIRE_2FA_FOR_STAFF = True
    client = login(cast.staff)
    assert client.get("/organizations/").status_code == 302  # sent to set up two-factor
    assert client.get("/healthz").status_code == 200


def test_it_keeps_the_security_headers_and_is_never_cached(client, no_broker):
    response = client.get("/healthz")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Permissions-Policy" in response
    assert "no-store" in response["Cache-Control"]


def test_it_is_not_sent_to_https_in_production(settings, client, no_broker):
    # The balancer probes the app server itself over plain HTTP: production's exemption, read from
    # a production start-up, applied here.
    probe = "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, *s.SECURE_REDIRECT_EXEMPT)"
    result = run_manage("shell", "-c", probe, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    redirect, *exempt = result.stdout.strip().splitlines()[-1].split()
    assert redirect == "True"
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = exempt
    assert client.get("/healthz").status_code == 200
    assert client.get("/register/").status_code == 301
