"""The reference ledger posts like the store: idempotent, guarded, all or nothing."""

from __future__ import annotations

from ledger_world import CUSTOMER, PLAIN, SHOP, WH1, D, ctx, new_ledger, ok, post

from engine.ledger.planning import plan_issue, plan_move
from engine.ledger.results import Result


def test_retry_returns_the_original_and_a_changed_payload_is_refused() -> None:
    book = new_ledger()
    context = ctx("doc:1:approved:stock:0")
    first = ok(book.run(context, "receive", item_id=PLAIN, qty=D(5), to_location_id=WH1))
    again = book.run(context, "receive", item_id=PLAIN, qty=D("5.0"), to_location_id=WH1)
    assert again.code is Result.EXISTS and again.movements == first.movements
    changed = book.run(context, "receive", item_id=PLAIN, qty=D(6), to_location_id=WH1)
    assert changed.code is Result.EXISTS_WITH_DIFFERENT_PAYLOAD
    assert len(book.journal) == 1 and book.balance(PLAIN, WH1).on_hand == 5


def test_a_failed_posting_is_not_remembered() -> None:
    book = new_ledger()
    context = ctx()
    refused = book.run(context, "issue", item_id=PLAIN, qty=D(2), from_location_id=WH1)
    assert refused.code is Result.INSUFFICIENT_STOCK
    ok(post(book, "receive", item_id=PLAIN, qty=D(5), to_location_id=WH1))
    ok(book.run(context, "issue", item_id=PLAIN, qty=D(2), from_location_id=WH1))


def test_a_stale_plan_is_stopped_by_the_guard_and_changes_nothing() -> None:
    book = new_ledger()
    ok(post(book, "receive", item_id=PLAIN, qty=D(5), to_location_id=WH1))
    snap = book.snapshot()
    one = plan_issue(snap, ctx(), PLAIN, D(4), WH1)
    two = plan_move(snap, ctx(), PLAIN, D(3), WH1, SHOP)  # planned concurrently
    ok(book.apply(one))
    journal, balances = list(book.journal), dict(book.balances)
    late = book.apply(two)
    assert late.code is Result.INSUFFICIENT_STOCK
    assert book.journal == journal and book.balances == balances
    assert book.verify() == []


def test_applied_rows_get_ids_and_batches_a_receipt_sequence() -> None:
    book = new_ledger()
    result = ok(post(book, "receive", item_id=PLAIN, qty=D(5), to_location_id=WH1))
    assert all(m.id is not None for m in result.movements)
    ok(post(book, "issue", item_id=PLAIN, qty=D(1), from_location_id=WH1))
    assert book.balance(PLAIN, CUSTOMER).on_hand == 1
