"""Settings come from the environment and a bad value stops start-up with a clear message."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_database, env_int, env_list, env_site_url
from tests.conftest import PRODUCTION, run_manage


def test_it_passes_the_deployment_checklist_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        ({**PRODUCTION, "SECRET_KEY": ""}, "SECRET_KEY must be set when DEBUG=0"),
        ({**PRODUCTION, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must be set when DEBUG=0"),
        ({"DATABASE_URL": "mysql://root@localhost/certdesk"}, "must point at PostgreSQL or SQLite"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
        ({"SESSION_COOKIE_AGE": "eight hours"}, "SESSION_COOKIE_AGE must be a whole number"),
    ],
)
def test_it_refuses_to_start_on_a_bad_value(env, message):
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert message in result.stderr


def test_it_runs_embedded_with_no_configuration():
    probe = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, "
        "s.EMAIL_BACKEND, s.TIME_ZONE, s.DEBUG)"
    )
    clean = {
        "DATABASE_URL": "",
        "CELERY_BROKER_URL": "",
        "EMAIL_BACKEND": "",
        "EMAIL_HOST": "",
        "TIME_ZONE": "",
    }
    result = run_manage("shell", "-c", probe, env=clean)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.console.EmailBackend",
        "Europe/Stockholm",
        "True",
    ]


def test_it_never_serves_uploaded_files_as_static(settings, client):
    from django.urls import Resolver404, resolve

    assert settings.MEDIA_URL in (None, "")
    with pytest.raises(Resolver404):
        resolve("/media/secret.pdf")


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("0", False), ("Off", False)])
def test_it_reads_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", default=not expected) is expected


def test_it_reads_numbers_and_lists(monkeypatch):
    monkeypatch.setenv("N", "42")
    monkeypatch.setenv("L", "a.example, b.example,,")
    assert env_int("N", 1) == 42
    assert env_list("L", []) == ["a.example", "b.example"]
    monkeypatch.setenv("N", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("N", 1, minimum=0)


def test_it_parses_database_urls(monkeypatch):
    monkeypatch.setenv("DB", "postgres://postgres@127.0.0.1:5432/certdesk")
    config = env_database("DB", "sqlite:///x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "certdesk"
    assert config["CONN_MAX_AGE"] == 600


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SITE_URL": "", "PORT": ""}, "http://127.0.0.1:8000"),
        ({"SITE_URL": "", "PORT": "8101"}, "http://127.0.0.1:8101"),
        ({"SITE_URL": "https://certdesk.example.se/", "PORT": "8101"}, "https://certdesk.example.se"),
    ],
)
def test_it_puts_the_served_port_in_links_unless_the_site_url_is_given(env, expected):
    # As `make run PORT=8101` starts it: the e-mails' links and the QR codes lead to that port.
    result = run_manage("shell", "-c", "from django.conf import settings; print(settings.SITE_URL)", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_it_refuses_a_port_that_is_no_port(monkeypatch):
    monkeypatch.setenv("SITE_URL", "")
    monkeypatch.setenv("PORT", "70000")
    with pytest.raises(ImproperlyConfigured, match="PORT must be a port number"):
        env_site_url("SITE_URL", port_name="PORT")
    # A configured site never looks at the port.
    monkeypatch.setenv("SITE_URL", "https://certdesk.example.se")
    assert env_site_url("SITE_URL", port_name="PORT") == "https://certdesk.example.se"
