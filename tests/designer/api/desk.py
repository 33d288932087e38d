"""A transfer desk over HTTP: the transfer form, its two-level approval flow and its
stock rules, published through the API, and the staff who submit and approve.

``desk(api)`` sets the shop up: a clerk in store 1 submits, the store's manager
approves, and transfers of 5000 or more also need both finance countersigns.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "engine" / "services"))
from docworld import TRANSFER_FLOW, TRANSFER_FORM, TRANSFER_RULES

from engine.services import identity

Shop = Any  # conftest.Shop

# The form, flow and rules are the service tests' own (tests/engine/services/docworld.py):
# one transfer process, exercised through the services there and over HTTP here.
FORM, FLOW, RULES = TRANSFER_FORM, TRANSFER_FLOW, TRANSFER_RULES

BROKEN_RULES = """\
on transfer approved:
    for line in lines: move line.qty of line.itme from from_store to to_store
"""


def publish(api: Any, kind: str, body: dict[str, Any], *, shop: Shop | None = None,
            key: str = "transfer") -> int:
    saved = api.call("PUT", f"definitions/{kind}/{key}/draft", json={"body": body}, shop=shop)
    assert saved.status_code == 200 and saved.get_json()["ok"], saved.get_json()
    published = api.post(f"definitions/{kind}/{key}/publish", {}, shop=shop)
    assert published.status_code == 201, published.get_json()
    return int(published.get_json()["version"])


def desk(api: Any, shop: Shop | None = None) -> Shop:
    """Staff and the published transfer definitions in ``shop`` (default: the shop)."""
    shop = shop or api.shop
    prefix = "" if shop is api.shop else "r-"
    identity.create_role(api.store, shop.slug, "finance", {"en": "Finance"})
    for name in ("s1mgr", "clerk", "fin1", "fin2", "other"):
        username = f"{prefix}{name}"
        made = identity.create_user(api.store, shop.slug, username, password="long-enough-pw",
                                    roles=("finance",) if name.startswith("fin") else ())
        shop.users[name] = made.principal.user_id
        shop.tokens[name] = identity.create_token(api.store, shop.slug, username, "t").token
    identity.create_department(api.store, shop.slug, "hq", {"en": "HQ"},
                               head=f"{prefix}admin")
    identity.create_department(api.store, shop.slug, "store1", {"en": "Store 1"}, parent="hq",
                               head=f"{prefix}s1mgr")
    identity.set_membership(api.store, shop.slug, f"{prefix}clerk", department="store1")
    for kind, body in (("form", FORM), ("flow", FLOW), ("rules", {"text": RULES})):
        publish(api, kind, body, shop=shop)
    return shop


def transfer(*lines: tuple[str, str, str], src: str = "WH", dst: str = "S1"
             ) -> dict[str, Any]:
    return {"from_store": src, "to_store": dst, "lines": [
        {"item": item, "qty": qty, "price": price} for item, qty, price in lines]}


def submitted(api: Any, *lines: tuple[str, str, str], shop: Shop | None = None) -> int:
    """A transfer the clerk submitted; its id."""
    response = api.post("documents/submit", {"form": "transfer", "data": transfer(*lines)},
                        as_="clerk", shop=shop)
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["document"]["id"])


def on_hand(api: Any, item: str, location: str) -> tuple[str, str]:
    shop = api.shop
    rows = api.get(f"stock/balances?item_id={shop.items[item]}&location_id="
                   f"{shop.locations[location]}&group_by=location&include_zero=true"
                   ).get_json()["items"]
    return (rows[0]["on_hand"], rows[0]["reserved"]) if rows else ("0", "0")
