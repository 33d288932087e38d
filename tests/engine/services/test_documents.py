"""A transfer end to end on SQLite and PostgreSQL: reserve on submit, move on approval,
release on reject; store manager, then (total ≥ 5000) two finance countersigns."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D

import pytest
from docworld import DocWorld

from engine.errors import Conflict, PermissionDenied, ValidationError
from engine.services import doc_queries, documents
from engine.services.documents import ActionRequest
from engine.store import Store


@pytest.fixture
def w(store: Store) -> Iterator[DocWorld]:
    world = DocWorld(store)
    world.receive("100 A1 @S1 cost 10")
    world.receive("50 B2 @S1 cost 20")
    yield world
    world.check()


def approve(w: DocWorld, who: str, doc: int) -> documents.Outcome:
    return documents.act(w.store, w.who(who), doc, ActionRequest("approve"))


def test_small_transfer_reserves_on_submit_and_moves_on_approval(w: DocWorld) -> None:
    draft = documents.create_draft(w.store, w.who("clerk"), "transfer",
                                   w.transfer([("A1", "5", "10"), ("B2", "2", "20")]))
    assert draft.status == "draft"
    submitted = documents.submit(w.store, w.who("clerk"), draft.id)
    doc = submitted.document
    assert doc.status == "in_approval" and doc.serial and doc.serial.startswith("DB-")
    assert doc.data["total"] == "90.00" or D(doc.data["total"]) == D(90)
    assert [t["assignee"] for t in doc.open_tasks] == ["s1mgr"]
    assert w.qty("A1", "S1") == (D(100), D(5)) and w.qty("B2", "S1") == (D(50), D(2))
    done = approve(w, "s1mgr", doc.id)
    assert done.document.status == "approved" and "approved" in done.events
    assert w.qty("A1", "S1") == (D(95), D(0)) and w.qty("A1", "S2") == (D(5), D(0))
    assert w.qty("B2", "S1") == (D(48), D(0)) and w.qty("B2", "S2") == (D(2), D(0))


def test_big_transfer_needs_both_finance_countersigns(w: DocWorld) -> None:
    out = documents.submit_new(w.store, w.who("clerk"), "transfer",
                               w.transfer([("A1", "60", "100")]))
    doc = out.document.id
    approve(w, "s1mgr", doc)
    after_manager = doc_queries.get(w.store, w.who("clerk"), doc)
    assert sorted(t["assignee"] for t in after_manager.open_tasks) == ["fin1", "fin2"]
    assert approve(w, "fin1", doc).document.status == "in_approval"
    assert w.qty("A1", "S2") == (D(0), D(0))  # nothing moves before the last countersign
    assert approve(w, "fin2", doc).document.status == "approved"
    assert w.qty("A1", "S1") == (D(40), D(0)) and w.qty("A1", "S2") == (D(60), D(0))
    boxes = doc_queries.counts(w.store, w.who("fin1"))
    assert boxes["todo"] == 0 and boxes["processed"] == 1


def test_reject_releases_the_reservation(w: DocWorld) -> None:
    out = documents.submit_new(w.store, w.who("clerk"), "transfer",
                               w.transfer([("A1", "30", "10")]))
    assert w.qty("A1", "S1") == (D(100), D(30))
    rejected = documents.act(w.store, w.who("s1mgr"), out.document.id,
                             ActionRequest("reject", comment="not now"))
    assert rejected.document.status == "rejected"
    assert w.qty("A1", "S1") == (D(100), D(0)) and w.qty("A1", "S2") == (D(0), D(0))
    entries = doc_queries.timeline(w.store, w.who("clerk"), out.document.id)
    assert [e.action for e in entries][-1] == "reject" and entries[-1].comment == "not now"


def test_return_then_approve(w: DocWorld) -> None:
    out = documents.submit_new(w.store, w.who("clerk"), "transfer",
                               w.transfer([("A1", "60", "100")]))
    doc = out.document.id
    approve(w, "s1mgr", doc)
    returned = documents.act(w.store, w.who("fin1"), doc,
                             ActionRequest("reject", return_to="store_manager"))
    assert returned.document.status == "in_approval"
    assert [t["assignee"] for t in returned.document.open_tasks] == ["s1mgr"]
    assert w.qty("A1", "S1") == (D(100), D(60))  # still reserved while it goes round
    approve(w, "s1mgr", doc)
    approve(w, "fin1", doc)
    assert approve(w, "fin2", doc).document.status == "approved"
    assert w.qty("A1", "S1") == (D(40), D(0)) and w.qty("A1", "S2") == (D(60), D(0))


def test_cancel_reverses_every_posting(w: DocWorld) -> None:
    out = documents.submit_new(w.store, w.who("clerk"), "transfer",
                               w.transfer([("A1", "5", "10")]))
    approve(w, "s1mgr", out.document.id)
    with pytest.raises(PermissionDenied):
        documents.act(w.store, w.who("clerk"), out.document.id, ActionRequest("cancel"))
    cancelled = documents.act(w.store, w.who("boss"), out.document.id, ActionRequest("cancel"))
    assert cancelled.document.status == "cancelled"
    assert w.qty("A1", "S1") == (D(100), D(0)) and w.qty("A1", "S2") == (D(0), D(0))


def test_withdraw_before_anyone_acted_releases(w: DocWorld) -> None:
    out = documents.submit_new(w.store, w.who("clerk"), "transfer",
                               w.transfer([("A1", "7", "10")]))
    done = documents.act(w.store, w.who("clerk"), out.document.id, ActionRequest("withdraw"))
    assert done.document.status == "withdrawn" and w.qty("A1", "S1") == (D(100), D(0))


def test_refused_by_the_ledger_keeps_nothing(w: DocWorld) -> None:
    with pytest.raises(Conflict) as exc:
        documents.submit_new(w.store, w.who("clerk"), "transfer",
                             w.transfer([("A1", "5", "1"), ("A1", "500", "1")]))
    problem = exc.value.problems[0]
    assert problem.code == "ledger.insufficient_stock"
    assert problem.source.line == 2 and problem.source.path == "lines[1]"
    assert w.qty("A1", "S1") == (D(100), D(0))
    assert doc_queries.box(w.store, w.who("clerk"), "initiated") == []


def test_double_click_takes_effect_once(w: DocWorld) -> None:
    out = documents.submit_new(w.store, w.who("clerk"), "transfer",
                               w.transfer([("A1", "5", "10")]))
    approve(w, "s1mgr", out.document.id)
    again = approve(w, "s1mgr", out.document.id)
    assert again.repeated and w.qty("A1", "S2") == (D(5), D(0))


def test_strangers_and_bad_documents_are_refused(w: DocWorld) -> None:
    out = documents.submit_new(w.store, w.who("clerk"), "transfer",
                               w.transfer([("A1", "5", "10")]))
    with pytest.raises(PermissionDenied):
        approve(w, "other", out.document.id)
    with pytest.raises(ValidationError) as exc:
        documents.submit_new(w.store, w.who("clerk"), "transfer",
                             w.transfer([("A1", "-1", "10")]))
    assert exc.value.problems[0].source.path == "lines[0].qty"
    with pytest.raises(PermissionDenied):
        documents.act(w.store, w.who("s1mgr"), out.document.id, ActionRequest("timeout"))
