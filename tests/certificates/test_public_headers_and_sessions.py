"""Public pages carry the site's CSP as django-csp builds it from the settings, and a request
without a session loads no user."""

from importlib import import_module

from csp.utils import build_policy
from django.conf import settings
from django.test import RequestFactory

from accounts.middleware import _may_be_signed_in


def _url(certificate) -> str:
    return f"/verify/{certificate.number}/"


# -- Headers and sessions -----------------------------------------------------------------------


def _directives(value: str) -> dict[str, set[str]]:
    parts = [part.split() for part in value.split(";") if part.strip()]
    return {name: set(sources) for name, *sources in parts}


def test_the_site_policy_is_the_one_django_csp_builds(certificate, client, settings):
    response = client.get(_url(certificate))
    assert _directives(response["Content-Security-Policy"]) == _directives(build_policy())
    assert "Content-Security-Policy-Report-Only" not in response
    # A changed setting is followed.
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get(_url(certificate))["Content-Security-Policy"] == "default-src 'none'"
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"]}}
    assert client.get(_url(certificate))["Content-Security-Policy-Report-Only"] == "default-src 'self'"
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'none'"]},
        "EXCLUDE_URL_PREFIXES": ["/verify/"],
    }
    assert "Content-Security-Policy" not in client.get(_url(certificate))
    assert client.get("/register/")["Content-Security-Policy"] == "default-src 'none'"


def test_a_request_without_a_session_loads_no_user():
    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    request = RequestFactory().get("/verify/CERT-1/")
    assert _may_be_signed_in(request)  # no session middleware ran: ask for the user
    request.session = session_store()
    assert not _may_be_signed_in(request)
    assert not request.session.accessed
    request.session = session_store("x" * 32)
    assert _may_be_signed_in(request)
