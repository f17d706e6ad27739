"""Every API operation fuzzed from its OpenAPI schema, as each user of the cast (make fuzz).

Schemathesis generates requests from the schema drf-spectacular makes, valid ones and invalid ones
mixed; each is sent through the real WSGI application with the user's API token, and the answer is
checked (the checks are in tests/fuzz/schema.py):

- never a 5xx (`not_a_server_error`);
- a success's status code is one the schema declares, and its body and content type match the
  schema (`response_schema_conformance`, `content_type_conformance`);
- every refusal (4xx) is JSON that says why: `{"detail": "…"}` or `{field: ["…"]}`; the one
  exception is the site's HTML 404 page for a path no URL pattern matches (an id such as "1e-9":
  the router takes no dot in an id), which Django sends before any API code runs.

Undeclared 4xx codes are allowed on purpose (schemathesis's `status_code_conformance` is not run):
the schema does not repeat 401/403/404/405 on every operation, the README states them once for the
whole API, and the refusal check above holds every one of them to a message.

About half the path ids, filters and body references are swapped for ids of real records, so the
requests get past the 404 and into the views; the other half stay random. FUZZ_EXAMPLES (default
25) sets the examples per operation and user; under CI the examples are the same every run.
"""

from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.response import Response
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.openapi.checks import JsonSchemaError

from accounts.models import User
from audits.models import Audit, AuditDay, TeamMember
from certificates.models import Certificate, CertificateEvent, Decision
from clients.models import Organization, Site
from complaints.models import Appeal, Complaint
from findings.models import Evidence, Finding, Nonconformity
from standards.api import StandardSerializer, StandardViewSet
from standards.models import Clause, Standard
from tests.conftest import CAST_NAMES
from tests.fuzz.conftest import FUZZ_DERANDOMIZE, FUZZ_EXAMPLES
from tests.fuzz.schema import (
    CHECKS,
    OPERATIONS,
    SCHEMA_DOCUMENT,
    RefusalWithoutReason,
    UndeclaredSuccess,
)
from transfers.models import OtherBodyNonconformity, ReviewItem, Transfer

pytestmark = pytest.mark.fuzz


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
    "/api/v1/transfers/": Transfer,
    "/api/v1/complaints/": Complaint,
    "/api/v1/appeals/": Appeal,
}
# The model behind a body field or filter of that name.
REFERENCE_MODELS = {
    "organization": Organization,
    "site": Site,
    "audit": Audit,
    "finding": Finding,
    "clause": Clause,
    "member": TeamMember,
    "day": AuditDay,
    "item": ReviewItem,
    "reviewer": User,
    "certificate": Certificate,
    "decision": Decision,
    "certificate_event": CertificateEvent,
    "nonconformity": Nonconformity,
    "handler": User,
    "investigator": User,
}


def record_ids(world) -> dict[str, list]:
    """Ids of every record in the world, visible to the caller or not (outsiders must get 404)."""
    ids = {prefix: list(model.objects.values_list("pk", flat=True)) for prefix, model in PATH_MODELS.items()}
    for name, model in REFERENCE_MODELS.items():
        ids[name] = list(model.objects.values_list("pk", flat=True))
    # A transfer's "nonconformity" is the issuing body's, an appeal's ours: both pools.
    ids["nonconformity"] += list(OtherBodyNonconformity.objects.values_list("pk", flat=True))
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


def cases(operation):
    """Requests the schema allows and requests it forbids, about half each."""
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )


def fuzz_operation(world, wsgi, user_name: str, label: str, examples: int = FUZZ_EXAMPLES) -> Counter:
    """Fuzz one operation as one user; the status codes seen, or the first failure raised."""
    operation = OPERATIONS[label]
    headers = world.headers(user_name)
    ids = record_ids(world)
    seen = Counter()

    @settings(
        max_examples=examples,
        derandomize=FUZZ_DERANDOMIZE,
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
        seen[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    fuzz()
    return seen


@pytest.mark.parametrize("user_name", CAST_NAMES)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_it_answers_every_request_within_the_schema(world, wsgi, user_name, label):
    fuzz_operation(world, wsgi, user_name, label)


# -- The fuzz can fail ------------------------------------------------------------------------------


def test_it_reaches_real_records(world, wsgi):
    # Random ids alone would only ever meet 404s; about half are real ones.
    seen = fuzz_operation(world, wsgi, "staff", "GET /api/v1/audits/{id}/", examples=20)
    assert seen[200] and seen[404]


def test_it_catches_a_server_error(world, wsgi, monkeypatch):
    monkeypatch.setattr(StandardViewSet, "list", lambda self, request: 1 / 0)
    with pytest.raises(FailureGroup) as caught:
        fuzz_operation(world, wsgi, "staff", "GET /api/v1/standards/", examples=5)
    assert caught.group_contains(ServerError)


def test_it_catches_an_answer_the_schema_does_not_describe(world, wsgi, monkeypatch):
    monkeypatch.setattr(StandardSerializer, "to_representation", lambda self, standard: {"id": "one"})
    with pytest.raises(FailureGroup) as caught:
        fuzz_operation(world, wsgi, "staff", "GET /api/v1/standards/{id}/", examples=20)
    assert caught.group_contains(JsonSchemaError)


def test_it_catches_a_success_the_schema_does_not_declare(world, wsgi, monkeypatch):
    monkeypatch.setattr(StandardViewSet, "list", lambda self, request: Response({}, status=202))
    with pytest.raises(FailureGroup) as caught:
        fuzz_operation(world, wsgi, "staff", "GET /api/v1/standards/", examples=5)
    assert caught.group_contains(UndeclaredSuccess)


def test_it_catches_a_refusal_without_a_reason(world, wsgi, monkeypatch):
    monkeypatch.setattr(StandardViewSet, "list", lambda self, request: Response(status=400))
    with pytest.raises(FailureGroup) as caught:
        fuzz_operation(world, wsgi, "staff", "GET /api/v1/standards/", examples=5)
    assert caught.group_contains(RefusalWithoutReason)


# -- The schema describes every endpoint ------------------------------------------------------------

# Operations that take no body on purpose; any other POST, PUT or PATCH must describe its body.
# Steps of a transfer that the state alone decides (start and complete the review, add the visit).
TAKES_NO_BODY: set[str] = {
    "v1_transfers_start_review_create",
    "v1_transfers_complete_review_create",
    "v1_transfers_visit_create",
}
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
