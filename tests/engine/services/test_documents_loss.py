"""A loss report holds the damaged goods on submit and scraps them on approval — on both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from docworld import DocWorld
from test_documents_more import ANY_FLOW, LOSS_FORM  # the loss report of the timer tests

from engine.services import definitions, documents
from engine.services.documents import ActionRequest
from engine.store import Store

LOSS_RULES = """\
on loss submitted:
    for line in lines: reserve line.qty of line.item at store
on loss approved:
    for line in lines: scrap line.qty of line.item from store
on loss rejected, withdrawn:
    release reservations
"""


@pytest.fixture
def w(store: Store) -> Iterator[DocWorld]:
    world = DocWorld(store)
    world.receive("10 A1 @S1 cost 2")
    for kind, body in (("form", LOSS_FORM), ("flow", ANY_FLOW),
                       ("rules", {"text": LOSS_RULES})):
        definitions.publish(store, world.tenant_id, kind, "loss", body=body)
    yield world
    world.check()


def test_the_held_goods_are_what_is_scrapped(w: DocWorld) -> None:
    doc = documents.submit_new(w.store, w.who("clerk"), "loss", {
        "store": "S1", "lines": [{"item": "A1", "qty": "10"}]}).document
    assert w.qty("A1", "S1") == (Decimal(10), Decimal(10))  # nobody else can sell them
    out = documents.act(w.store, w.who("fin1"), doc.id, ActionRequest("approve"))
    assert out.document.status == "approved" and out.movements == 1
    assert w.qty("A1", "S1") == (Decimal(0), Decimal(0))
    assert w.on_hand("A1", "SCRAP") == Decimal(10)
