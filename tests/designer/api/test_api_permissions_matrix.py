"""Permissions per role: every operation, called by every kind of member.

The permission an operation needs is its ``x-permission`` in the OpenAPI document;
what each caller holds follows the role → permission map of ``designer.auth``
(docs/api.md, "Permissions"). For every operation, each caller — the admin, a member
without roles, one member per conventional role and one per role named after a
permission — makes a request the operation would carry out: a caller without the
permission gets 403 ``auth.permission_denied`` naming it, a caller with it does not
get 401 or 403, and no credential at all gets 401. Meta-tests fail when an operation
has no case or declares no permission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from desk import FORM
from openapi_world import (
    API,
    BACKENDS,
    FLOW,
    PASSWORD,
    Upload,
    World,
    callers,
    expected_permissions,
    operations,
    shared_world,
    transfer,
)

from designer.auth import MEMBER_PERMISSIONS, PERMISSIONS

CALLERS = callers()
Request = tuple[str, str, Any]  # method, url, body
Build = Callable[[World, str | None], Request]
CASES: dict[tuple[str, str], Build] = {}
PUBLIC = {None, "none"}  # x-permission of operations anyone may call


def case(method: str, path: str, build: Build | None = None) -> Callable[[Build], Build]:
    """Register how ``who`` (None: no credential) calls ``method path``."""
    def register(func: Build) -> Build:
        CASES[(method, f"{API}/{path}")] = func
        return func
    if build is not None:
        register(build)
    return register


def read(path: str) -> Build:
    """A GET of fixed objects, the same for everyone."""
    return lambda w, who: ("GET", path.format(**w.ids), None)


def holds(who: str, permission: str) -> bool:
    admin, roles = CALLERS[who]
    return permission in expected_permissions(admin=admin, roles=roles)


# session, health, identity -----------------------------------------------------------------

case("get", "health", read("health"))
case("get", "session", read("session"))
case("post", "session", lambda w, who: ("POST", "session",
                                        {"username": "admin", "password": PASSWORD}))
case("delete", "session", lambda w, who: ("DELETE", "session", None))
case("get", "tenants", read("tenants"))
case("get", "users", read("users"))
case("get", "users/{user_id}", lambda w, who: ("GET", f"users/{w.users['scratch']}", None))
case("post", "users", lambda w, who: ("POST", "users", {"username": w.unique("new")}))
case("patch", "users/{user_id}/membership", lambda w, who: (
    "PATCH", f"users/{w.users['scratch']}/membership", {"department": "d0"}))
case("post", "users/{user_id}/roles", lambda w, who: (
    "POST", f"users/{w.users['scratch']}/roles", {"role": "viewer"}))
case("get", "roles", read("roles"))
case("post", "roles", lambda w, who: ("POST", "roles", {"key": w.unique("role")}))
case("get", "departments", read("departments"))
case("post", "departments", lambda w, who: ("POST", "departments", {"code": w.unique("d")}))
case("get", "tokens", read("tokens"))
case("post", "tokens", lambda w, who: ("POST", "tokens", {"name": "mine"}))


def own_token(w: World, who: str | None) -> int:
    """A fresh token of the caller (of the admin for anonymous calls)."""
    return int(w.made("POST", "tokens", who or "admin", json={"name": "spare"})["id"])


case("get", "tokens/{token_id}", lambda w, who: ("GET", f"tokens/{own_token(w, who)}", None))
case("delete", "tokens/{token_id}",
     lambda w, who: ("DELETE", f"tokens/{own_token(w, who)}", None))

# master data, stock, postings, audit ---------------------------------------------------------

case("get", "items", read("items"))
case("post", "items", lambda w, who: ("POST", "items", {
    "code": w.unique("ITEM-"), "name": "x", "base_unit": "piece"}))
case("get", "items/{item_id}", read("items/{A1}"))
case("get", "locations", read("locations"))
case("post", "locations", lambda w, who: ("POST", "locations", {
    "code": w.unique("LOC-"), "name": "x", "kind": "store", "parent": "HQ"}))
case("get", "locations/tree", read("locations/tree"))
case("get", "locations/{location_id}", read("locations/{WH}"))
case("get", "batches", read("batches"))
case("post", "batches", lambda w, who: ("POST", "batches", {
    "item": "MILK", "code": w.unique("B"), "expiry": "2030-01-01"}))
case("get", "batches/{batch_id}", read("batches/{L1}"))
case("get", "boms", read("boms"))
case("get", "items/{item_id}/boms/{kind}", read("items/{KIT}/boms/bom"))
case("put", "items/{item_id}/boms/{kind}", lambda w, who: (
    "PUT", f"items/{w.ids['KIT']}/boms/bom", {"lines": [{"component": "A1", "qty": "2"}]}))
case("get", "items/{item_id}/boms/{kind}/explosion", read("items/{KIT}/boms/bom/explosion?qty=1"))
case("get", "stock/balances", read("stock/balances"))
case("get", "stock/movements", read("stock/movements"))
case("get", "stock/expiring", read("stock/expiring"))
case("get", "stock/reorder", read("stock/reorder"))
case("get", "stock/valuation", read("stock/valuation"))
case("get", "stock/locks", read("stock/locks"))
case("get", "audit/events", read("audit/events"))
case("get", "audit/verify", read("audit/verify"))
case("get", "ledger/verify", read("ledger/verify"))


@case("post", "ledger/postings")
def _posting(w: World, who: str | None) -> Request:
    key = w.unique("perm:")
    return ("POST", "ledger/postings", {"document": key, "event": "approved", "effects": [
        {"key": key, "operation": "receive", "item_id": w.ids["A1"], "qty": "1",
         "to_location_id": w.ids["WH"]}]})


case("post", "sales/batch", lambda w, who: ("POST", "sales/batch", {"sales": [
    {"client_id": w.unique("till-"), "location": "S1", "lines": [{"item": "A1", "qty": "1"}]}]}))

# definitions and templates --------------------------------------------------------------------

case("get", "definitions", read("definitions"))
case("get", "definitions/{kind}/{key}", read("definitions/form/transfer"))
case("get", "definitions/{kind}/{key}/versions/{version}",
     read("definitions/form/transfer/versions/1"))
case("get", "definitions/{kind}/{key}/draft", read("definitions/flow/transfer/draft"))
case("put", "definitions/{kind}/{key}/draft", lambda w, who: (
    "PUT", "definitions/flow/transfer/draft", {"body": FLOW}))
case("post", "definitions/{kind}/{key}/validate", lambda w, who: (
    "POST", "definitions/form/transfer/validate", {"body": FORM}))
case("post", "definitions/{kind}/{key}/publish", lambda w, who: (
    "POST", "definitions/form/transfer/publish", {"body": FORM}))
case("post", "definitions/rules/{key}/dry-run", lambda w, who: (
    "POST", "definitions/rules/transfer/dry-run", {"data": transfer(), "event": "approved"}))
case("get", "forms/{key}/access", read("forms/memo/access"))
case("put", "forms/{key}/access", lambda w, who: (
    "PUT", "forms/memo/access", {"create": None, "view": {"*": "own"}}))
case("get", "templates", read("templates"))
case("get", "templates/{key}", read("templates/retail"))
case("post", "templates/{key}/install", lambda w, who: (
    "POST", "templates/retail/install", {"demo": False}))
case("post", "templates/{key}/upgrade", lambda w, who: (
    "POST", "templates/retail/upgrade", {"dry_run": True}))

# documents and tasks: each caller works on their own documents ---------------------------------

case("get", "documents", read("documents"))
case("post", "documents", lambda w, who: ("POST", "documents",
                                          {"form": "transfer", "data": transfer()}))
case("post", "documents/submit", lambda w, who: ("POST", "documents/submit",
                                                 {"form": "transfer", "data": transfer()}))
case("get", "documents/{document_id}",
     lambda w, who: ("GET", f"documents/{w.submitted(who)}", None))
case("put", "documents/{document_id}", lambda w, who: (
    "PUT", f"documents/{w.draft(who)}", {"data": transfer("2")}))
case("post", "documents/{document_id}/submit",
     lambda w, who: ("POST", f"documents/{w.draft(who)}/submit", {}))
case("post", "documents/{document_id}/actions", lambda w, who: (
    "POST", f"documents/{w.submitted(who)}/actions", {"action": "withdraw"}))
case("post", "documents/{document_id}/preview", lambda w, who: (
    "POST", f"documents/{w.submitted(who)}/preview", {"action": "withdraw"}))
case("get", "documents/{document_id}/timeline",
     lambda w, who: ("GET", f"documents/{w.submitted(who)}/timeline", None))
case("get", "documents/{document_id}/tasks",
     lambda w, who: ("GET", f"documents/{w.submitted(who)}/tasks", None))
case("get", "documents/{document_id}/attachments",
     lambda w, who: ("GET", f"documents/{w.memo(who)}/attachments", None))
case("post", "documents/{document_id}/attachments",
     lambda w, who: ("POST", f"documents/{w.memo(who)}/attachments?field=files", Upload()))
case("get", "documents/{document_id}/attachments/{attachment_id}", lambda w, who: (
    "GET", "documents/{}/attachments/{}".format(*w.attachment(who)), None))
case("delete", "documents/{document_id}/attachments/{attachment_id}", lambda w, who: (
    "DELETE", "documents/{}/attachments/{}".format(*w.attachment(who)), None))
case("get", "tasks/counts", read("tasks/counts"))
case("get", "tasks/{box}", read("tasks/todo"))


# the matrix ------------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from shared_world(request, tmp_path_factory)


def verdict(permission: str | None, who: str | None, response: Any) -> str | None:
    """What is wrong with ``response``, or None."""
    status, body = response.status_code, response.get_json(silent=True) or {}
    if permission in PUBLIC:
        return None if status not in (401, 403) else f"{status} {body.get('code')}"
    if who is None:
        ok = status == 401 and "Bearer" in response.headers.get("WWW-Authenticate", "")
        return None if ok else f"{status} without a credential, expected 401"
    if permission == "member" or holds(who, permission):
        return None if status not in (401, 403) else \
            f"{status} {body.get('code')} although it holds {permission}"
    if status == 403 and body.get("code") == "auth.permission_denied" \
            and body.get("permission") == permission:
        return None
    return f"{status} {body.get('code')} {body.get('permission')}, expected 403 for {permission}"


@pytest.mark.parametrize("operation", sorted(CASES), ids=lambda o: f"{o[0]} {o[1]}")
def test_only_callers_holding_the_permission_get_in(world: World,
                                                    operation: tuple[str, str]) -> None:
    permission = operations(world.spec)[operation].get("x-permission")
    wrong = []
    for who in (None, *CALLERS):
        method, url, body = CASES[operation](world, who)
        assert method.lower() == operation[0]
        response = world.call(method, url, who, json=body, address=world.address())
        problem = verdict(permission, who, response)
        if problem:
            wrong.append(f"{who or 'no credential'}: {problem}")
    assert wrong == [], f"{operation[0].upper()} {operation[1]} needs {permission}:\n" + \
        "\n".join(wrong)


def test_each_caller_holds_what_the_role_map_grants(world: World) -> None:
    """GET /session lists the caller's permissions: exactly the map's."""
    for who, (admin, roles) in CALLERS.items():
        me = world.made("GET", "session", who, status=200)
        assert (me["is_admin"], tuple(me["roles"])) == (admin, roles), who
        assert set(me["permissions"]) == expected_permissions(admin=admin, roles=roles), who
    assert not holds("p-identity.manage", "identity.manage")  # no role grants it


def test_every_operation_has_a_permission_case(world: World) -> None:
    assert set(operations(world.spec)) - set(CASES) == set(), \
        "operations without a permission case"
    assert set(CASES) <= set(operations(world.spec))


def test_every_permission_has_callers_with_and_without_it(world: World) -> None:
    needed = {op.get("x-permission") for op in operations(world.spec).values()} - PUBLIC
    assert needed <= set(PERMISSIONS) | {"member"}, needed - set(PERMISSIONS)
    for permission in needed - {"member"} - MEMBER_PERMISSIONS:
        having = {who for who in CALLERS if holds(who, permission)}
        assert having and having != set(CALLERS), permission


def test_every_operation_declares_its_permission(world: World) -> None:
    """docs/api.md: every operation declares the permission it needs (``x-permission``;
    ``none`` for those anyone may call)."""
    silent = sorted(key for key, op in operations(world.spec).items()
                    if "x-permission" not in op)
    assert silent == [], f"operations without x-permission: {silent}"
