"""Every page of the foundation, called by every user of the cast, against one table."""

import pytest

from tests.conftest import CAST_NAMES

# page -> expected status per cast user, in CAST_NAMES order:
# anonymous, staff, lead, auditor, client, other. 302 means "sent to the login page".
PAGES = {
    "home": ("/", [302, 200, 200, 200, 200, 200]),
    "organization list": ("/organizations/", [302, 200, 200, 200, 200, 200]),
    "organization a": ("/organizations/{a}/", [302, 200, 200, 404, 200, 404]),
    "organization b": ("/organizations/{b}/", [302, 200, 404, 404, 404, 200]),
    "organization create": ("/organizations/new/", [302, 200, 403, 403, 403, 403]),
    "organization a edit": ("/organizations/{a}/edit/", [302, 200, 403, 404, 403, 404]),
    "organization b edit": ("/organizations/{b}/edit/", [302, 200, 404, 404, 404, 403]),
    "site create": ("/organizations/{a}/sites/new/", [302, 200, 403, 404, 403, 404]),
    "site edit": ("/organizations/{a}/sites/{site_a}/edit/", [302, 200, 403, 404, 403, 404]),
    "site of b through a": ("/organizations/{a}/sites/{site_b}/edit/", [302, 404, 404, 404, 404, 404]),
    "declaration create": ("/organizations/{a}/declarations/new/", [302, 200, 403, 404, 403, 404]),
    "client user create": ("/organizations/{a}/users/new/", [302, 200, 403, 404, 403, 404]),
    "unknown organization": ("/organizations/999999/", [302, 404, 404, 404, 404, 404]),
    "standard list": ("/standards/", [302, 200, 200, 200, 200, 200]),
    "standard detail": ("/standards/{standard}/", [302, 200, 200, 200, 200, 200]),
}


def _url(template, cast):
    return template.format(
        a=cast.org_a.pk,
        b=cast.org_b.pk,
        site_a=cast.org_a.sites.first().pk,
        site_b=cast.org_b.sites.first().pk,
        standard=cast.standard.pk,
    )


@pytest.mark.parametrize("page", PAGES)
def test_it_gives_each_cast_user_the_decided_answer(page, cast, login):
    template, expected = PAGES[page]
    url = _url(template, cast)
    got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == expected, f"{page} {url}: {dict(zip(CAST_NAMES, got, strict=True))}"


def test_it_sends_anonymous_users_to_login_with_next(cast, login):
    response = login(None).get(f"/organizations/{cast.org_a.pk}/")
    assert response["Location"] == f"/login/?next=/organizations/{cast.org_a.pk}/"


def test_it_lists_only_the_clients_own_organization(cast, login):
    body = login(cast.client).get("/organizations/").content.decode()
    assert "Nordkontakt AB" in body
    assert "Kundtjänst Norr AB" not in body
    body = login(cast.other).get("/organizations/").content.decode()
    assert "Kundtjänst Norr AB" in body
    assert "Nordkontakt AB" not in body


def test_it_lists_for_an_auditor_only_organizations_they_audit(cast, login):
    body = login(cast.lead).get("/organizations/").content.decode()
    assert "Nordkontakt AB" in body
    assert "Kundtjänst Norr AB" not in body
    body = login(cast.auditor).get("/organizations/").content.decode()
    assert "Nordkontakt AB" not in body
    assert "Kundtjänst Norr AB" not in body


def test_it_lists_every_organization_for_staff(cast, login):
    body = login(cast.staff).get("/organizations/").content.decode()
    assert "Nordkontakt AB" in body
    assert "Kundtjänst Norr AB" in body


def test_it_searches_organizations(cast, login):
    body = login(cast.staff).get("/organizations/", {"q": "norr"}).content.decode()
    assert "Kundtjänst Norr AB" in body
    assert "Nordkontakt AB" not in body


def test_it_hides_internal_records_from_the_client(cast, login):
    body = login(cast.client).get(f"/organizations/{cast.org_a.pk}/").content.decode()
    assert "Göteborg" in body
    assert "Consultancy declarations" not in body
    assert "Client users" not in body


def test_it_shows_each_role_its_own_home(cast, login):
    assert "Decisions waiting" in login(cast.staff).get("/").content.decode()
    assert "Closing duties" in login(cast.lead).get("/").content.decode()
    client_home = login(cast.client).get("/").content.decode()
    assert "Nordkontakt AB" in client_home
    assert "Kundtjänst Norr AB" not in client_home


def test_it_shows_the_admin_to_staff_only(cast, login):
    assert login(cast.staff).get("/admin/").status_code == 200
    for name in ("lead", "auditor", "client", "other"):
        response = login(cast.user(name)).get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_it_logs_in_and_out(cast, client):
    response = client.post("/login/", {"username": "client", "password": "demo"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_it_refuses_a_wrong_password_with_a_message(cast, client):
    response = client.post("/login/", {"username": "client", "password": "wrong"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_it_shows_a_standard_as_a_tree(cast, login):
    body = login(cast.auditor).get(f"/standards/{cast.standard.pk}/").content.decode()
    assert body.index("Customer relationship") < body.index("General") < body.index("Communication")


@pytest.mark.parametrize("url", ["/organizations/", "/"])
def test_it_lists_in_a_constant_number_of_queries(url, cast, login, django_assert_max_num_queries):
    from tests.factories import OrganizationFactory, SiteFactory

    client = login(cast.staff)
    client.get(url)  # warm the session and permission caches
    # The staff home page reads each of its lists once: audits, NCRs, decisions, certificates.
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(30):
        SiteFactory(organization=OrganizationFactory())
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
