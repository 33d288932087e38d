"""A loss report holds the damaged goods on submit and scraps them on approval — on both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from docworld import DocWorld

from engine.services import definitions, documents
from engine.services.documents import ActionRequest
from engine.store import Store

LOSS_FORM = {
    "schema_version": 1, "key": "loss", "version": 1, "labels": {"zh": "报损单", "en": "Loss"},
    "fields": [
        {"key": "location", "type": "location", "required": True,
         "label": {"zh": "库位", "en": "Location"}},
        {"key": "lines", "type": "subform", "required": True,
         "label": {"zh": "明细", "en": "Lines"}, "fields": [
             {"key": "item", "type": "item", "required": True,
              "label": {"zh": "商品", "en": "Item"}},
             {"key": "qty", "type": "number", "required": True, "precision": 3,
              "label": {"zh": "数量", "en": "Qty"}}]},
    ],
}  # fmt: skip
LOSS_FLOW = {
    "schema_version": 1, "key": "loss", "version": 1,
    "labels": {"zh": "报损审批", "en": "Loss approval"},
    "nodes": [{"id": "manager", "type": "approval", "labels": {"zh": "店长", "en": "Manager"},
               "approvers": [{"kind": "dept_head", "levels": 1}], "mode": "sequential"}],
}
LOSS_RULES = """\
on loss submitted:
    for line in lines: reserve line.qty of line.item at location
on loss approved:
    for line in lines: scrap line.qty of line.item from location
on loss rejected, withdrawn:
    release reservations
"""


@pytest.fixture
def w(store: Store) -> Iterator[DocWorld]:
    world = DocWorld(store)
    world.receive("10 A1 @S1 cost 2")
    for kind, body in (("form", LOSS_FORM), ("flow", LOSS_FLOW),
                       ("rules", {"text": LOSS_RULES})):
        definitions.publish(store, world.tenant_id, kind, "loss", body=body)
    yield world
    world.check()


def test_the_held_goods_are_what_is_scrapped(w: DocWorld) -> None:
    doc = documents.submit_new(w.store, w.who("clerk"), "loss", {
        "location": "S1", "lines": [{"item": "A1", "qty": "10"}]}).document
    assert w.qty("A1", "S1") == (Decimal(10), Decimal(10))  # nobody else can sell them
    out = documents.act(w.store, w.who("s1mgr"), doc.id, ActionRequest("approve"))
    assert out.document.status == "approved" and out.movements == 1
    assert w.qty("A1", "S1") == (Decimal(0), Decimal(0))
    assert w.on_hand("A1", "SCRAP") == Decimal(10)
