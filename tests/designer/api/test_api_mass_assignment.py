"""No mass assignment: every write schema refuses every server-owned field.

For each POST, PUT and PATCH of the OpenAPI document a case gives a body the
operation accepts; the test adds one server-owned field at a time — at the top and
inside every nested object the body holds (``lines[0]``, ``effects[0].lines[0]``), or
in the query string of a multipart upload — and expects 422 ``request.server_owned_field`` naming exactly that field, and no
other error (so the rest of the body is valid). Meta-tests fail when a write
operation, or a schema nested in one, has no case.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from desk import FORM
from openapi_world import (
    API,
    BACKENDS,
    FLOW,
    WRITES,
    Upload,
    World,
    body_schema,
    operations,
    resolve,
    schema_name,
    shared_world,
    transfer,
)

from designer.api.problems import SERVER_OWNED

# docs/api.md and issue 7 name these; the API treats the rest of SERVER_OWNED the same.
DOCUMENTED = ("tenant_id", "id", "status", "created_by", "created_at", "version", "revision")
FIELDS = (*DOCUMENTED, *sorted(SERVER_OWNED - set(DOCUMENTED)))
VALUES = {"tenant_id": 2, "tenant": "rival", "status": "approved", "version": 2,
          "revision": 2, "prefix": "flt_x", "hash": "x", "secret_hash": "x",
          "password_hash": "x"}
TIMESTAMP = "2024-01-01T00:00:00Z"
# Fields a write schema declares on purpose although the name is server-owned elsewhere.
CLIENT_OWNED = {("post", f"{API}/session"): {"tenant"},  # which tenant to sign in to
                ("post", f"{API}/ledger/postings"): {"version"}}  # the client's own version

Body = tuple[str, Any, str | None]  # url, body (JSON or an Upload), caller
Case = Callable[[World], Body]
CASES: dict[tuple[str, str], Case] = {}


def case(method: str, path: str) -> Callable[[Case], Case]:
    def register(func: Case) -> Case:
        CASES[(method, f"{API}/{path}")] = func
        return func
    return register


def value_for(name: str) -> Any:
    if name in VALUES:
        return VALUES[name]
    return TIMESTAMP if name.endswith("_at") else 1


# one accepted body per write operation -------------------------------------------------------

case("post", "session")(lambda w: ("session", {"username": "admin", "password": "x"}, None))
case("post", "users")(lambda w: ("users", {"username": "new.one", "roles": ["viewer"]},
                                 "admin"))
case("patch", "users/{user_id}/membership")(
    lambda w: (f"users/{w.users['scratch']}/membership", {"department": "d0"}, "admin"))
case("post", "users/{user_id}/roles")(
    lambda w: (f"users/{w.users['scratch']}/roles", {"role": "viewer"}, "admin"))
case("post", "roles")(lambda w: ("roles", {"key": "k", "labels": {"en": "K"}}, "admin"))
case("post", "departments")(lambda w: ("departments", {"code": "d", "parent": "d0"}, "admin"))
case("post", "tokens")(lambda w: ("tokens", {"name": "t", "user_id": w.users["plain"]},
                                  "admin"))
case("post", "items")(lambda w: ("items", {"code": "N", "name": "N", "base_unit": "p",
                                           "units": {"box": "6"}}, "admin"))
case("post", "locations")(lambda w: ("locations", {"code": "L", "name": "L", "kind": "store",
                                                   "parent": "HQ"}, "admin"))
case("post", "batches")(lambda w: ("batches", {"item": "MILK", "code": "B",
                                               "expiry": "2030-01-01"}, "admin"))
case("put", "items/{item_id}/boms/{kind}")(
    lambda w: (f"items/{w.ids['KIT']}/boms/bom",
               {"output_qty": "1", "lines": [{"component": "A1", "qty": "2"}]}, "admin"))


@case("post", "ledger/postings")
def _postings(w: World) -> Body:
    return ("ledger/postings", {"document": "ERP-1", "version": 1, "event": "approved",
                                "effects": [{"key": "c1", "operation": "count", "lines": [
                                    {"item_id": w.ids["A1"], "location_id": w.ids["S1"],
                                     "counted": "3"}]}]}, "admin")


case("post", "sales/batch")(lambda w: ("sales/batch", {"sales": [
    {"client_id": "till-1", "location": "S1", "lines": [{"item": "A1", "qty": "1"}]}]},
    "admin"))
case("put", "definitions/{kind}/{key}/draft")(
    lambda w: ("definitions/flow/transfer/draft", {"body": FLOW}, "admin"))
case("post", "definitions/{kind}/{key}/validate")(
    lambda w: ("definitions/form/transfer/validate", {"body": FORM}, "admin"))
case("post", "definitions/{kind}/{key}/publish")(
    lambda w: ("definitions/form/transfer/publish", {"body": FORM}, "admin"))
case("post", "definitions/rules/{key}/dry-run")(
    lambda w: ("definitions/rules/transfer/dry-run",
               {"document_id": w.ids["document"], "event": "approved"}, "admin"))
case("put", "forms/{key}/access")(
    lambda w: ("forms/memo/access", {"create": ["viewer"], "view": {"*": "own"},
                                     "submitter_fields": {"total": "read"}}, "admin"))
case("post", "documents/{document_id}/attachments")(
    lambda w: (f"documents/{w.memo('admin')}/attachments?field=files", Upload(), "admin"))
case("post", "templates/{key}/install")(
    lambda w: ("templates/retail/install", {"demo": False}, "admin"))
case("post", "templates/{key}/upgrade")(
    lambda w: ("templates/retail/upgrade", {"dry_run": True}, "admin"))
case("post", "documents")(
    lambda w: ("documents", {"form": "transfer", "data": transfer()}, "admin"))
case("post", "documents/submit")(
    lambda w: ("documents/submit", {"form": "transfer", "data": transfer(),
                                    "chosen": {"boss": ["admin"]}}, "admin"))
case("put", "documents/{document_id}")(
    lambda w: (f"documents/{w.draft('admin')}", {"data": transfer("2")}, "admin"))
case("post", "documents/{document_id}/submit")(
    lambda w: (f"documents/{w.draft('admin')}/submit", {}, "admin"))
case("post", "documents/{document_id}/actions")(
    lambda w: (f"documents/{w.ids['document']}/actions",
               {"action": "approve", "comment": "ok"}, "admin"))
case("post", "documents/{document_id}/preview")(
    lambda w: (f"documents/{w.ids['document']}/preview", {"action": "approve"}, "admin"))


# where a field can go ------------------------------------------------------------------------

def places(spec: dict[str, Any], schema: dict[str, Any], body: dict[str, Any],
           path: str = "", name: str | None = None
           ) -> Iterator[tuple[str, dict[str, Any], str | None]]:
    """(path, schema, schema name) of the body and of every object nested in it."""
    yield path, schema, name
    prefix = f"{path}." if path else ""
    for prop, sub in schema.get("properties", {}).items():
        value, nested = body.get(prop), schema_name(sub)
        if nested is None:
            continue
        inner = resolve(spec, sub.get("items", sub))
        if isinstance(value, list) and value and isinstance(value[0], dict):
            yield from places(spec, inner, value[0], f"{prefix}{prop}[0]", nested)
        elif isinstance(value, dict):
            yield from places(spec, inner, value, f"{prefix}{prop}", nested)


def with_field(body: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    sent = copy.deepcopy(body)
    target: Any = sent
    for part in filter(None, path.replace("]", "").replace("[", ".").split(".")):
        target = target[int(part)] if isinstance(target, list) else target[part]
    target[name] = value_for(name)
    return sent


def problems(response: Any) -> list[tuple[str, str | None, str | None]]:
    return sorted((e["code"], e["source"].get("path"), e["source"].get("in"))
                  for e in (response.get_json(silent=True) or {}).get("errors", []))


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from shared_world(request, tmp_path_factory)


def tries(world: World, operation: tuple[str, str], url: str, body: Any
          ) -> Iterator[tuple[str, str, Any, str]]:
    """(field as named in the error, url, body, where) for every server-owned field at
    every place of the request: in a JSON body and the objects nested in it, or — for
    a multipart upload, whose form parts are files — in the query string."""
    if isinstance(body, Upload):
        for name in FIELDS:
            yield name, f"{url}&{name}={value_for(name)}", body, "query"
        return
    schema = body_schema(world.spec, operations(world.spec)[operation])
    assert schema is not None and schema.get("additionalProperties") is False, operation
    for path, part, _ in places(world.spec, schema, body):
        declared = set(part.get("properties", {}))
        allowed = CLIENT_OWNED.get(operation, set()) if path == "" else set()
        assert not (declared & set(FIELDS)) - allowed, \
            f"{operation} {path or 'body'} declares server-owned fields as writable"
        for name in FIELDS:
            if name not in declared:
                named = f"{path}.{name}" if path else name
                yield named, url, with_field(body, path, name), "body"


@pytest.mark.parametrize("operation", sorted(CASES), ids=lambda o: f"{o[0]} {o[1]}")
def test_a_write_refuses_every_server_owned_field(world: World,
                                                  operation: tuple[str, str]) -> None:
    method = operation[0].upper()
    url, body, who = CASES[operation](world)
    failures = []
    for named, sent_url, sent, where in tries(world, operation, url, body):
        response = world.call(method, sent_url, who, json=sent, address=world.address())
        got = (response.status_code, (response.get_json(silent=True) or {}).get("code"),
               problems(response))
        want = (422, "request.server_owned_field", [("field.server_owned", named, where)])
        if got != want:
            failures.append(f"{named}: {got}")
    assert failures == [], f"{method} {url}:\n" + "\n".join(failures)


def test_every_write_operation_has_a_mass_assignment_case(world: World) -> None:
    writes = {key for key, op in operations(world.spec).items()
              if key[0] in WRITES and "requestBody" in op}
    assert writes - set(CASES) == set(), "write operations without a mass-assignment case"
    assert set(CASES) <= writes


def test_every_nested_write_schema_is_reached_by_a_case(world: World) -> None:
    """A schema inside a write body (BOM lines, effects, count lines, sales, sale lines)
    gets the fields too: each one must occur in some case's body."""
    spec, reached, nested = world.spec, set(), set()
    for key, build in CASES.items():
        schema = body_schema(spec, operations(spec)[key])
        if schema is None:  # multipart
            continue
        nested |= set(_nested_names(spec, schema))
        url, body, _ = build(world)
        reached |= {name for _, _, name in places(spec, schema, body) if name}
    assert nested - reached == set(), "nested write schemas no case fills in"


def _nested_names(spec: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    for sub in schema.get("properties", {}).values():
        name = schema_name(sub)
        if name is not None:
            yield name
            yield from _nested_names(spec, resolve(spec, sub.get("items", sub)))
