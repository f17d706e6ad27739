"""API token authentication: DRF's, with the token and its user read in one plain query."""

import functools
import weakref

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token


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
