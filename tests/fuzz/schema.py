"""The API schema the fuzz runs on, and the checks every answer must pass (see test_schema_fuzz).

The schema is drf-spectacular's, made once at import: the same document /api/schema/ serves.
"""

import json
from urllib.parse import unquote

import schemathesis
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.core.failures import Failure


def api_schema() -> dict:
    """The schema /api/schema/ serves, as plain JSON types."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(document, default=str))


SCHEMA_DOCUMENT = api_schema()
SCHEMA = schemathesis.openapi.from_dict(SCHEMA_DOCUMENT)
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}


# -- Checks of our own ----------------------------------------------------------------------------


class UndeclaredSuccess(Failure):
    code = "CD001"
    checks = ("success_is_declared",)
    kind_title = "Success status not in the schema"


class RefusalWithoutReason(Failure):
    code = "CD002"
    checks = ("refusal_says_why",)
    kind_title = "Refusal without a message"


def success_is_declared(ctx, response, case):
    """A 2xx must be one the operation declares: a client reads the body by the declared code."""
    declared = case.operation.responses.status_codes
    if 200 <= response.status_code < 300 and str(response.status_code) not in declared:
        raise UndeclaredSuccess(
            operation=case.operation.label,
            title="Success status not in the schema",
            message=f"Received {response.status_code}; declared: {', '.join(declared)}",
        )


def _has_message(body) -> bool:
    if isinstance(body, str):
        return bool(body.strip())
    if isinstance(body, list):
        return bool(body) and all(_has_message(item) for item in body)
    if isinstance(body, dict):
        return bool(body) and all(_has_message(value) for value in body.values())
    return False


def _routed(path: str) -> bool:
    try:
        resolve(unquote(path))
    except Resolver404:
        return False
    return True


def refusal_says_why(ctx, response, case):
    """A 4xx is JSON naming the reason, never an empty body or an HTML page.

    Except the site's own 404 page for a path no URL pattern matches (an id of "1e-9": the router
    takes no dot in an id), which Django answers before any API view runs.
    """
    if not 400 <= response.status_code < 500:
        return
    if response.status_code == 404 and not _routed(case.formatted_path):
        return
    content_type = response.headers.get("content-type", [""])[0]
    body = None
    if content_type.startswith("application/json"):
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
    if not _has_message(body):
        raise RefusalWithoutReason(
            operation=case.operation.label,
            title="Refusal without a message",
            message=f"{response.status_code} {content_type}: {response.content[:300]!r}",
        )


CHECKS = [
    not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
    success_is_declared,
    refusal_says_why,
]


def checked_call(label: str, headers: dict, app, **case_data):
    """Send one request made by hand through the fuzz's checks; the response."""
    case = OPERATIONS[label].Case(**case_data)
    response = case.call(app=app, headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
    return response
