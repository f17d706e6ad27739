"""Public verification: the page, the register, the JSON and the rate limit, for anyone, no login."""

import datetime

import pytest
from django.utils import formats, timezone, translation
from rest_framework.authtoken.models import Token

from certificates import public_views
from certificates.models import Certificate, CertificateStatus
from certificates.public_views import effective_status
from certificates.services import certificate_suspend, certificate_withdraw, decision_record
from core.pdf import format_date
from tests.conftest import page_text
from tests.factories import copy_certificate, ready_to_certify

# Far enough ahead never to lapse: the public pages write them as people do.
EXPIRY = datetime.date(2099, 11, 27)
SUSPENDED_UNTIL = datetime.date(2099, 1, 27)

NOT_FOUND_TEXT = "Certificate not found"


def _day(value):
    # As people write dates (shared/UI.md): 27 Nov 2026 / 27 nov 2026.
    return formats.date_format(value, "j M Y")


# -- The verification page ----------------------------------------------------------------------


def test_it_shows_an_active_certificate_to_anyone(cast, certificate, client, settings):
    response = client.get(f"/verify/{certificate.number}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nordkontakt AB" in body
    assert cast.standard.code in body
    assert f"edition {cast.standard.edition}" in body
    assert "Inbound customer service by telephone, e-mail and chat." in body
    for city in ("Stockholm", "Göteborg", "Malmö"):
        assert f"{city}, Sweden" in body
    assert 'class="public-status public-status-active"' in body
    assert ">Active</strong>" in body
    assert _day(certificate.original_issue_date) in body
    assert _day(certificate.expiry_date) in body
    assert settings.CERTIFICATION_BODY_NAME in body
    assert "<script" not in body
    assert "Log out" not in body


def test_it_shows_nothing_internal(cast, certificate, client):
    internal = copy_certificate(
        certificate, "CERT-2099-0042", pk=987654, status_reason="Kept in the office: invoice 5531 unpaid"
    )
    body = client.get(f"/verify/{internal.number}/").content.decode()
    assert "Nordkontakt AB" in body
    assert cast.org_a.org_number not in body
    assert "invoice 5531" not in body
    assert "987654" not in body
    assert str(internal.identity) not in body
    assert f"/certificates/{internal.pk}/" not in body
    # The grant's rationale is the issue event's reason.
    assert certificate.events.get().reason == "Requirements met."
    assert "Requirements met" not in body
    # The registered address is on the certificate, not on the public record.
    assert cast.org_a.address not in body


def test_it_shows_a_suspension_at_once(cast, certificate, client):
    url = f"/verify/{certificate.number}/"
    assert ">Active</strong>" in client.get(url).content.decode()
    certificate_suspend(
        certificate=certificate, user=cast.staff, reason="No answer to NC 0007 within 90 days"
    )
    certificate.refresh_from_db()
    response = client.get(url)
    body = response.content.decode()
    assert ">Suspended</strong>" in body
    assert 'class="public-status public-status-suspended"' in body
    assert f"Suspended until {_day(certificate.suspended_until)}" in body
    assert "NC 0007" not in body
    assert ">Active</strong>" not in body
    # Never kept by a browser or a proxy: the next look must read the database again.
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_it_shows_a_withdrawal(cast, certificate, client):
    certificate_withdraw(certificate=certificate, user=cast.staff, reason="Client asked to end the contract")
    body = client.get(f"/verify/{certificate.number}/").content.decode()
    assert ">Withdrawn</strong>" in body
    assert "Suspended until" not in body
    assert "end the contract" not in body


def test_it_shows_a_lapsed_certificate_as_expired_before_the_nightly_run(certificate, client):
    today = timezone.localdate()
    Certificate.objects.filter(pk=certificate.pk).update(
        original_issue_date=today - datetime.timedelta(days=1200),
        issue_date=today - datetime.timedelta(days=1200),
        expiry_date=today - datetime.timedelta(days=1),
    )
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ACTIVE
    assert effective_status(certificate, today=today) == CertificateStatus.EXPIRED
    assert effective_status(certificate, today=today - datetime.timedelta(days=1)) == CertificateStatus.ACTIVE
    body = client.get(f"/verify/{certificate.number}/").content.decode()
    assert ">Expired</strong>" in body


def test_it_finds_a_number_typed_in_lower_case(certificate, client):
    response = client.get(f"/verify/{certificate.number.lower()}/")
    assert response.status_code == 200
    assert f"Certificate {certificate.number}" in response.content.decode()


@pytest.mark.parametrize("number", ["CERT-1999-9999", "nothing-like-a-number"])
def test_it_answers_an_unknown_number_with_a_friendly_404(number, certificate, client, settings):
    response = client.get(f"/verify/{number}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert NOT_FOUND_TEXT in body
    assert f"no certificate with the number “{number}”" in body
    assert settings.CERTIFICATION_BODY_NAME in body
    assert "/register/" in body
    assert "no-store" in response["Cache-Control"]


def test_it_hides_a_confidential_certificate(certificate, client):
    Certificate.objects.filter(pk=certificate.pk).update(confidential=True)
    response = client.get(f"/verify/{certificate.number}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert NOT_FOUND_TEXT in body
    assert "Nordkontakt AB" not in body


def test_it_escapes_what_was_typed(client, db):
    response = client.get("/verify/%3Cb%3Ebold%3Cb%3E/")
    assert response.status_code == 404
    assert "<b>bold<b>" not in response.content.decode()
    assert "&lt;b&gt;bold&lt;b&gt;" in response.content.decode()


def test_it_shows_the_same_to_a_signed_in_user(cast, certificate, login):
    body = login(cast.client).get(f"/verify/{certificate.number}/").content.decode()
    assert ">Active</strong>" in body
    assert cast.org_a.org_number not in body


def test_it_refuses_a_post(certificate, client):
    assert client.post(f"/verify/{certificate.number}/").status_code == 405
    assert client.post("/register/", {"q": "Nordkontakt"}).status_code == 405


def test_it_reads_a_certificate_in_three_queries(certificate, client, django_assert_num_queries):
    with django_assert_num_queries(3):
        assert client.get(f"/verify/{certificate.number}/").status_code == 200


# -- The public API -----------------------------------------------------------------------------


def _api_url(number):
    return f"/api/v1/public/certificates/{number}/"


def test_it_answers_the_api_as_the_page_does(cast, certificate, api, settings):
    response = api(None).get(_api_url(certificate.number))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {
        "number": certificate.number,
        "entity_name": "Nordkontakt AB",
        "status": "active",
        "status_label": "Active",
        "suspended_until": None,
        "standards": [
            {"code": cast.standard.code, "title": cast.standard.title, "edition": cast.standard.edition}
        ],
        "scope": "Inbound customer service by telephone, e-mail and chat.",
        "sites": [
            {"city": "Stockholm", "country": "SE", "country_name": "Sweden"},
            {"city": "Göteborg", "country": "SE", "country_name": "Sweden"},
            {"city": "Malmö", "country": "SE", "country_name": "Sweden"},
        ],
        "original_issue_date": certificate.original_issue_date.isoformat(),
        "issue_date": certificate.issue_date.isoformat(),
        "expiry_date": certificate.expiry_date.isoformat(),
        "lapsed_from": None,
        "lapsed_until": None,
        "certification_body": settings.CERTIFICATION_BODY_NAME,
    }


def test_it_names_each_city_once(cast, certificate, api):
    # A second site in Stockholm is still one place to the public.
    from tests.factories import SiteFactory

    site = SiteFactory(organization=cast.org_a, name="Stockholm Kista", city="Stockholm")
    certificate.sites.create(site=site, name=site.name, city="Stockholm", country="SE")
    sites = api(None).get(_api_url(certificate.number)).json()["sites"]
    assert [place["city"] for place in sites] == ["Stockholm", "Göteborg", "Malmö"]


def test_it_answers_the_api_for_a_suspension(cast, certificate, api):
    certificate_suspend(
        certificate=certificate, user=cast.staff, reason="No answer to NC 0007 within 90 days"
    )
    certificate.refresh_from_db()
    data = api(None).get(_api_url(certificate.number)).json()
    assert data["status"] == "suspended"
    assert data["status_label"] == "Suspended"
    assert data["suspended_until"] == certificate.suspended_until.isoformat()
    assert "NC 0007" not in str(data)


def test_it_answers_the_api_404_when_unknown_or_confidential(certificate, api):
    response = api(None).get(_api_url("CERT-1999-9999"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No certificate with this number is listed."}
    Certificate.objects.filter(pk=certificate.pk).update(confidential=True)
    response = api(None).get(_api_url(certificate.number))
    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]


def test_it_ignores_credentials_on_the_public_api(cast, certificate):
    from rest_framework.test import APIClient

    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    assert stale.get(_api_url(certificate.number)).status_code == 200
    token = Token.objects.create(user=cast.other)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert other.get(_api_url(certificate.number)).json()["entity_name"] == "Nordkontakt AB"


def test_it_refuses_writes_on_the_public_api(certificate, api):
    assert api(None).post(_api_url(certificate.number), {}).status_code == 405
    assert api(None).delete(_api_url(certificate.number)).status_code == 405


def test_it_documents_the_public_api(cast, api):
    schema = api(cast.staff).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/public/certificates/{number}/"]["get"]
    assert operation["operationId"] == "public_certificate_retrieve"
    # No security requirement: anyone may call it.
    assert operation.get("security", [{}]) == [{}]
    assert {"200", "404", "429"} <= set(operation["responses"])


# -- The register -------------------------------------------------------------------------------


def _numbers(response):
    body = response.content.decode()
    return [line.split(">", 1)[1].split("<", 1)[0] for line in body.split('<a href="/verify/')[1:]]


def test_it_finds_a_certificate_by_name_in_any_case(certificate, client):
    response = client.get("/register/", {"q": "nordKONTAKT"})
    assert response.status_code == 200
    body = response.content.decode()
    assert _numbers(response) == [certificate.number]
    assert "1 certificate found." in body
    assert "Stockholm (SE), Göteborg (SE), Malmö (SE)" in body
    assert "Active" in body
    assert _day(certificate.expiry_date) in body


def test_it_finds_a_certificate_by_number_or_its_start(certificate, client):
    copy_certificate(certificate, "CERT-2001-0001", entity_name="Annat Bolag AB")
    assert _numbers(client.get("/register/", {"q": certificate.number})) == [certificate.number]
    assert _numbers(client.get("/register/", {"q": certificate.number.lower()})) == [certificate.number]
    assert _numbers(client.get("/register/", {"q": "CERT-2001"})) == ["CERT-2001-0001"]
    # A number is matched from its start only.
    assert _numbers(client.get("/register/", {"q": "2001-0001"})) == []
    assert sorted(_numbers(client.get("/register/", {"q": "CERT-"}))) == sorted(
        ["CERT-2001-0001", certificate.number]
    )


def test_it_leaves_confidential_certificates_out_of_the_register(certificate, client):
    copy_certificate(certificate, "CERT-2001-0002", entity_name="Hemlig Kund AB", confidential=True)
    assert _numbers(client.get("/register/", {"q": "Hemlig"})) == []
    assert _numbers(client.get("/register/", {"q": "CERT-2001-0002"})) == []
    assert "Hemlig Kund AB" not in client.get("/register/", {"q": "AB"}).content.decode()


def test_it_lists_withdrawn_certificates_with_their_status(cast, certificate, client):
    certificate_withdraw(certificate=certificate, user=cast.staff, reason="Ended")
    body = client.get("/register/", {"q": "Nordkontakt"}).content.decode()
    assert "tag-bad" in body
    assert "Withdrawn" in body


def test_it_asks_for_a_search_first(certificate, client):
    response = client.get("/register/")
    assert response.status_code == 200
    assert _numbers(response) == []
    assert "Search by the company" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_it_says_when_nothing_matches(certificate, client):
    body = client.get("/register/", {"q": "Finns Inte AB"}).content.decode()
    assert "0 certificates found." in body
    assert "No listed certificate matches" in body


def test_it_pages_the_register_by_25(certificate, client):
    for n in range(30):
        copy_certificate(certificate, f"CERT-2002-{n:04d}", entity_name=f"Bolag {n:02d} AB")
    first = client.get("/register/", {"q": "Bolag"})
    assert _numbers(first) == [f"CERT-2002-{n:04d}" for n in range(25)]
    assert "30 certificates found." in first.content.decode()
    assert "Page 1 of 2" in first.content.decode()
    assert "?q=Bolag&amp;page=2" in first.content.decode()
    second = client.get("/register/", {"q": "Bolag", "page": 2})
    assert _numbers(second) == [f"CERT-2002-{n:04d}" for n in range(25, 30)]
    # A page past the end shows the last one rather than an error.
    assert _numbers(client.get("/register/", {"q": "Bolag", "page": 99})) == _numbers(second)


def test_it_searches_the_register_in_a_constant_number_of_queries(
    certificate, client, django_assert_num_queries
):
    # Count, page, standards, sites: however many rows.
    with django_assert_num_queries(4):
        assert len(_numbers(client.get("/register/", {"q": "AB"}))) == 1
    for n in range(30):
        copy_certificate(certificate, f"CERT-2003-{n:04d}")
    with django_assert_num_queries(4):
        assert len(_numbers(client.get("/register/", {"q": "AB"}))) == 25


# -- Rate limit ---------------------------------------------------------------------------------


@pytest.fixture
def tiny_limit(settings):
    # A day-long window: the fixed window cannot roll over in the middle of a test.
    settings.PUBLIC_RATE_LIMIT = 2
    settings.PUBLIC_RATE_PERIOD = 24 * 60 * 60
    settings.NUM_PROXIES = 0


def test_it_rate_limits_the_pages_per_client_address(certificate, client, tiny_limit):
    url = f"/verify/{certificate.number}/"
    assert client.get(url).status_code == 200
    assert client.get("/verify/CERT-1999-9999/").status_code == 404
    response = client.get(url)
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many requests" in body
    assert "Wait" in body
    assert int(response["Retry-After"]) >= 1
    assert "no-store" in response["Cache-Control"]
    assert client.get("/register/", {"q": "Nordkontakt"}).status_code == 429
    # Another address has its own budget.
    assert client.get(url, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_it_rate_limits_the_api_from_the_same_budget(certificate, client, api, tiny_limit):
    assert client.get(f"/verify/{certificate.number}/").status_code == 200
    assert api(None).get(_api_url(certificate.number)).status_code == 200
    response = api(None).get(_api_url(certificate.number))
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many requests from your address.")
    assert int(response["Retry-After"]) >= 1
    assert client.get(f"/verify/{certificate.number}/").status_code == 429


def test_it_does_not_limit_the_signed_in_pages(cast, certificate, login, tiny_limit):
    client = login(cast.staff)
    for _ in range(3):
        client.get(f"/verify/{certificate.number}/")
    assert client.get(f"/verify/{certificate.number}/").status_code == 429
    assert client.get("/").status_code == 200
    assert client.get("/organizations/").status_code == 200


def test_it_counts_the_client_behind_a_trusted_proxy(certificate, client, tiny_limit, settings):
    settings.NUM_PROXIES = 1
    url = f"/verify/{certificate.number}/"
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(2):
        assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 429
    # A client cannot escape by inventing hops: the proxy's own entry is the last one.
    assert client.get(url, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5", **proxy).status_code == 429
    # Another client behind the same proxy has its own budget.
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy).status_code == 200


def test_it_ignores_forwarded_addresses_without_a_trusted_proxy(certificate, client, tiny_limit):
    url = f"/verify/{certificate.number}/"
    for n in range(2):
        assert client.get(url, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_it_lets_requests_through_when_the_cache_is_down(certificate, client, monkeypatch, tiny_limit):
    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(public_views, "get_usage", unreachable)
    for _ in range(3):
        assert client.get(f"/verify/{certificate.number}/").status_code == 200


@pytest.fixture
def suspended_certificate(cast, closed_audit):
    """Nordkontakt's certificate, suspended, with dates far enough ahead never to lapse."""
    ready_to_certify(closed_audit)
    decision_record(audit=closed_audit, user=cast.staff, outcome="grant", rationale="Requirements met.")
    Certificate.objects.update(
        expiry_date=EXPIRY, status=CertificateStatus.SUSPENDED, suspended_until=SUSPENDED_UNTIL
    )
    return Certificate.objects.get()


def test_it_writes_public_dates_as_people_write_them(suspended_certificate, client):
    number = suspended_certificate.number
    verify = page_text(client.get(f"/verify/{number}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "<dd>27 Nov 2099</dd>" in verify
    assert "Suspended until 27 Jan 2099" in verify
    assert "Nov." not in verify
    register = page_text(client.get("/register/?q=Nordkontakt", HTTP_ACCEPT_LANGUAGE="en"))
    assert ">27 Nov 2099</td>" in register
    assert "Nov." not in register


def test_it_writes_public_dates_as_swedes_write_them(suspended_certificate, client):
    number = suspended_certificate.number
    with translation.override("sv"):
        assert format_date(EXPIRY) == formats.date_format(EXPIRY, "DATE_FORMAT") == "27 nov 2099"
    verify = page_text(client.get(f"/verify/{number}/", HTTP_ACCEPT_LANGUAGE="sv"))
    assert "<dd>27 nov 2099</dd>" in verify
    assert "27 jan 2099" in verify
    assert "Nov" not in verify
    register = page_text(client.get("/register/?q=Nordkontakt", HTTP_ACCEPT_LANGUAGE="sv"))
    assert ">27 nov 2099</td>" in register


def test_it_keeps_the_certificate_number_in_one_piece(suspended_certificate, client):
    number = suspended_certificate.number
    body = page_text(client.get(f"/verify/{number}/"))
    assert f'<h1>Certificate <span class="certificate-number">{number}</span></h1>' in body
    swedish = page_text(client.get(f"/verify/{number}/", HTTP_ACCEPT_LANGUAGE="sv"))
    assert f'<h1>Certifikat <span class="certificate-number">{number}</span></h1>' in swedish
