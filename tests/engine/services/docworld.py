"""A chain store with a transfer form, a two-level approval flow and stock rules,
on a real database: the shared setup of the document tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stockworld import World

from engine.services import definitions, identity
from engine.services.identity import Principal
from engine.store import Store

TRANSFER_FORM = {
    "schema_version": 1, "key": "transfer", "version": 1,
    "labels": {"zh": "调拨单", "en": "Transfer"},
    "fields": [
        {"key": "no", "type": "serial", "label": {"zh": "单号", "en": "No."},
         "pattern": "DB-{yyyyMMdd}-{seq:4}"},
        {"key": "from_store", "type": "location", "required": True,
         "label": {"zh": "调出门店", "en": "From"}},
        {"key": "to_store", "type": "location", "required": True,
         "label": {"zh": "调入门店", "en": "To"}},
        {"key": "lines", "type": "subform", "required": True,
         "label": {"zh": "明细", "en": "Lines"}, "totals": ["amount"],
         "fields": [
             {"key": "item", "type": "item", "required": True,
              "label": {"zh": "商品", "en": "Item"}},
             {"key": "qty", "type": "number", "required": True, "precision": 3,
              "min": 0, "label": {"zh": "数量", "en": "Qty"}},
             {"key": "price", "type": "money", "required": True,
              "label": {"zh": "单价", "en": "Price"}},
             {"key": "amount", "type": "formula", "expression": "qty * price",
              "label": {"zh": "金额", "en": "Amount"}},
         ]},
        {"key": "total", "type": "formula", "expression": "sum(lines.qty * lines.price)",
         "label": {"zh": "总金额", "en": "Total"}},
    ],
}

TRANSFER_FLOW = {
    "schema_version": 1, "key": "transfer", "version": 1,
    "labels": {"zh": "调拨审批", "en": "Transfer approval"},
    "settings": {"withdraw": "before_any_action"},
    "nodes": [
        {"id": "store_manager", "type": "approval",
         "labels": {"zh": "店长", "en": "Store manager"},
         "approvers": [{"kind": "dept_head", "levels": 1}], "mode": "sequential"},
        {"id": "amount_check", "type": "condition", "branches": [
            {"condition": "total >= 5000", "nodes": [
                {"id": "finance", "type": "approval",
                 "labels": {"zh": "财务会签", "en": "Finance"},
                 "approvers": [{"kind": "role", "role": "finance"}], "mode": "all"}]},
            {"otherwise": True, "nodes": []},
        ]},
    ],
}

TRANSFER_RULES = """\
on transfer submitted:
    for line in lines: reserve line.qty of line.item at from_store
on transfer approved:
    for line in lines: move line.qty of line.item from from_store to to_store
on transfer rejected, withdrawn:
    release reservations
"""


class DocWorld(World):
    default_doc = 999_999  # opening stock, filed apart from real documents

    def __init__(self, store: Store, slug: str = "chain") -> None:
        super().__init__(store, slug)
        self.people: dict[str, Principal] = {}
        identity.create_role(store, slug, "finance", {"zh": "财务", "en": "Finance"})
        for name in ("boss", "s1mgr", "clerk", "fin1", "fin2", "other"):
            self.people[name] = identity.create_user(
                store, slug, name, password=f"{name}-password", admin=name == "boss",
                roles=("finance",) if name.startswith("fin") else ()).principal
        identity.create_department(store, slug, "hq", {"zh": "总部", "en": "HQ"}, head="boss")
        identity.create_department(store, slug, "store1", {"zh": "一店", "en": "Store 1"},
                                   parent="hq", head="s1mgr")
        identity.set_membership(store, slug, "clerk", department="store1")
        for kind, body in (("form", TRANSFER_FORM), ("flow", TRANSFER_FLOW),
                           ("rules", {"text": TRANSFER_RULES})):
            definitions.publish(store, self.tenant_id, kind, "transfer", body=body)

    def transfer(self, lines: list[tuple[str, str, str]], src: str = "S1",
                 dst: str = "S2") -> dict[str, Any]:
        return {"from_store": src, "to_store": dst, "lines": [
            {"item": item, "qty": qty, "price": price} for item, qty, price in lines]}

    def who(self, name: str) -> Principal:
        return self.people[name]

    def qty(self, item: str, loc: str) -> tuple[Decimal, Decimal]:
        return self.on_hand(item, loc), self.reserved(item, loc)
