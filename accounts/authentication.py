"""API authentication: DRF's token and session schemes, tried in that order (REST_FRAMEWORK).

The token's user is read in one plain query; a session that still owes its one-time code is refused.
"""

import functools
import weakref

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from accounts.two_factor import CODE_OWED_ON_API, owed_step


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's TokenAuthentication (the same header, answers and errors), cheaper per request.

    DRF reads the token with `select_related("user").get(key=...)`: on every API call the ORM
    spent ten times as long building that query as the database spent answering it (0.4 ms of
    a client's 2.5 ms organisation list). Here the same join is written once, from the models'
    metadata, and its row becomes the user as the ORM would make it (`user_by_token`).
    """

    def authenticate_credentials(self, key):
        user = user_by_token(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # The token as read from the database, its `created` left to load if anyone asks.
        token = Token.from_db(user._state.db, ["key", "user_id"], [key, user.pk])
        token.user = user
        return (user, token)


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's SessionAuthentication (CSRF included), refusing a session that still owes its code.

    Here, where DRF has settled which credential authenticates the call, is where two-factor is
    asked of the API: DRF tries the token first, so a valid token is the credential and the session
    is never read, and an invalid one is refused as such (401). Only a call that sent no token
    reaches the session, and a session that logged in with its password but has not entered its
    code (or set up the app its role requires) gets 403, whatever other headers came with it.
    TwoFactorMiddleware asks the same of every page.
    """

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None and owed_step(found[0], request.session) is not None:
            raise exceptions.PermissionDenied(CODE_OWED_ON_API)
        return found


class SessionAuthenticationScheme(SessionScheme):
    """The session cookie in the OpenAPI schema, as drf-spectacular describes DRF's own class."""

    target_class = SessionAuthentication


# Per database connection: each of the user's columns with the converters the ORM applies to it
# (database values to Python values: SQLite's dates and booleans, say), as its compiler finds them.
_converters_by_connection: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def user_by_token(key: str):
    """The user holding this API token, or None: one query, a user as `User.objects.get` gives it."""
    model = get_user_model()
    alias = router.db_for_read(model)
    connection = connections[alias]
    converters = _converters_by_connection.get(connection)
    if converters is None:
        converters = _converters_by_connection[connection] = _column_converters(model, connection)
    with connection.cursor() as cursor:
        cursor.execute(_user_by_token_sql(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, column, functions in converters:
        for convert in functions:
            values[index] = convert(values[index], column, connection)
    return model.from_db(alias, [field.attname for field in model._meta.concrete_fields], values)


def _column_converters(model, connection) -> list:
    """(position, column, converters) for each column that needs converting, as SQLCompiler's
    get_converters finds them: the backend's for the column's type, then the field's own."""
    table = model._meta.db_table
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            found.append((index, column, functions))
    return found


@functools.cache
def _user_by_token_sql() -> str:
    users = get_user_model()._meta
    tokens = Token._meta
    user_column = tokens.get_field("user").column
    key_column = tokens.get_field("key").column
    columns = ", ".join(f"u.{field.column}" for field in users.concrete_fields)
    # Names from the models' metadata, the key as a parameter: nothing from outside reaches the text.
    return (
        f"SELECT {columns} FROM {users.db_table} u"  # noqa: S608
        f" INNER JOIN {tokens.db_table} t ON t.{user_column} = u.{users.pk.column}"
        f" WHERE t.{key_column} = %s"
    )
