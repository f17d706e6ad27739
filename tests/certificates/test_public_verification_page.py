"""Public verification: one query for a page seen before, yet every change shows at once.

The verification page is rendered once per version of the certificate and kept in the "pages"
cache (Django's cache framework); the certificate's row is read on every request and is the key.
These tests pin the queries and prove that nothing kept outlives a change, and that the page holds
nothing of its visitor (no token, no cookie: the language switch is a GET form).
"""

import datetime
import re
import time

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends import locmem
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from certificates import public_views
from certificates.models import Certificate, CertificateSite, CertificateStatus
from certificates.public_views import public_certificate, public_record
from certificates.services import (
    certificate_change_scope,
    certificate_restore,
    certificate_suspend,
)

NEXT = re.compile(r'<input name="next" type="hidden" value="([^"]*)">')


@pytest.fixture(autouse=True)
def _no_pages_kept():
    caches[public_views.PAGES_CACHE].clear()
    yield
    caches[public_views.PAGES_CACHE].clear()


def _url(certificate) -> str:
    return f"/verify/{certificate.number}/"


def _body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _status(body: str) -> str:
    return re.search(r'<strong class="public-status-value">([^<]+)</strong>', body).group(1)


# -- Queries ------------------------------------------------------------------------------------


def test_a_page_seen_before_costs_one_query(certificate, client, django_assert_num_queries):
    # First: the certificate's row, then its standards and places to render the page.
    with django_assert_num_queries(3):
        first = _body(client.get(_url(certificate)))
    # Then the row alone: it is the key of the page kept.
    with django_assert_num_queries(1):
        again = _body(Client().get(_url(certificate)))
    assert _status(again) == "Active"
    assert again == first


def test_an_unknown_number_costs_one_query(certificate, client, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get("/verify/CERT-1999-9999/").status_code == 404


def test_the_public_api_reads_the_same_in_three_queries(cast, certificate, api, django_assert_num_queries):
    with django_assert_num_queries(3):
        response = api(None).get(f"/api/v1/public/certificates/{certificate.number}/")
    assert response.status_code == 200
    assert response.json()["status"] == "active"


# -- Every change shows at once -----------------------------------------------------------------


def test_a_suspension_shows_at_once_though_the_page_was_kept(cast, certificate, client):
    assert _status(_body(client.get(_url(certificate)))) == "Active"
    assert _status(_body(client.get(_url(certificate)))) == "Active"

    certificate_suspend(certificate=certificate, user=cast.staff, reason="No answer to NC 0007")
    certificate.refresh_from_db()
    body = _body(client.get(_url(certificate)))
    assert _status(body) == "Suspended"
    assert "Suspended until" in body
    assert "NC 0007" not in body

    certificate_restore(certificate=certificate, user=cast.staff, reason="Answered")
    body = _body(client.get(_url(certificate)))
    assert _status(body) == "Active"
    assert "Suspended until" not in body


def test_a_change_made_without_saving_the_model_shows_at_once(certificate, client):
    # The key is the whole row as read now, not updated_at alone: a bulk update shows too.
    assert _status(_body(client.get(_url(certificate)))) == "Active"
    Certificate.objects.filter(pk=certificate.pk).update(
        status=CertificateStatus.WITHDRAWN, entity_name="Nordkontakt Holding AB"
    )
    body = _body(client.get(_url(certificate)))
    assert _status(body) == "Withdrawn"
    assert "Nordkontakt Holding AB" in body


def test_a_certificate_made_confidential_disappears_at_once(certificate, client):
    assert client.get(_url(certificate)).status_code == 200
    Certificate.objects.filter(pk=certificate.pk).update(confidential=True)
    response = client.get(_url(certificate))
    assert response.status_code == 404
    assert "Nordkontakt AB" not in response.content.decode()


def test_a_new_scope_and_sites_show_at_once(cast, certificate, client):
    assert "Malmö, Sweden" in _body(client.get(_url(certificate)))
    stockholm = cast.org_a.sites.get(name="Stockholm")
    certificate_change_scope(
        certificate=certificate,
        user=cast.staff,
        reason="Reduced to Stockholm",
        scope="Inbound customer service by telephone.",
        site_scopes=[(stockholm, "")],
    )
    body = _body(client.get(_url(certificate)))
    assert "Inbound customer service by telephone." in body
    assert "Malmö, Sweden" not in body
    assert "Stockholm, Sweden" in body


def test_a_correction_in_the_standards_library_shows_at_once(cast, certificate, client):
    assert "Customer contact centres" in _body(client.get(_url(certificate)))
    cast.standard.title = "Customer contact centres – requirements"
    cast.standard.save()
    assert "Customer contact centres – requirements" in _body(client.get(_url(certificate)))


def test_a_certificate_expires_at_midnight_though_the_page_was_kept(certificate, client, monkeypatch):
    today = timezone.localdate()
    issued = today - datetime.timedelta(days=1000)
    Certificate.objects.filter(pk=certificate.pk).update(
        original_issue_date=issued, issue_date=issued, expiry_date=today
    )
    assert _status(_body(client.get(_url(certificate)))) == "Active"
    tomorrow = today + datetime.timedelta(days=1)
    localdate = timezone.localdate
    monkeypatch.setattr(
        timezone,
        "localdate",
        lambda value=None, zone=None: tomorrow if value is None else localdate(value, zone),
    )
    assert _status(_body(client.get(_url(certificate)))) == "Expired"


def test_each_language_has_its_own_page(certificate, client):
    english = _body(client.get(_url(certificate), HTTP_ACCEPT_LANGUAGE="en"))
    swedish = _body(client.get(_url(certificate), HTTP_ACCEPT_LANGUAGE="sv"))
    assert '<html lang="en">' in english
    assert ">Active</strong>" in english
    assert '<html lang="sv">' in swedish
    assert "Certifikat" in swedish
    assert ">Active</strong>" not in swedish
    assert '<html lang="en">' in _body(client.get(_url(certificate), HTTP_ACCEPT_LANGUAGE="en"))


def test_a_signed_in_person_reads_it_in_their_own_language(cast, certificate, login):
    cast.client.language = "sv"
    cast.client.save()
    assert '<html lang="en">' in _body(Client().get(_url(certificate)))
    assert '<html lang="sv">' in _body(login(cast.client).get(_url(certificate)))


# -- Nothing of the visitor --------------------------------------------------------------------


def test_the_public_pages_set_no_cookie_and_hold_no_token(certificate):
    visitor = Client(enforce_csrf_checks=True)
    for url in (_url(certificate), _url(certificate), reverse("public:register") + "?q=Nord"):
        response = visitor.get(url)
        assert response.status_code == 200
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert not response.cookies, url
    assert visitor.get("/verify/CERT-1999-9999/").cookies == {}


def test_the_language_switch_is_a_get_form_that_returns_to_the_certificate(certificate):
    visitor = Client(enforce_csrf_checks=True)
    body = _body(visitor.get(_url(certificate).lower() + "?from=qr"))
    assert f'<form action="{reverse("public:language")}" method="get" class="language-form">' in body
    # Back to the certificate as issued, whatever case or query was typed.
    assert NEXT.search(body).group(1) == _url(certificate)
    answer = visitor.get(reverse("public:language"), {"language": "sv", "next": _url(certificate)})
    assert (answer.status_code, answer["Location"]) == (302, _url(certificate))
    cookie = answer.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert (cookie.value, cookie["samesite"]) == ("sv", settings.LANGUAGE_COOKIE_SAMESITE or "")
    assert '<html lang="sv">' in _body(visitor.get(_url(certificate)))


def test_the_language_switch_changes_only_the_cookie_and_stays_on_this_site(cast, certificate, login):
    switch = reverse("public:language")
    unknown = Client().get(switch, {"language": "xx", "next": _url(certificate)})
    assert (unknown.status_code, unknown["Location"]) == (302, _url(certificate))
    assert settings.LANGUAGE_COOKIE_NAME not in unknown.cookies
    elsewhere = Client().get(switch, {"language": "sv", "next": "https://evil.example/"})
    assert elsewhere["Location"] == reverse("public:register")
    assert Client().get(switch, {"language": "sv"})["Location"] == reverse("public:register")
    assert Client().post(switch, {"language": "sv"}).status_code == 405
    # A signed-in person's account keeps its language: only set_language, behind CSRF, changes it.
    login(cast.client).get(switch, {"language": "sv", "next": _url(certificate)})
    cast.client.refresh_from_db()
    assert cast.client.language == "en"


def test_the_page_kept_is_the_page_the_template_renders(certificate):
    record = public_record(public_certificate(certificate.number), today=timezone.localdate())
    context = {
        "number": certificate.number,
        "record": record,
        "certification_body": settings.CERTIFICATION_BODY_NAME,
        "next_path": _url(certificate),
    }
    expected = render_to_string("certificates/public/verify.html", context)
    for _ in range(2):  # rendered, then kept
        page = public_views.verify(RequestFactory().get(_url(certificate)), certificate.number)
        assert page.content.decode() == expected


def test_the_rate_limit_counts_pages_seen_before(certificate, client, settings):
    settings.PUBLIC_RATE_LIMIT = 2
    settings.PUBLIC_RATE_PERIOD = 24 * 60 * 60
    settings.NUM_PROXIES = 0
    assert client.get(_url(certificate)).status_code == 200
    assert client.get(_url(certificate)).status_code == 200
    assert client.get(_url(certificate)).status_code == 429


# -- The lookup and the pages kept --------------------------------------------------------------


def test_the_lookup_finds_the_number_in_any_case_and_loads_only_the_public_columns(certificate):
    found = public_certificate(f"  {certificate.number.lower()} ")
    orm = Certificate.objects.prefetch_related("standards", "sites").get(pk=certificate.pk)
    today = timezone.localdate()
    assert public_record(found, today=today) == public_record(orm, today=today)
    assert found.updated_at == orm.updated_at
    assert timezone.is_aware(found.updated_at)
    assert isinstance(found.expiry_date, datetime.date)
    # What the public may not see is not even loaded.
    assert {"status_reason", "organization_id", "identity"} <= found.get_deferred_fields()
    assert public_certificate("") is None
    assert public_certificate("CERT-1999-9999") is None
    Certificate.objects.filter(pk=certificate.pk).update(confidential=True)
    assert public_certificate(certificate.number) is None


def test_a_change_outside_the_row_shows_within_the_bound(certificate, client, monkeypatch):
    # Nothing in Certdesk changes a certificate's sites without saving it; were it done by hand, the
    # page would follow once the page kept is the pages cache's TIMEOUT old (or the process restarts).
    assert "Malmö, Sweden" in _body(client.get(_url(certificate)))
    CertificateSite.objects.filter(certificate=certificate, city="Malmö").delete()
    later = time.time() + settings.CACHES[public_views.PAGES_CACHE]["TIMEOUT"] + 1
    monkeypatch.setattr(locmem.time, "time", lambda: later)
    assert "Malmö, Sweden" not in _body(client.get(_url(certificate)))
