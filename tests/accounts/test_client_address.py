"""The client's address: REMOTE_ADDR unless proxies are configured, the same for every counter and log."""

import json

import pytest
from django.test import RequestFactory

from accounts import addresses
from accounts.addresses import client_ip, client_key
from accounts.models import SecurityEvent, SecurityEventKind
from certificates.public_api import PublicRateThrottle
from tests.conftest import PRODUCTION, run_manage

PROXY = "10.0.0.2"
ELSEWHERE = "192.0.2.9"


def _probe(env) -> dict:
    probe = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'NUM_PROXIES': s.NUM_PROXIES, 'TRUSTED_PROXIES': getattr(s, 'TRUSTED_PROXIES', None), "
        "'SECURE_PROXY_SSL_HEADER': s.SECURE_PROXY_SSL_HEADER, "
        "'DRF': s.REST_FRAMEWORK['NUM_PROXIES']}))"
    )
    result = run_manage("shell", "-v", "0", "-c", probe, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production_defaults() -> dict:
    """What production (DEBUG=0) trusts when nobody configured a proxy."""
    return _probe({**PRODUCTION, "NUM_PROXIES": "", "TRUSTED_PROXIES": ""})


@pytest.fixture
def as_in_production(settings, production_defaults):
    settings.NUM_PROXIES = production_defaults["NUM_PROXIES"]
    settings.TRUSTED_PROXIES = production_defaults["TRUSTED_PROXIES"]


@pytest.fixture
def tiny_limit(settings):
    # A day-long window: the fixed window cannot roll over in the middle of a test.
    settings.PUBLIC_RATE_LIMIT = 2
    settings.PUBLIC_RATE_PERIOD = 24 * 60 * 60


def _log_in(client, password, **meta):
    return client.post("/login/", {"username": "client", "password": password}, **meta)


# -- With no proxy configured (the default, in production too) ---------------------------------


def test_it_trusts_no_forwarded_header_in_production_unless_configured(production_defaults):
    assert production_defaults == {
        "NUM_PROXIES": 0,
        "TRUSTED_PROXIES": [],
        "SECURE_PROXY_SSL_HEADER": None,
        "DRF": 0,
    }


def test_it_locks_out_a_guesser_who_forges_a_new_address_each_time(cast, client, as_in_production):
    statuses = [
        _log_in(client, "wrong", REMOTE_ADDR=ELSEWHERE, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    assert (
        _log_in(client, "demo", REMOTE_ADDR=ELSEWHERE, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    )
    # The security log names the connection's address, not the one written in the header.
    failed = SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED)
    assert set(failed.values_list("ip", flat=True)) == {ELSEWHERE}


def test_it_rate_limits_a_public_client_who_forges_a_new_address_each_time(
    certificate,
    client,
    api,
    tiny_limit,
    as_in_production,
):
    url = f"/verify/{certificate.number}/"
    forged = [{"REMOTE_ADDR": ELSEWHERE, "HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"} for n in range(4)]
    assert client.get(url, **forged[0]).status_code == 200
    assert client.get(url, **forged[1]).status_code == 200
    assert client.get(url, **forged[2]).status_code == 429
    response = api(None).get(f"/api/v1/public/certificates/{certificate.number}/", **forged[3])
    assert response.status_code == 429


# -- Behind configured proxies ------------------------------------------------------------------


def test_it_counts_each_client_behind_a_trusted_proxy_apart(cast, client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    behind = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    assert [_log_in(client, "wrong", **behind).status_code for _ in range(5)] == [200, 200, 200, 200, 429]
    # Hops a client writes itself stand left of what the proxy appended: they change nothing.
    forged = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.5"}
    assert _log_in(client, "demo", **forged).status_code == 429
    # Another client behind the same proxy is not locked out by the first one's guesses.
    assert _log_in(client, "demo", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302


def test_it_reads_the_forwarded_header_only_from_a_trusted_proxy(cast, client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    statuses = [
        _log_in(client, "wrong", REMOTE_ADDR=ELSEWHERE, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]


def test_it_rate_limits_public_clients_behind_a_trusted_proxy_apart(
    certificate,
    client,
    tiny_limit,
    settings,
):
    settings.TRUSTED_PROXIES = [PROXY]
    url = f"/verify/{certificate.number}/"
    for _ in range(2):
        assert client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 200
    assert client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200
    # Straight to the app server, the header is the client's own writing.
    assert client.get(url, REMOTE_ADDR=ELSEWHERE, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 200
    assert client.get(url, REMOTE_ADDR=ELSEWHERE, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200
    assert client.get(url, REMOTE_ADDR=ELSEWHERE, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429


# -- The rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "proxies", "trusted", "expected"),
    [
        ({"REMOTE_ADDR": "192.0.2.1"}, 0, [], "192.0.2.1"),
        ({"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}, 0, [], "192.0.2.1"),
        # NUM_PROXIES: that many places from the right (DRF's rule).
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.5"}, 1, [], "203.0.113.5"),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.5, 10.0.0.9"}, 2, [], "203.0.113.5"),
        ({"REMOTE_ADDR": PROXY}, 1, [], PROXY),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "not-an-address"}, 1, [], PROXY),
        # TRUSTED_PROXIES: from a listed peer, the rightmost hop not listed.
        (
            {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.5"},
            0,
            ["10.0.0.0/8"],
            "203.0.113.5",
        ),
        (
            {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.5, 10.1.1.1"},
            0,
            ["10.0.0.0/8"],
            "203.0.113.5",
        ),
        ({"REMOTE_ADDR": ELSEWHERE, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}, 0, ["10.0.0.0/8"], ELSEWHERE),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "10.1.1.1, 10.2.2.2"}, 0, ["10.0.0.0/8"], "10.1.1.1"),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "junk, 10.2.2.2"}, 0, ["10.0.0.0/8"], "10.2.2.2"),
        # Both: only from a listed peer, then that many places from the right.
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.5, 6.6.6.6"}, 2, [PROXY], "203.0.113.5"),
        ({"REMOTE_ADDR": ELSEWHERE, "HTTP_X_FORWARDED_FOR": "203.0.113.5, 6.6.6.6"}, 2, [PROXY], ELSEWHERE),
        # A server listening on IPv6 sees IPv4 clients as mapped addresses, proxies included.
        ({"REMOTE_ADDR": "::ffff:192.0.2.1"}, 0, [], "192.0.2.1"),
        (
            {"REMOTE_ADDR": "::ffff:10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.5"},
            0,
            [PROXY],
            "203.0.113.5",
        ),
        ({"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}, 0, [], "2001:db8:1:2:aaaa::1"),
    ],
)
def test_it_finds_the_client_by_the_proxy_settings(meta, proxies, trusted, expected, settings):
    settings.NUM_PROXIES = proxies
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/register/", **meta)
    assert client_ip(request) == expected


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        # One subscriber holds a whole /64: counted as one.
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::"),
        # Not every IPv4 client as one /64 of mapped addresses.
        ("::ffff:192.0.2.1", "192.0.2.1"),
        # A Unix socket: no address, counted as given.
        ("", ""),
    ],
)
def test_it_counts_a_client_by_its_address_or_its_network(remote, expected):
    request = RequestFactory().get("/register/", REMOTE_ADDR=remote)
    assert client_key(request) == expected


def test_it_gives_drfs_throttle_the_same_address(settings):
    settings.NUM_PROXIES = 1  # what DRF alone would believe from anyone
    settings.TRUSTED_PROXIES = [PROXY]
    forged = RequestFactory().get("/", REMOTE_ADDR=ELSEWHERE, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert PublicRateThrottle().get_ident(forged) == client_key(forged) == ELSEWHERE


# -- Settings -----------------------------------------------------------------------------------


def test_it_reads_the_proxies_from_the_environment():
    configured = _probe({**PRODUCTION, "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8", "NUM_PROXIES": "2"})
    assert configured == {
        "NUM_PROXIES": 2,
        "TRUSTED_PROXIES": ["127.0.0.1", "10.0.0.0/8"],
        # Behind configured proxies, X-Forwarded-Proto says whether the client used HTTPS.
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "DRF": 2,
    }
    opted_out = _probe({**PRODUCTION, "TRUSTED_PROXIES": "127.0.0.1", "BEHIND_PROXY": "0"})
    assert opted_out["SECURE_PROXY_SSL_HEADER"] is None


def test_it_refuses_a_trusted_proxy_that_is_no_address():
    result = run_manage("check", env={**PRODUCTION, "TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"})
    assert result.returncode != 0
    assert "TRUSTED_PROXIES must list IP addresses or networks" in result.stderr
    assert "'proxy.internal'" in result.stderr


def test_it_warns_when_a_proxy_forwards_but_none_is_configured(caplog):
    addresses._warn_of_unconfigured_proxy.cache_clear()  # said once per process: perhaps already
    from_proxy = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.250")
    assert client_ip(from_proxy) == "127.0.0.1"
    assert "set TRUSTED_PROXIES" in caplog.text
