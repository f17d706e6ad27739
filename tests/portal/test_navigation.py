"""The main menu marks the section of the page being shown (aria-current), for every role's menu."""

import re

import pytest
from django.urls import reverse

CURRENT = re.compile(r'<a href="([^"]+)" aria-current="page">')


def current_links(response) -> list[str]:
    return CURRENT.findall(response.content.decode())


@pytest.mark.parametrize(
    ("user_name", "url_name", "kwargs", "section_url"),
    [
        ("staff", "home", {}, "home"),
        ("staff", "clients:list", {}, "clients:list"),
        ("staff", "clients:create", {}, "clients:list"),
        ("staff", "audits:audit-list", {}, "audits:audit-list"),
        ("staff", "certificates:certificate-list", {}, "certificates:certificate-list"),
        ("staff", "audits:calculator", {}, "audits:calculator"),
        ("staff", "standards:standard-list", {}, "standards:standard-list"),
        ("staff", "findings:nc-list", {}, "findings:nc-list"),
        ("staff", "security-log", {}, "security-log"),
        ("staff", "transfers:transfer-list", {}, "transfers:transfer-list"),
        ("staff", "transfers:transfer-create", {}, "transfers:transfer-list"),
        ("lead", "findings:checklist", {"pk": "audit"}, "audits:audit-list"),
        ("client", "findings:nc-list", {}, "findings:nc-list"),
    ],
)
def test_the_menu_marks_the_current_section(
    login, cast, onsite_audit, user_name, url_name, kwargs, section_url
):
    kwargs = {key: onsite_audit.pk if value == "audit" else value for key, value in kwargs.items()}
    response = login(cast.user(user_name)).get(reverse(url_name, kwargs=kwargs))

    assert response.status_code == 200
    assert current_links(response) == [reverse(section_url)]


def test_no_section_is_marked_on_a_page_outside_the_menu(login, cast):
    response = login(cast.staff).get(reverse("two-factor"))

    assert response.status_code == 200
    assert current_links(response) == []
