"""Documents under concurrency, timers, and the quick path without a flow."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from docworld import DocWorld

from engine.errors import Conflict, EngineError
from engine.services import definitions, documents, timers
from engine.services.context import CallContext
from engine.services.documents import ActionRequest
from engine.store import Store

ANY_FLOW = {
    "schema_version": 1, "key": "loss", "version": 1, "labels": {"zh": "报损", "en": "Loss"},
    "nodes": [{"id": "finance", "type": "approval", "mode": "any",
               "approvers": [{"kind": "role", "role": "finance"}],
               "timeout": {"after": "PT2H", "action": "auto_approve"}}],
}
LOSS_FORM = {
    "schema_version": 1, "key": "loss", "version": 1, "labels": {"zh": "报损单", "en": "Loss"},
    "fields": [
        {"key": "no", "type": "serial", "label": {"zh": "单号", "en": "No."},
         "pattern": "BS-{seq:5}"},
        {"key": "store", "type": "location", "required": True,
         "label": {"zh": "门店", "en": "Store"}},
        {"key": "lines", "type": "subform", "required": True,
         "label": {"zh": "明细", "en": "Lines"}, "fields": [
             {"key": "item", "type": "item", "required": True, "label": {"zh": "商品", "en": "Item"}},
             {"key": "qty", "type": "number", "required": True, "label": {"zh": "数量", "en": "Qty"}},
         ]},
    ],
}
LOSS_RULES = "on loss approved:\n    for line in lines: scrap line.qty of line.item from store\n"
SALE_FORM = {
    "schema_version": 1, "key": "sale", "version": 1, "labels": {"zh": "销售", "en": "Sale"},
    "fields": [
        {"key": "store", "type": "location", "required": True,
         "label": {"zh": "门店", "en": "Store"}},
        {"key": "lines", "type": "subform", "required": True,
         "label": {"zh": "明细", "en": "Lines"}, "fields": [
             {"key": "item", "type": "item", "required": True, "label": {"zh": "商品", "en": "Item"}},
             {"key": "qty", "type": "number", "required": True, "label": {"zh": "数量", "en": "Qty"}},
         ]},
    ],
}
SALE_RULES = "on sale approved:\n    for line in lines: decrement line.item at store by line.qty\n"


@pytest.fixture
def w(store: Store) -> Iterator[DocWorld]:
    world = DocWorld(store)
    world.receive("100 A1 @S1 cost 10")
    for key, form, flow, rules in (("loss", LOSS_FORM, ANY_FLOW, LOSS_RULES),
                                   ("sale", SALE_FORM, None, SALE_RULES)):
        definitions.publish(store, world.tenant_id, "form", key, body=form)
        if flow:
            definitions.publish(store, world.tenant_id, "flow", key, body=flow)
        definitions.publish(store, world.tenant_id, "rules", key, body={"text": rules})
    yield world
    world.check()


def together(n: int, job: Callable[[int], Any]) -> list[Any]:
    gate, out, errors = threading.Barrier(n), [None] * n, []

    def run(i: int) -> None:
        try:
            gate.wait()
            out[i] = job(i)
        except EngineError as exc:  # a refusal is a legitimate answer
            out[i] = exc
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return out


def loss(w: DocWorld, qty: str = "2") -> dict[str, Any]:
    return {"store": "S1", "lines": [{"item": "A1", "qty": qty}]}


def test_two_approvers_of_an_any_node_at_once_approve_once(w: DocWorld) -> None:
    doc = documents.submit_new(w.store, w.who("clerk"), "loss", loss(w)).document.id
    outs = together(2, lambda i: documents.act(w.store, w.who(f"fin{i + 1}"), doc,
                                               ActionRequest("approve")))
    kinds = Counter("approved" if isinstance(o, documents.Outcome) and not o.repeated
                    else "refused" for o in outs)
    assert kinds == {"approved": 1, "refused": 1}
    assert w.on_hand("A1", "SCRAP") == D(2)  # scrapped once


def test_twenty_concurrent_submits_get_consecutive_numbers(w: DocWorld) -> None:
    outs = together(20, lambda i: documents.submit_new(w.store, w.who("clerk"), "loss",
                                                       loss(w, "1")))
    serials = sorted(o.document.serial for o in outs)
    assert serials == [f"BS-{n:05d}" for n in range(1, 21)]


def test_a_refused_submit_does_not_use_up_a_number(w: DocWorld) -> None:
    documents.submit_new(w.store, w.who("clerk"), "loss", loss(w, "1"))
    with pytest.raises(EngineError):
        documents.submit_new(w.store, w.who("clerk"), "loss", {"store": "S1", "lines": []})
    third = documents.submit_new(w.store, w.who("clerk"), "loss", loss(w, "1"))
    assert third.document.serial == "BS-00002"


def test_timeout_auto_approves_once_even_with_two_ticks(w: DocWorld) -> None:
    doc = documents.submit_new(w.store, w.who("clerk"), "loss", loss(w, "3")).document.id
    assert timers.tick(w.store, datetime.now(UTC)) == 0  # not due yet
    later = datetime.now(UTC) + timedelta(hours=3)
    fired = together(2, lambda i: timers.tick(w.store, later))
    assert sorted(fired) == [0, 1]
    from engine.services import doc_queries

    assert doc_queries.get(w.store, w.who("clerk"), doc).status == "approved"
    assert w.on_hand("A1", "SCRAP") == D(3)


def test_quick_path_posts_at_once_and_refuses_to_oversell(w: DocWorld) -> None:
    sold = documents.submit_new(w.store, w.who("clerk"), "sale",
                                {"store": "S1", "lines": [{"item": "A1", "qty": "40"}]})
    assert sold.document.status == "approved" and sold.movements == 1
    assert w.on_hand("A1", "S1") == D(60)
    with pytest.raises(Conflict) as exc:
        documents.submit_new(w.store, w.who("clerk"), "sale",
                             {"store": "S1", "lines": [{"item": "A1", "qty": "61"}]})
    assert exc.value.code == "ledger.insufficient_stock"
    assert w.on_hand("A1", "S1") == D(60)
    cancelled = documents.act(w.store, w.who("boss"), sold.document.id, ActionRequest("cancel"),
                              CallContext(w.who("boss").user_id, "boss"))
    assert cancelled.document.status == "cancelled" and w.on_hand("A1", "S1") == D(100)
