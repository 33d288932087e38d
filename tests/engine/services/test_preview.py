"""Effect previews and rule dry runs show what would happen and keep nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from docworld import TRANSFER_FORM, TRANSFER_RULES, DocWorld

from engine.services import doc_queries, documents, preview
from engine.services.documents import ActionRequest
from engine.store import Store


@pytest.fixture
def w(store: Store) -> Iterator[DocWorld]:
    world = DocWorld(store)
    world.receive("100 A1 @S1 cost 10")
    yield world
    world.check()


def test_an_approver_previews_the_movements_and_balances(w: DocWorld) -> None:
    out = documents.submit_new(w.store, w.who("clerk"), "transfer",
                               w.transfer([("A1", "30", "10")]))
    seen = preview.preview_action(w.store, w.who("s1mgr"), out.document.id,
                                  ActionRequest("approve"))
    assert seen.ok and seen.status_after == "approved" and "approved" in seen.events
    assert [(m.item, m.qty, m.from_location, m.to_location) for m in seen.movements] == [
        ("A1", D(30), "S1", "S2")]
    by_place = {b.location: b for b in seen.balances}
    assert (by_place["S1"].on_hand_before, by_place["S1"].on_hand_after) == (D(100), D(70))
    assert (by_place["S1"].reserved_before, by_place["S1"].reserved_after) == (D(30), D(0))
    assert by_place["S2"].on_hand_after == D(30)
    # nothing was kept
    assert doc_queries.get(w.store, w.who("clerk"), out.document.id).status == "in_approval"
    assert w.qty("A1", "S1") == (D(100), D(30)) and w.qty("A1", "S2") == (D(0), D(0))


def test_a_preview_by_someone_without_the_task_shows_the_refusal(w: DocWorld) -> None:
    out = documents.submit_new(w.store, w.who("clerk"), "transfer",
                               w.transfer([("A1", "30", "10")]))
    seen = preview.preview_action(w.store, w.who("other"), out.document.id,
                                  ActionRequest("approve"))
    assert not seen.ok and seen.problems[0].code.startswith("flows.")


def test_dry_run_of_rules_against_a_document(w: DocWorld) -> None:
    soon = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    w.receive(f"5 MILK @S1 batch L1 exp {soon} cost 3")
    rules = TRANSFER_RULES + "on transfer cancelled:\n    release reservations\n"
    doc = w.transfer([("A1", "4", "10"), ("MILK", "2", "5")])
    seen = preview.dry_run(w.store, w.tenant_id, rules, TRANSFER_FORM, doc, "approved")
    assert seen.ok
    assert [(m.item, m.qty, m.batch) for m in seen.movements] == [
        ("A1", D(4), None), ("MILK", D(2), "L1")]
    assert [e["verb"] for e in seen.effects] == ["move", "move"]
    too_much = preview.dry_run(w.store, w.tenant_id, rules, TRANSFER_FORM,
                               w.transfer([("A1", "400", "1")]), "approved")
    assert not too_much.ok and too_much.problems[0].code == "ledger.insufficient_stock"
    assert too_much.problems[0].source.line == 4
    assert w.qty("A1", "S2") == (D(0), D(0))  # dry runs keep nothing
