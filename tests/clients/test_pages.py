"""Staff take in a client through the pages; refused input keeps every value and says why."""

from decimal import Decimal

from django.core import mail

from clients.models import ClientMembership, ConsultancyDeclaration, Organization, Site
from tests.conftest import page_text

GOOD_ORGANIZATION = {
    "legal_name": "Samtal Syd AB",
    "org_number": "5561234500",
    "address": "Södergatan 1",
    "postal_code": "211 34",
    "city": "Malmö",
    "country": "SE",
    "contact_name": "Per Syd",
    "contact_email": "per@samtalsyd.example",
    "contact_phone": "",
}


def test_it_creates_an_organization(cast, login):
    response = login(cast.staff).post("/organizations/new/", GOOD_ORGANIZATION)
    organization = Organization.objects.get(legal_name="Samtal Syd AB")
    assert response.status_code == 302
    assert response["Location"] == f"/organizations/{organization.pk}/"
    # The number typed without a hyphen is stored in the registered format.
    assert organization.org_number == "556123-4500"


def test_it_refuses_a_bad_swedish_number_keeping_what_was_typed(cast, login):
    data = {**GOOD_ORGANIZATION, "org_number": "556123-4501"}
    response = login(cast.staff).post("/organizations/new/", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "check digit does not match" in body
    assert 'value="Samtal Syd AB"' in body
    assert not Organization.objects.filter(legal_name="Samtal Syd AB").exists()


def test_it_accepts_a_foreign_number_in_its_own_format(cast, login):
    data = {**GOOD_ORGANIZATION, "country": "NO", "org_number": "923 609 016"}
    response = login(cast.staff).post("/organizations/new/", data)
    assert response.status_code == 302
    assert Organization.objects.get(legal_name="Samtal Syd AB").org_number == "923 609 016"


def test_it_refuses_a_duplicate_organization_number(cast, login):
    data = {**GOOD_ORGANIZATION, "org_number": cast.org_a.org_number}
    response = login(cast.staff).post("/organizations/new/", data)
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert Organization.objects.filter(org_number=cast.org_a.org_number).count() == 1


def test_it_refuses_writes_by_a_client(cast, login):
    response = login(cast.client).post(f"/organizations/{cast.org_a.pk}/edit/", GOOD_ORGANIZATION)
    assert response.status_code == 403
    cast.org_a.refresh_from_db()
    assert cast.org_a.legal_name == "Nordkontakt AB"


def test_it_adds_a_site(cast, login):
    data = {
        "name": "Uppsala",
        "city": "Uppsala",
        "country": "SE",
        "effective_personnel": "12.5",
        "activities": "Chat",
    }
    response = login(cast.staff).post(f"/organizations/{cast.org_a.pk}/sites/new/", data)
    assert response.status_code == 302
    site = Site.objects.get(organization=cast.org_a, name="Uppsala")
    assert site.effective_personnel == Decimal("12.5")


def test_it_refuses_a_second_central_function(cast, login):
    data = {
        "name": "Uppsala",
        "city": "Uppsala",
        "country": "SE",
        "effective_personnel": "10",
        "is_central_function": "on",
    }
    response = login(cast.staff).post(f"/organizations/{cast.org_a.pk}/sites/new/", data)
    assert response.status_code == 200
    assert "already has a central function" in response.content.decode()
    assert not Site.objects.filter(name="Uppsala").exists()


def test_it_refuses_negative_personnel(cast, login):
    data = {"name": "Uppsala", "city": "Uppsala", "country": "SE", "effective_personnel": "-1"}
    response = login(cast.staff).post(f"/organizations/{cast.org_a.pk}/sites/new/", data)
    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()
    assert not Site.objects.filter(name="Uppsala").exists()


def test_it_edits_a_site(cast, login):
    site = cast.org_a.sites.get(name="Malmö")
    data = {"name": "Malmö", "city": "Malmö", "country": "SE", "effective_personnel": "35"}
    response = login(cast.staff).post(f"/organizations/{cast.org_a.pk}/sites/{site.pk}/edit/", data)
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.effective_personnel == Decimal(35)


def test_it_records_a_consultancy_declaration(cast, login):
    data = {
        "kind": "employment",
        "provider": "Nordkontakt AB",
        "person": cast.auditor.pk,
        "subject": "Quality manager",
        "until": "2025-06-30",
    }
    response = login(cast.staff).post(f"/organizations/{cast.org_a.pk}/declarations/new/", data)
    assert response.status_code == 302
    declaration = ConsultancyDeclaration.objects.get(organization=cast.org_a)
    assert declaration.person == cast.auditor


def test_it_offers_only_our_own_people_as_the_declared_person(cast, login):
    body = login(cast.staff).get(f"/organizations/{cast.org_a.pk}/declarations/new/").content.decode()
    assert f'value="{cast.auditor.pk}"' in body
    assert f'value="{cast.client.pk}"' not in body


def test_it_adds_a_client_user_and_emails_an_invitation(cast, login, django_capture_on_commit_callbacks):
    data = {
        "username": "maria",
        "email": "maria@nordkontakt.example",
        "first_name": "Maria",
        "last_name": "Nord",
        "role": "responder",
        "language": "sv",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.staff).post(f"/organizations/{cast.org_a.pk}/users/new/", data)
    assert response.status_code == 302
    membership = ClientMembership.objects.get(user__username="maria")
    assert membership.organization == cast.org_a
    assert not membership.user.has_usable_password()
    assert membership.user.has_perm("clients.view_organization", cast.org_a)
    assert not membership.user.has_perm("clients.view_organization", cast.org_b)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["maria@nordkontakt.example"]
    # Swedish recipient, Swedish e-mail (falls back to English only while untranslated).
    assert "/password/set/" in mail.outbox[0].body


def test_it_refuses_a_taken_username_keeping_the_form(cast, login):
    data = {"username": "CLIENT", "email": "x@example.com", "role": "responder", "language": "en"}
    response = login(cast.staff).post(f"/organizations/{cast.org_a.pk}/users/new/", data)
    assert response.status_code == 200
    assert "already taken" in response.content.decode()
    assert ClientMembership.objects.filter(organization=cast.org_a).count() == 1


def test_it_keeps_a_sites_name_and_its_central_function_tag_in_one_cell_item(cast, login):
    body = page_text(login(cast.staff).get(f"/organizations/{cast.org_a.pk}/"))
    # The phone layout sets the cell's children beside its label: the name and tag are one child.
    tagged = '<span>Stockholm <span class="tag tag-info">Central function</span></span>'
    assert f'<td data-label="Site">{tagged}</td>' in body
