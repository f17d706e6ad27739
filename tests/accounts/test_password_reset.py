"""Password-reset e-mails: limited per e-mail address and per client, with the same answer every time."""

import pytest
from django.core import mail

from tests.factories import UserFactory

URL = "/password/reset/"
DONE = "/password/reset/sent/"


@pytest.fixture
def account(cast):
    cast.client.email = "anna@nordkontakt.example"
    cast.client.save(update_fields=["email"])
    return cast.client


def _ask(client, email, **meta):
    response = client.post(URL, {"email": email}, **meta)
    return response.status_code, response["Location"], response.content


def test_it_sends_a_reset_link_to_an_account(account, client):
    assert _ask(client, "anna@nordkontakt.example") == (302, DONE, b"")
    (message,) = mail.outbox
    assert message.to == ["anna@nordkontakt.example"]
    assert "/password/set/" in message.body


def test_it_sends_at_most_three_links_to_an_address_however_often_asked(account, client):
    answers = {_ask(client, "anna@nordkontakt.example") for _ in range(15)}
    assert len(mail.outbox) == 3
    # Every answer the same, the ones that sent nothing included: nothing tells the limit was reached.
    assert answers == {(302, DONE, b"")}


def test_it_counts_an_address_in_any_case_as_one(account, client):
    for typed in ("anna@nordkontakt.example", "Anna@Nordkontakt.example", "ANNA@NORDKONTAKT.EXAMPLE"):
        _ask(client, typed)
    _ask(client, "Anna@nordkontakt.example", REMOTE_ADDR="198.51.100.4")
    assert len(mail.outbox) == 3


def test_it_sends_at_most_ten_links_asked_for_from_one_client(cast, client):
    for n in range(12):
        UserFactory(username=f"user{n}", email=f"user{n}@example.se")
    answers = {_ask(client, f"user{n}@example.se", REMOTE_ADDR="192.0.2.1") for n in range(11)}
    assert answers == {(302, DONE, b"")}
    assert len(mail.outbox) == 10
    # Another client has a budget of its own; a forged X-Forwarded-For is no other client.
    _ask(client, "user11@example.se", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert len(mail.outbox) == 10
    _ask(client, "user11@example.se", REMOTE_ADDR="198.51.100.4")
    assert len(mail.outbox) == 11


def test_it_answers_an_unknown_address_as_a_known_one(account, client):
    assert _ask(client, "nobody@nordkontakt.example") == _ask(client, "anna@nordkontakt.example")
    assert [message.to for message in mail.outbox] == [["anna@nordkontakt.example"]]


def test_it_reads_the_limits_at_run_time(account, client, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 1
    for _ in range(3):
        _ask(client, "anna@nordkontakt.example")
    assert len(mail.outbox) == 1


def test_it_still_sends_when_the_cache_does_not_answer(account, client, settings):
    # A cache nobody answers at (a Redis address where nothing listens): the limit is not counted,
    # and a person locked out of their account still gets their link.
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        },
    }
    assert _ask(client, "anna@nordkontakt.example") == (302, DONE, b"")
    assert len(mail.outbox) == 1


def test_it_refuses_a_malformed_address_without_counting_it(account, client, settings):
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 1
    response = client.post(URL, {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    _ask(client, "anna@nordkontakt.example")
    assert len(mail.outbox) == 1
