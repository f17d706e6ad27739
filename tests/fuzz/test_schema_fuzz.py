"""Every API operation fuzzed from its OpenAPI schema, as each user of the cast (make fuzz).

Schemathesis generates requests from the schema drf-spectacular makes, valid ones and invalid ones
mixed; each is sent through the real WSGI application with the user's API token, and the answer is
checked:

- never a 5xx (`not_a_server_error`);
- a success's status code is one the schema declares, and its body and content type match the
  schema (`response_schema_conformance`, `content_type_conformance`);
- every refusal (4xx) is JSON that says why: `{"detail": "…"}` or `{field: ["…"]}`.

Undeclared 4xx codes are allowed on purpose (schemathesis's `status_code_conformance` is not run):
the schema does not repeat 401/403/404/405 on every operation, the README states them once for the
whole API, and the refusal check above holds every one of them to a message.

About half the path ids, filters and body references are swapped for ids of real records, so the
requests get past the 404 and into the views; the other half stay random. FUZZ_EXAMPLES (default
25) sets the examples per operation and user.
"""

import json
import os
from urllib.parse import unquote

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.core.failures import Failure

from audits.models import Audit, AuditDay, Certificate, Clause, Standard, TeamMember
from clients.models import Organization, Site
from findings.models import Evidence, Finding, Nonconformity
from tests.conftest import CAST_NAMES

pytestmark = pytest.mark.fuzz

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


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


# -- Aiming at real records ------------------------------------------------------------------------

# The model behind each collection's {id}.
PATH_MODELS = {
    "/api/v1/organizations/": Organization,
    "/api/v1/sites/": Site,
    "/api/v1/standards/": Standard,
    "/api/v1/audits/": Audit,
    "/api/v1/evidence/": Evidence,
    "/api/v1/findings/": Finding,
    "/api/v1/nonconformities/": Nonconformity,
    "/api/v1/certificates/": Certificate,
}
# The model behind a body field or filter of that name.
REFERENCE_MODELS = {
    "organization": Organization,
    "site": Site,
    "audit": Audit,
    "finding": Finding,
    "clause": Clause,
    "programme": None,  # filled from the audits below
    "user": None,
    "member": TeamMember,
    "day": AuditDay,
}


def record_ids(world) -> dict[str, list]:
    """Ids of every record in the world, visible to the caller or not (outsiders must get 404)."""
    ids = {prefix: list(model.objects.values_list("pk", flat=True)) for prefix, model in PATH_MODELS.items()}
    for name, model in REFERENCE_MODELS.items():
        if model is not None:
            ids[name] = list(model.objects.values_list("pk", flat=True))
    ids["programme"] = [pk for pk in Audit.objects.values_list("programme_id", flat=True) if pk]
    ids["user"] = [user.pk for user in vars(world.cast).values() if hasattr(user, "is_authenticated")]
    ids["standards"] = list(Standard.objects.values_list("code", flat=True))
    ids["sites"] = ids["site"]
    ids["number"] = list(Certificate.objects.values_list("number", flat=True))
    ids["version"] = [1, 2]
    return ids


def _maybe_real(data, pool, value):
    if not pool or not data.draw(st.booleans(), label="real record"):
        return value
    return data.draw(st.sampled_from(pool), label="record")


def aim_at_real_records(case, ids, data) -> None:
    """Swap about half the ids the generator made up for ids of real records."""
    for name in list(case.path_parameters or {}):
        if name == "id":
            prefix = next(p for p in PATH_MODELS if case.operation.path.startswith(p))
            case.path_parameters[name] = _maybe_real(data, ids[prefix], case.path_parameters[name])
        elif name in ids:
            case.path_parameters[name] = _maybe_real(data, ids[name], case.path_parameters[name])
    for name in list(case.query or {}):
        if name in ids:
            case.query[name] = _maybe_real(data, ids[name], case.query[name])
    if isinstance(case.body, dict):
        for name in list(case.body):
            if name in ("standards", "sites") and ids.get(name):
                if data.draw(st.booleans(), label="real records"):
                    case.body[name] = data.draw(st.lists(st.sampled_from(ids[name]), max_size=3))
            elif name in ids:
                case.body[name] = _maybe_real(data, ids[name], case.body[name])


# -- The fuzz -------------------------------------------------------------------------------------


@pytest.fixture
def wsgi():
    """The WSGI app with the per-request connection clean-up off, as Django's test client has it.

    The test's transaction must survive the requests: closing the connection between them would
    end it.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def cases(operation):
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            strategies.append(operation.as_strategy(mode))
        except Exception:  # noqa: S112 - an operation with nothing to make invalid has no negative cases
            continue
    return st.one_of(strategies)


@pytest.mark.parametrize("user_name", CAST_NAMES)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_it_answers_every_request_within_the_schema(world, wsgi, user_name, label):
    operation = OPERATIONS[label]
    headers = world.headers(user_name)
    ids = record_ids(world)

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        print_blob=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(operation), data=st.data())
    def fuzz(case, data):
        aim_at_real_records(case, ids, data)
        response = case.call(app=wsgi, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    fuzz()


# -- The schema describes every endpoint ------------------------------------------------------------

# Operations that take no body on purpose; any other POST, PUT or PATCH must describe its body.
TAKES_NO_BODY = {"v1_audits_compute_time_create"}
# Operations that never succeed on purpose, and say so with the refusal they always give.
NEVER_SUCCEEDS = {"v1_audits_destroy"}


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMA_DOCUMENT["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _described(schema: dict) -> bool:
    """A body schema that says something: fields, items, a type of its own; not an empty `{}`."""
    schema = _resolve(schema)
    if "allOf" in schema or "oneOf" in schema or "anyOf" in schema:
        parts = schema.get("allOf") or schema.get("oneOf") or schema.get("anyOf")
        return all(_described(part) for part in parts)
    if schema.get("type") == "object":
        return bool(schema.get("properties"))
    if schema.get("type") == "array":
        return _described(schema.get("items", {}))
    return "type" in schema or "enum" in schema


def _operations():
    for path, item in SCHEMA_DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def schema_gaps() -> list[str]:
    """Every operation whose request or success response the schema leaves undescribed."""
    gaps = []
    for path, method, operation in _operations():
        name = f"{method.upper()} {path} ({operation['operationId']})"
        successes = {code: answer for code, answer in operation["responses"].items() if code.startswith("2")}
        if not successes and operation["operationId"] not in NEVER_SUCCEEDS:
            gaps.append(f"{name}: no success response")
        for code, answer in successes.items():
            content = answer.get("content", {})
            if code == "204":
                if content:
                    gaps.append(f"{name}: 204 with a body")
                continue
            if not content:
                gaps.append(f"{name}: {code} without a body")
            for media_type, body in content.items():
                binary = media_type != "application/json" and body.get("schema", {}).get("format") == "binary"
                if not (binary or _described(body.get("schema", {}))):
                    gaps.append(f"{name}: {code} {media_type} body not described")
        if method in ("post", "put", "patch") and operation["operationId"] not in TAKES_NO_BODY:
            content = operation.get("requestBody", {}).get("content", {})
            if not content:
                gaps.append(f"{name}: request body not described")
            for media_type, body in content.items():
                if not _described(body.get("schema", {})):
                    gaps.append(f"{name}: request {media_type} not described")
    return gaps


def test_it_describes_every_operation_with_its_bodies():
    assert schema_gaps() == []
    assert len(OPERATIONS) >= 50  # every router and view made it in, not a broken generator


def test_it_finds_an_undescribed_body(monkeypatch):
    # The walk above must be able to fail: a response with no body and a request left out.
    operation = SCHEMA_DOCUMENT["paths"]["/api/v1/sites/"]["post"]
    monkeypatch.setitem(operation["responses"], "201", {"description": "Created"})
    monkeypatch.delitem(operation, "requestBody")
    assert schema_gaps() == [
        "POST /api/v1/sites/ (v1_sites_create): 201 without a body",
        "POST /api/v1/sites/ (v1_sites_create): request body not described",
    ]


def test_it_serves_the_schema_it_fuzzes(world, api):
    # The fuzz runs on the generator's output; it must be what /api/schema/ serves.
    served = api(world.cast.staff).get("/api/schema/", {"format": "json"}).json()
    assert served == SCHEMA_DOCUMENT
