"""The language switch and a person's own language: pages, e-mails and other devices follow it."""

from django.conf import settings
from django.urls import reverse


def lang_of(response) -> str:
    text = response.content.decode()
    start = text.index('<html lang="') + len('<html lang="')
    return text[start : text.index('"', start)]


def test_the_switch_keeps_a_logged_in_persons_choice_on_their_account(login, cast):
    client = login(cast.client)

    response = client.post(reverse("set_language"), {"language": "sv", "next": reverse("home")})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    cast.client.refresh_from_db()
    assert cast.client.language == "sv"
    assert lang_of(client.get(reverse("home"))) == "sv"


def test_an_unknown_language_changes_nothing(login, cast):
    client = login(cast.client)

    client.post(reverse("set_language"), {"language": "xx", "next": reverse("home")})

    cast.client.refresh_from_db()
    assert cast.client.language == "en"
    assert lang_of(client.get(reverse("home"))) == "en"


def test_anyone_may_switch_the_language_of_the_public_pages(client):
    response = client.post(reverse("set_language"), {"language": "sv", "next": reverse("public:register")})

    assert response.status_code == 302
    assert lang_of(client.get(reverse("public:register"))) == "sv"


def test_a_new_device_shows_the_language_kept_on_the_account(login, cast):
    cast.client.language = "sv"
    cast.client.save()

    page = login(cast.client).get(reverse("home"))

    assert lang_of(page) == "sv"
    assert "Start" in page.content.decode()


def test_a_choice_made_on_this_browser_wins_over_the_account(login, cast):
    cast.client.language = "sv"
    cast.client.save()
    client = login(cast.client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    assert lang_of(client.get(reverse("home"))) == "en"
