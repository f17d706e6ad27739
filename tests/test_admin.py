"""The admin shows every record, but changes no workflow state behind the services' back."""

import datetime
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import User
from accounts.roles import CLIENT_USERS, role_group
from audits.models import Audit, AuditDocument, AuditStatus, Competence, DocumentKind
from clients.models import ClientMembership, ConsultancyDeclaration, Organization, Site
from standards.models import CertificationScheme, Standard
from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def change_form_data(obj, user) -> dict:
    """What the change form sends unchanged: every field it offers, with the value it shows."""
    model_admin = admin.site.get_model_admin(type(obj))
    request = RequestFactory().get(change_url(obj))
    request.user = user
    form = model_admin.get_form(request, obj, change=True)(instance=obj)
    data = {"_save": "Save"}
    for name in form.fields:
        value = form[name].value()
        if value is not None:
            data[name] = value
    return data


@dataclass(frozen=True)
class Attempt:
    """A record (by fixture), the state a superuser tries to give it, and a change the form may make."""

    fixture: str
    record: str  # how the record is found from the fixture's value
    state: dict  # field -> a value the services alone may set
    allowed: dict  # field -> a value the admin may still change ({} when nothing may change)


ATTEMPTS = {
    "an open audit's status": Attempt(
        "onsite_audit", "audit", {"status": AuditStatus.CLOSED}, {"objectives": "Checked by the admin."}
    ),
    "an open audit's closing": Attempt(
        "onsite_audit",
        "audit",
        {"closed_at": "2026-01-02 10:00", "recommendation": "certify", "conclusion": "Fine."},
        {"objectives": "Checked by the admin."},
    ),
    "an open audit's time and sample": Attempt(
        "onsite_audit", "audit", {"planned_days": "99.0", "sampling_seed": "1", "sequence": "3"}, {}
    ),
    "a closed audit reopened": Attempt(
        "closed_audit", "audit", {"status": AuditStatus.IN_PROGRESS, "closed_at": ""}, {}
    ),
    "a closed audit's record": Attempt(
        "closed_audit", "audit", {"conclusion": "Rewritten.", "scope": "Another scope."}, {}
    ),
    "a client user moved to another client": Attempt(
        "cast", "membership", {"organization": "org_b", "user": "other"}, {"role": "responder"}
    ),
}


def record_of(attempt: Attempt, value, cast):
    if attempt.record == "audit":
        return value
    return ClientMembership.objects.get(user=cast.client)


def posted(attempt: Attempt, cast) -> dict:
    named = {"org_b": cast.org_b.pk, "other": cast.other.pk}
    return {field: named.get(value, value) for field, value in attempt.state.items()}


@pytest.mark.parametrize("name", ATTEMPTS)
def test_it_keeps_the_workflow_state_when_a_superuser_changes_it_in_the_admin(
    name, request, cast, superuser, client
):
    attempt = ATTEMPTS[name]
    record = record_of(attempt, request.getfixturevalue(attempt.fixture), cast)
    model = type(record)
    before = model.objects.filter(pk=record.pk).values(*attempt.state).get()
    client.force_login(superuser)
    data = change_form_data(record, superuser) | posted(attempt, cast) | attempt.allowed
    response = client.post(change_url(record), data)
    # Saved (not refused with form errors): what was sent beside the state did its part.
    assert response.status_code == 302, response.content.decode()[:2000]
    assert model.objects.filter(pk=record.pk).values(*attempt.state).get() == before
    after = model.objects.filter(pk=record.pk).values(*attempt.allowed).get() if attempt.allowed else {}
    assert after == attempt.allowed


def test_it_removes_a_client_user_through_the_service(cast, superuser, client):
    membership = ClientMembership.objects.get(user=cast.client)
    client.force_login(superuser)
    assert client.get(reverse("admin:clients_clientmembership_add")).status_code == 403
    url = reverse("admin:clients_clientmembership_delete", args=[membership.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not ClientMembership.objects.filter(pk=membership.pk).exists()
    # The grant and the group went with the membership (clients.services.client_membership_delete).
    client_user = User.objects.get(pk=cast.client.pk)
    assert not client_user.has_perm("clients.view_organization", cast.org_a)
    assert not client_user.groups.filter(pk=role_group(CLIENT_USERS).pk).exists()


@pytest.mark.parametrize(
    "model",
    [
        User,
        Organization,
        Site,
        ConsultancyDeclaration,
        ClientMembership,
        Standard,
        CertificationScheme,
        Competence,
        Audit,
        AuditDocument,
    ],
    ids=lambda model: model._meta.label,
)
def test_it_shows_each_records_change_page(model, closed_audit, cast, superuser, client):
    if model is ConsultancyDeclaration:
        ConsultancyDeclaration.objects.create(
            organization=cast.org_a,
            kind="consultancy",
            provider="Kvalitetsbyrån AB",
            subject="ISO 9001",
            until=datetime.date(2025, 6, 30),
        )
    if model is AuditDocument:
        AuditDocument.objects.create(
            audit=closed_audit,
            kind=DocumentKind.REPORT,
            file=ContentFile(b"%PDF-1.4", name="report.pdf"),
            template_version="1",
            data_digest="0" * 64,
            size=8,
        )
    record = model.objects.first()
    assert record is not None, model
    client.force_login(superuser)
    response = client.get(change_url(record))
    assert response.status_code == 200
    assert str(record.pk) in response.content.decode()


def test_it_shows_a_closed_audit_whole_but_offers_nothing_to_change(closed_audit, superuser, client):
    client.force_login(superuser)
    body = client.get(change_url(closed_audit)).content.decode()
    assert 'name="status"' not in body
    assert 'name="scope"' not in body
    assert "Inbound customer service by telephone" in body
