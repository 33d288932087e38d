"""The OpenAPI document as test data, and one small shop shared by a test module.

Matrix tests (mass assignment, permissions) make hundreds of requests that change
nothing or only add rows, so they share one app and database per module and
backend instead of the per-test ``app`` fixture::

    @pytest.fixture(scope="module", params=BACKENDS)
    def world(request, tmp_path_factory):
        yield from shared_world(request, tmp_path_factory)

The shop: an admin, one member per conventional role of ``designer.auth`` and one
per role named after a permission (``p-stock.value`` holds the role ``stock.value``),
a member with no role, items, locations, a batch, stock, a BOM, the transfer
form, flow and rules of ``desk.py`` — its one approver is the admin — and a second
form, ``memo``, with an attachment field ``files``, whose access rules tests may change.
"""

from __future__ import annotations

import io
import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from desk import FORM, RULES

from designer.auth import ADMIN, MEMBER_PERMISSIONS, PERMISSIONS, ROLE_PERMISSIONS
from engine.services import identity
from engine.store import Store

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PASSWORD = "long-enough-pw"
API = "/api/v1"
WRITES = ("post", "put", "patch")

FLOW = {
    "schema_version": 1, "key": "transfer", "version": 1,
    "labels": {"zh": "调拨审批", "en": "Transfer approval"},
    "settings": {"withdraw": "before_any_action"},
    "nodes": [{"id": "boss", "type": "approval", "labels": {"zh": "老板", "en": "Boss"},
               "approvers": [{"kind": "user", "users": ["admin"]}]}],
}
MEMO = {**FORM, "key": "memo", "fields": [
    *FORM["fields"], {"key": "files", "type": "attachment", "label": {"zh": "附件", "en": "Files"}}]}


@dataclass(frozen=True)
class Upload:
    """A ``multipart/form-data`` body: one file in the part ``file``."""

    name: str = "receipt.txt"
    content: bytes = b"paid"


# the OpenAPI document ---------------------------------------------------------------------

def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every operation by (method, path)."""
    return {(method, path): op for path, ops in spec["paths"].items()
            for method, op in ops.items() if method != "parameters"}


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def body_schema(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON request body's schema of an operation, resolved; None without one."""
    content = op.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return None if schema is None else resolve(spec, schema)


def schema_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    return None if ref is None else str(ref).rsplit("/", 1)[-1]


# roles and permissions, as designer.auth declares them --------------------------------------

def expected_permissions(*, admin: bool, roles: tuple[str, ...]) -> frozenset[str]:
    """What the role → permission map of designer/auth.py (and docs/api.md) grants."""
    if admin:
        return frozenset(PERMISSIONS)
    granted = set(MEMBER_PERMISSIONS)
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
        if role in PERMISSIONS and role != ADMIN:
            granted.add(role)
    return frozenset(granted)


def callers() -> dict[str, tuple[bool, tuple[str, ...]]]:
    """username → (admin, roles): the admin, a member without roles, one member per
    conventional role key and one per role named after a permission (even
    ``identity.manage``, which no role may grant)."""
    found: dict[str, tuple[bool, tuple[str, ...]]] = {"admin": (True, ()), "plain": (False, ())}
    for role in ROLE_PERMISSIONS:
        found[f"r-{role}"] = (False, (role,))
    for permission in sorted(set(PERMISSIONS) - MEMBER_PERMISSIONS):
        found[f"p-{permission}"] = (False, (permission,))
    return found


# the shared shop ---------------------------------------------------------------------------

@dataclass
class World:
    """One tenant reached over HTTP: ``world.call("GET", "items", "r-viewer")``."""

    app: Any
    store: Store
    spec: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.client = self.app.test_client(use_cookies=False)

    def call(self, method: str, path: str, who: str | None = "admin", *,
             json: Any = None, address: str = "127.0.0.1") -> Any:
        """A request as ``who`` (None: no credential) from ``address`` (sign-in is
        rate-limited per address: give many sign-ins their own addresses). ``json``
        may be an :class:`Upload`, sent as multipart."""
        headers = {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}
        url = path if path.startswith("/") else f"{API}/{path}"
        body: dict[str, Any] = {"json": json}
        if isinstance(json, Upload):
            body = {"data": {"file": (io.BytesIO(json.content), json.name)},
                    "content_type": "multipart/form-data"}
        return self.client.open(url, method=method, headers=headers,
                                environ_base={"REMOTE_ADDR": address}, **body)

    def made(self, method: str, path: str, who: str | None = "admin", *,
             json: Any = None, status: int = 201) -> dict[str, Any]:
        response = self.call(method, path, who, json=json)
        assert response.status_code == status, (method, path, who, response.get_json())
        return response.get_json()  # type: ignore[no-any-return]

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def address(self) -> str:
        """A client address not used before."""
        n = next(self.counter)
        return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"

    # documents a caller owns (every member may create them) ------------------------------
    def draft(self, who: str | None) -> int:
        return int(self.made("POST", "documents", who or "admin",
                             json={"form": "transfer", "data": transfer()})["id"])

    def memo(self, who: str | None) -> int:
        """A draft memo (a form with the attachment field ``files``)."""
        return int(self.made("POST", "documents", who or "admin",
                             json={"form": "memo", "data": transfer()})["id"])

    def attachment(self, who: str | None) -> tuple[int, int]:
        """(document, attachment): a file on a draft memo of the caller."""
        memo = self.memo(who)
        made = self.made("POST", f"documents/{memo}/attachments?field=files", who or "admin",
                         json=Upload())
        return memo, int(made["id"])

    def submitted(self, who: str | None) -> int:
        answer = self.made("POST", "documents/submit", who or "admin",
                           json={"form": "transfer", "data": transfer()})
        return int(answer["document"]["id"])


def transfer(qty: str = "1") -> dict[str, Any]:
    return {"from_store": "WH", "to_store": "S1",
            "lines": [{"item": "A1", "qty": qty, "price": "2"}]}


def shared_world(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A module's shop on one backend (``request.param``), with cheap password hashing;
    the PostgreSQL schema is emptied afterwards, as the per-test fixture does."""
    from argon2 import PasswordHasher

    from designer import create_app
    from engine.services import security

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("world") / "flowledger.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_schema_url")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "REDIS_URL": None,
                      "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
                      "SECRET_KEY": "test-secret"})
    store: Store = app.extensions["flowledger"].store
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "password_hasher",
                      lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        forget_compiled_definitions()
        try:
            yield build(World(app, store))
        finally:
            if request.param != "sqlite":
                _empty(store)
            forget_compiled_definitions()
            store.dispose()


def forget_compiled_definitions() -> None:
    """Empty the engine's cache of compiled definitions.

    It is keyed by (database URL, tenant id, form key, versions), but the PostgreSQL
    fixtures empty the one test schema with ``TRUNCATE … RESTART IDENTITY``: the next
    test's tenant 1 would get the bundle an earlier test published as tenant 1's
    ``transfer`` v1 (a different form), and be refused with ``forms.required``.
    """
    from engine.services import definitions

    definitions._CACHE.items.clear()


def _empty(store: Store) -> None:
    from engine.store.models import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


def build(world: World) -> World:
    store = world.store
    identity.create_tenant(store, "acme", "Acme")
    everyone = callers()
    for role in sorted({r for _, roles in everyone.values() for r in roles}):
        identity.create_role(store, "acme", role, {"en": role})
    for username, (admin, roles) in {**everyone, "scratch": (False, ())}.items():
        new = identity.create_user(store, "acme", username, password=PASSWORD, admin=admin,
                                   roles=roles)
        world.users[username] = new.principal.user_id
        world.tokens[username] = identity.create_token(store, "acme", username, "t").token
    world.spec = world.call("GET", "openapi.json", None).get_json()
    _master_data(world)
    _definitions(world)
    return world


def _master_data(world: World) -> None:
    ids = world.ids
    world.made("POST", "departments", json={"code": "d0"})
    for code, kind, parent in (("HQ", "company", None), ("WH", "warehouse", "HQ"),
                               ("S1", "store", "HQ"), ("SUP", "supplier", None)):
        body = {"code": code, "name": code, "kind": kind} | ({"parent": parent} if parent else {})
        ids[code] = world.made("POST", "locations", json=body)["id"]
    for code, tracking in (("A1", "none"), ("MILK", "batch_expiry"), ("KIT", "none")):
        ids[code] = world.made("POST", "items", json={
            "code": code, "name": code, "base_unit": "piece", "tracking": tracking,
            "reorder_point": "5000"})["id"]
    ids["L1"] = world.made("POST", "batches", json={"item": "MILK", "code": "L1",
                                                    "expiry": "2020-01-01"})["id"]
    world.made("PUT", f"items/{ids['KIT']}/boms/bom", status=200,
               json={"lines": [{"component": "A1", "qty": "2"}]})
    effects = [{"key": f"seed:{place}", "operation": "receive", "item_id": ids["A1"],
                "qty": "1000", "to_location_id": ids[place], "unit_cost": "1.5"}
               for place in ("WH", "S1")]
    effects.append({"key": "seed:milk", "operation": "receive", "item_id": ids["MILK"],
                    "qty": "10", "to_location_id": ids["WH"], "batch_id": ids["L1"]})
    world.made("POST", "ledger/postings", json={"document": "SEED", "event": "approved",
                                                "effects": effects})


def _definitions(world: World) -> None:
    for kind, body in (("form", FORM), ("flow", FLOW), ("rules", {"text": RULES})):
        world.made("POST", f"definitions/{kind}/transfer/publish", json={"body": body})
    world.made("POST", "definitions/form/memo/publish", json={"body": MEMO})
    world.made("PUT", "definitions/flow/transfer/draft", json={"body": FLOW}, status=200)
    world.ids["document"] = world.submitted("admin")
