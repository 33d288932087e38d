"""A shop spoken to over HTTP: two tenants, a few members with API tokens, stock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from engine.ledger.model import LocationKind, Tracking
from engine.services import identity, posting, stock
from engine.services.posting import Origin
from engine.store import Store

LOCATIONS = {"HQ": LocationKind.COMPANY, "WH": LocationKind.WAREHOUSE,
             "S1": LocationKind.STORE, "S2": LocationKind.STORE,
             "SUP": LocationKind.SUPPLIER, "CUS": LocationKind.CUSTOMER,
             "ADJ": LocationKind.ADJUSTMENT, "SCRAP": LocationKind.SCRAP,
             "TRANSIT": LocationKind.TRANSIT}


@dataclass
class Shop:
    """One tenant: ids by code, a bearer token per member."""

    slug: str
    tenant_id: int
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)
    batches: dict[str, int] = field(default_factory=dict)


@dataclass
class Api:
    """The app's test client with bearer tokens: ``api.get("/items", as_="admin")``."""

    client: Any
    store: Store
    shop: Shop
    other: Shop

    def call(self, method: str, path: str, *, as_: str | None = "admin",
             shop: Shop | None = None, headers: dict[str, str] | None = None,
             **kwargs: Any) -> Any:
        sent = dict(headers or {})
        if as_ is not None:
            sent["Authorization"] = f"Bearer {(shop or self.shop).tokens[as_]}"
        url = path if path.startswith("/") else f"/api/v1/{path}"
        return self.client.open(url, method=method, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, json=json, **kwargs)


def member(store: Store, shop: Shop, username: str, *, admin: bool = False,
           roles: tuple[str, ...] = ()) -> None:
    new = identity.create_user(store, shop.slug, username, password="long-enough-pw",
                               admin=admin, roles=roles)
    shop.users[username] = new.principal.user_id
    shop.tokens[username] = identity.create_token(store, shop.slug, username, "tests").token


def build_shop(store: Store, slug: str, prefix: str = "") -> Shop:
    shop = Shop(slug, identity.create_tenant(store, slug, slug.title()).id)
    for key in ("storekeeper", "viewer", "auditor", "pos"):
        identity.create_role(store, slug, key, {"en": key})
    member(store, shop, f"{prefix}admin", admin=True)
    member(store, shop, f"{prefix}keeper", roles=("storekeeper", "pos"))
    member(store, shop, f"{prefix}viewer", roles=("viewer",))
    shop.tokens["admin"] = shop.tokens[f"{prefix}admin"]
    shop.tokens["keeper"] = shop.tokens[f"{prefix}keeper"]
    shop.tokens["viewer"] = shop.tokens[f"{prefix}viewer"]
    for code, kind in LOCATIONS.items():
        parent = "HQ" if kind.internal and code != "HQ" else None
        shop.locations[code] = stock.create_location(store, shop.tenant_id, code, code, kind,
                                                     parent=parent)
    shop.items["A1"] = stock.create_item(store, shop.tenant_id, "A1", "Cola", "piece",
                                         reorder_point=Decimal(50), units={"box": Decimal(24)})
    shop.items["MILK"] = stock.create_item(store, shop.tenant_id, "MILK", "Milk", "l",
                                           tracking=Tracking.BATCH_EXPIRY)
    shop.batches["L1"] = stock.ensure_batch(store, shop.tenant_id, "MILK", "L1",
                                            expiry=__import__("datetime").date(2020, 1, 1))
    for n, (item, qty, batch) in enumerate([("A1", 40, None), ("MILK", 10, "L1")]):
        arguments: dict[str, Any] = {"item_id": shop.items[item], "qty": Decimal(qty),
                                     "to_location_id": shop.locations["WH"],
                                     "unit_cost": Decimal("2.5")}
        if batch:
            arguments["batch_id"] = shop.batches[batch]
        result = posting.post(store, shop.tenant_id, "receive", f"seed:{n}",
                              Origin(1, 1, "seed", "approved"), arguments)
        assert result.ok, result
    return shop


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its smallest cost: these tests are about HTTP, not hashing."""
    from argon2 import PasswordHasher

    from engine.services import security

    monkeypatch.setattr(security, "password_hasher",
                        lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def api(app: Any) -> Iterator[Api]:
    store = app.extensions["flowledger"].store
    shop = build_shop(store, "acme")
    other = build_shop(store, "rival", prefix="r-")
    yield Api(app.test_client(), store, shop, other)
