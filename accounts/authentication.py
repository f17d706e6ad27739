"""API token authentication: DRF's, with the token and its user read in one plain query."""

import functools

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's TokenAuthentication (the same header, answers and errors), cheaper per request.

    DRF reads the token with `select_related("user").get(key=...)`: on every API call the ORM
    spent ten times as long building that query as the database spent answering it (0.4 ms of
    a client's 2.5 ms organisation list). Here the same join is written once, from the models'
    metadata, and the user comes back as a model instance through `raw()`.
    """

    def authenticate_credentials(self, key):
        user = next(iter(get_user_model().objects.raw(_user_by_token_sql(), [key])), None)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # The token as read from the database, its `created` left to load if anyone asks.
        token = Token.from_db(user._state.db, ["key", "user_id"], [key, user.pk])
        token.user = user
        return (user, token)


@functools.cache
def _user_by_token_sql() -> str:
    users = get_user_model()._meta
    tokens = Token._meta
    user_column = tokens.get_field("user").column
    key_column = tokens.get_field("key").column
    # Names from the models' metadata, the key as a parameter: nothing from outside reaches the text.
    return (
        f"SELECT u.* FROM {users.db_table} u"  # noqa: S608
        f" INNER JOIN {tokens.db_table} t ON t.{user_column} = u.{users.pk.column}"
        f" WHERE t.{key_column} = %s"
    )
