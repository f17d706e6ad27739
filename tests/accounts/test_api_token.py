"""The API's token: DRF's TokenAuthentication, the token and its user read in one query."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import token_client

pytestmark = pytest.mark.django_db


URL = "/api/v1/organizations/"


def test_anonymous_gets_401(cast):
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_or_an_inactive_users_gets_401(cast):
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
        user, auth = TokenAuthentication().authenticate_credentials(token.key)
        assert user.get_full_name() is not None
    assert (user.pk, auth.pk) == (cast.client.pk, token.key)
