"""Rules that read the ledger (conditions, formulas) and stocktakes that lock a place."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D

import pytest
from docworld import DocWorld
from sqlalchemy import select

from engine.errors import Conflict, EngineError
from engine.ledger.model import BomKind
from engine.ledger.results import Result
from engine.services import definitions, doc_queries, documents, stock
from engine.services.documents import ActionRequest
from engine.services.stock import LineSpec
from engine.store import Store
from engine.store.ledger_tables import Movement

LINES = {"key": "lines", "type": "subform", "required": True,
         "label": {"zh": "明细", "en": "Lines"}, "fields": [
             {"key": "item", "type": "item", "required": True,
              "label": {"zh": "商品", "en": "Item"}},
             {"key": "qty", "type": "number", "required": True,
              "label": {"zh": "数量", "en": "Qty"}}]}
BULK_FORM = {"schema_version": 1, "key": "bulk", "version": 1,
             "labels": {"zh": "大宗出库", "en": "Bulk issue"},
             "fields": [{"key": "store", "type": "location", "required": True,
                         "label": {"zh": "门店", "en": "Store"}}, LINES]}
BULK_FLOW = {"schema_version": 1, "key": "bulk", "version": 1,
             "labels": {"zh": "大宗出库审批", "en": "Bulk approval"},
             "nodes": [{"id": "unusual", "type": "condition", "branches": [
                 {"condition": "max(lines.qty - 3 * avg_daily_issue(lines.item, 30, store)) > 0",
                  "nodes": [{"id": "owner", "type": "approval",
                             "approvers": [{"kind": "user", "users": ["boss"]}]}]},
                 {"otherwise": True, "nodes": []}]}]}
BULK_RULES = "on bulk approved:\n    for line in lines: issue line.qty of line.item from store\n"
COUNT_FORM = {"schema_version": 1, "key": "stocktake", "version": 1,
              "labels": {"zh": "盘点单", "en": "Stocktake"},
              "fields": [{"key": "location", "type": "location", "required": True,
                          "label": {"zh": "库位", "en": "Location"}},
                         {**LINES, "fields": [LINES["fields"][0],
                                              {"key": "counted", "type": "number",
                                               "required": True,
                                               "label": {"zh": "实盘", "en": "Counted"}}]}]}
COUNT_FLOW = {"schema_version": 1, "key": "stocktake", "version": 1,
              "labels": {"zh": "盘点审批", "en": "Stocktake approval"},
              "nodes": [{"id": "manager", "type": "approval",
                         "approvers": [{"kind": "user", "users": ["s1mgr"]}]}]}
COUNT_RULES = """\
on stocktake submitted:
    lock location
on stocktake approved:
    for line in lines: count line.item at location as line.counted
    unlock location
on stocktake rejected, withdrawn:
    unlock location
"""


@pytest.fixture
def w(store: Store) -> Iterator[DocWorld]:
    world = DocWorld(store)
    world.receive("100 A1 @S1 cost 10")
    for key, form, flow, rules in (("bulk", BULK_FORM, BULK_FLOW, BULK_RULES),
                                   ("stocktake", COUNT_FORM, COUNT_FLOW, COUNT_RULES)):
        definitions.publish(store, world.tenant_id, "form", key, body=form)
        definitions.publish(store, world.tenant_id, "flow", key, body=flow)
        definitions.publish(store, world.tenant_id, "rules", key, body={"text": rules})
    yield world
    world.check()


def bulk(qty: str) -> dict[str, object]:
    return {"store": "S1", "lines": [{"item": "A1", "qty": qty}]}


def test_an_unusually_large_issue_asks_the_owner(w: DocWorld) -> None:
    for _ in range(3):  # 30 sold over the last days: 1 a day on average over 30 days
        w.issue("10 A1 @S1")
    usual = documents.submit_new(w.store, w.who("clerk"), "bulk", bulk("3"))
    assert usual.document.status == "approved"  # 3 ≤ 3 × 1.1: no approval needed
    unusual = documents.submit_new(w.store, w.who("clerk"), "bulk", bulk("9"))
    assert unusual.document.status == "in_approval"
    assert [t["assignee"] for t in unusual.document.open_tasks] == ["boss"]


def _versions_moved(store: Store, document_id: int) -> list[int]:
    with store.session(write=False) as s:
        return list(s.execute(select(Movement.document_version).where(
            Movement.document_id == document_id)).scalars())


def test_movements_name_the_revision_the_action_started_from(w: DocWorld) -> None:
    for _ in range(3):  # 1 a day on average: 1 passes at once, 9 goes to the owner
        w.issue("10 A1 @S1")
    at_once = documents.submit_new(w.store, w.who("clerk"), "bulk", bulk("1"))
    assert at_once.document.status == "approved" and at_once.document.revision == 1
    assert _versions_moved(w.store, at_once.document.id) == [0]  # submitted as revision 0
    asked = documents.submit_new(w.store, w.who("clerk"), "bulk", bulk("9"))
    done = documents.act(w.store, w.who("boss"), asked.document.id, ActionRequest("approve"))
    assert done.document.revision == 2
    assert _versions_moved(w.store, asked.document.id) == [1]  # approved at revision 1


def test_a_stocktake_locks_its_location_until_it_is_counted(w: DocWorld) -> None:
    counting = documents.submit_new(w.store, w.who("clerk"), "stocktake", {
        "location": "S1", "lines": [{"item": "A1", "counted": "97"}]})
    assert counting.document.status == "in_approval"
    assert w.issue("1 A1 @S1").code is Result.LOCATION_LOCKED
    pending = documents.submit_new(w.store, w.who("clerk"), "bulk", bulk("1"))  # to the owner
    with pytest.raises(Conflict) as exc:  # approving it would post into the locked store
        documents.act(w.store, w.who("boss"), pending.document.id, ActionRequest("approve"))
    assert exc.value.code == "ledger.location_locked"
    done = documents.act(w.store, w.who("s1mgr"), counting.document.id, ActionRequest("approve"))
    assert done.document.status == "approved"
    assert w.on_hand("A1", "S1") == D(97) and w.on_hand("A1", "ADJ") == D(3)
    assert w.issue("1 A1 @S1").ok  # unlocked
    assert doc_queries.timeline(w.store, w.who("clerk"), counting.document.id)[-1].action == \
        "approve"


def test_a_rejected_stocktake_unlocks(w: DocWorld) -> None:
    counting = documents.submit_new(w.store, w.who("clerk"), "stocktake", {
        "location": "S1", "lines": [{"item": "A1", "counted": "90"}]})
    documents.act(w.store, w.who("s1mgr"), counting.document.id, ActionRequest("reject"))
    assert w.issue("1 A1 @S1").ok and w.on_hand("A1", "S1") == D(99)


DISH_FORM = {"schema_version": 1, "key": "dish_sale", "version": 1,
             "labels": {"zh": "菜品销售", "en": "Dish sale"},
             "fields": [{"key": "store", "type": "location", "required": True,
                         "label": {"zh": "门店", "en": "Store"}}, LINES]}
DISH_RULES = ("on dish_sale approved:\n"
              "    for line in lines: issue line.qty of recipe(line.item) from store\n")


def test_recipe_lines_issue_their_ingredients(w: DocWorld) -> None:
    for code in ("NOODLE", "RICE", "SOUP"):
        w.item(code)
    stock.set_bom(w.store, w.tenant_id, "NOODLE", [LineSpec("A1", D(2)), LineSpec("B2", D(1))],
                  kind=BomKind.RECIPE)
    stock.set_bom(w.store, w.tenant_id, "RICE", [LineSpec("B2", D(3))], kind=BomKind.RECIPE)
    w.receive("50 B2 @S1 cost 1")
    for kind, body in (("form", DISH_FORM), ("rules", {"text": DISH_RULES})):
        definitions.publish(w.store, w.tenant_id, kind, "dish_sale", body=body)
    lines = [{"item": "NOODLE", "qty": "3"}, {"item": "RICE", "qty": "1"},
             {"item": "NOODLE", "qty": "1"}]
    out = documents.submit_new(w.store, w.who("clerk"), "dish_sale",
                               {"store": "S1", "lines": lines})
    assert out.document.status == "approved" and out.movements == 5
    assert w.on_hand("A1", "S1") == D(100 - 2 * 4)
    assert w.on_hand("B2", "S1") == D(50 - 1 * 4 - 3)
    with pytest.raises(EngineError) as refused:  # no recipe: SOUP itself, and there is none
        documents.submit_new(w.store, w.who("clerk"), "dish_sale", {
            "store": "S1", "lines": [{"item": "RICE", "qty": "1"}, {"item": "SOUP", "qty": "1"}]})
    problem = refused.value.problems[0]
    assert (problem.code, problem.source.path) == ("ledger.insufficient_stock", "lines[1]")
    assert w.on_hand("B2", "S1") == D(50 - 1 * 4 - 3)
