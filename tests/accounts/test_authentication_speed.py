"""The token and its user read in one plain query (accounts.authentication) answer exactly as DRF's
TokenAuthentication did."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.authentication import TokenAuthentication
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


URL = "/api/v1/organizations/"


def test_anonymous_gets_401(cast):
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_token_gives_its_user_and_itself_as_drfs_did(cast):
    token = Token.objects.create(user=cast.client)
    user, auth = TokenAuthentication().authenticate_credentials(token.key)
    assert (user.pk, user.username, user.is_active) == (cast.client.pk, "client", True)
    assert (auth.pk, auth.user_id, auth.user is user) == (token.key, cast.client.pk, True)
    assert auth.created == token.created  # loaded when asked for
    assert user.password == cast.client.password  # a whole user, as DRF's select_related gave


def test_the_tokens_user_has_every_value_as_the_orm_reads_it(cast):
    from django.utils import timezone

    get_user_model().objects.filter(pk=cast.staff.pk).update(last_login=timezone.now(), language="sv")
    token = Token.objects.create(user=cast.staff)
    user, _ = TokenAuthentication().authenticate_credentials(token.key)
    orm = get_user_model().objects.get(pk=cast.staff.pk)
    for field in orm._meta.concrete_fields:
        ours, theirs = getattr(user, field.attname), getattr(orm, field.attname)
        assert (ours, type(ours)) == (theirs, type(theirs)), field.name
    assert timezone.is_aware(user.last_login) and user.is_staff is True
    assert user._state.adding is False and user._state.db == "default"
    assert user.get_deferred_fields() == set()


def test_a_wrong_token_or_an_inactive_users_gets_401_as_before(cast):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get(URL)
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid token."})
    inactive = token_client(cast.client)
    get_user_model().objects.filter(pk=cast.client.pk).update(is_active=False)
    response = inactive.get(URL)
    assert (response.status_code, response.json()) == (401, {"detail": "User inactive or deleted."})
    swedish = inactive.get(URL, HTTP_ACCEPT_LANGUAGE="sv")
    assert swedish.json() == {"detail": "Användaren är inaktiv eller borttagen."}


def test_the_token_and_its_user_are_one_query(cast, django_assert_num_queries):
    token = Token.objects.create(user=cast.client)
    with django_assert_num_queries(1):
        user, _ = TokenAuthentication().authenticate_credentials(token.key)
        assert user.get_full_name() is not None
