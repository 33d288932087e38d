"""Planning each operation against a snapshot: movements, deltas, guards, refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from ledger_world import (
    ADJUST,
    BOLT,
    CUSTOMER,
    ELSEWHERE,
    FOREIGN,
    LOOSE,
    MILK,
    OPEN,
    PLAIN,
    SCRAP,
    SHOP,
    SUPPLIER,
    TODAY,
    TRANSIT,
    WH1,
    WH2,
    D,
    ctx,
    new_ledger,
    ok,
    post,
)

from engine.ledger.memory import MemoryLedger
from engine.ledger.model import BalanceKey, Delta, ReservationState
from engine.ledger.planning import (
    CountLine,
    aggregate_deltas,
    combine,
    plan_issue,
    plan_move,
    plan_receive,
    plan_reserve,
)
from engine.ledger.results import Result
from engine.ledger.snapshot import advance


@pytest.fixture
def ledger() -> MemoryLedger:
    book = new_ledger()
    ok(post(book, "receive", item_id=PLAIN, qty=D(10), to_location_id=WH1, unit_cost=D("2.5")))
    return book


def test_receive_plans_one_movement_and_two_deltas() -> None:
    book = new_ledger()
    plan = plan_receive(book.snapshot(), ctx("k"), PLAIN, D(4), WH1, unit_cost=D(3))
    assert plan.ok
    (movement,) = plan.movements
    assert (movement.from_location_id, movement.to_location_id, movement.qty) == (
        SUPPLIER,
        WH1,
        D(4),
    )
    assert movement.key == "k/0" and movement.unit_cost == D(3) and movement.id is None
    assert dict(plan.deltas) == {
        BalanceKey(PLAIN, WH1): Delta(D(4)),
        BalanceKey(PLAIN, SUPPLIER): Delta(D(-4)),  # virtual: never guarded
    }


def test_issue_is_guarded_at_the_internal_source(ledger: MemoryLedger) -> None:
    plan = plan_issue(ledger.snapshot(), ctx(), PLAIN, D(4), WH1)
    deltas = dict(plan.deltas)
    assert deltas[BalanceKey(PLAIN, WH1)] == Delta(D(-4), guarded=True)
    assert deltas[BalanceKey(PLAIN, CUSTOMER)] == Delta(D(4))
    assert [k for k, _ in plan.deltas] == sorted(deltas, key=lambda k: k.lock_order)


def test_issue_refuses_more_than_available_with_the_shortfall(ledger: MemoryLedger) -> None:
    result = post(ledger, "issue", item_id=PLAIN, qty=D(12), from_location_id=WH1)
    assert result.code is Result.INSUFFICIENT_STOCK
    assert result.details["missing"] == "2"
    assert result.shortages[0].missing == D(2)
    assert "insufficient_stock" in result.problem().code
    assert ledger.balance(PLAIN, WH1).on_hand == D(10)


def test_negative_allowed_by_location_or_item_is_not_guarded() -> None:
    book = new_ledger()
    ok(post(book, "issue", item_id=PLAIN, qty=D(3), from_location_id=OPEN))
    ok(post(book, "issue", item_id=LOOSE, qty=D(2), from_location_id=WH1))
    assert book.balance(PLAIN, OPEN).on_hand == D(-3)
    assert book.balance(LOOSE, WH1).on_hand == D(-2)
    assert book.verify() == []


def test_move_between_warehouses_and_via_transit(ledger: MemoryLedger) -> None:
    ok(post(ledger, "move", item_id=PLAIN, qty=D(3), from_location_id=WH1, to_location_id=WH2))
    shipped = ok(post(ledger, "ship", item_id=PLAIN, qty=D(2), from_location_id=WH1))
    assert ledger.balance(PLAIN, TRANSIT).on_hand == D(2)
    ok(post(ledger, "transit_receive", shipped=list(shipped.movements), to_location_id=SHOP))
    assert [ledger.on_hand(PLAIN, loc) for loc in (WH1, WH2, SHOP, TRANSIT)] == [5, 3, 2, 0]
    same = post(ledger, "move", item_id=PLAIN, qty=D(1), from_location_id=WH1, to_location_id=WH1)
    assert same.code is Result.SAME_LOCATION


def test_transit_receive_needs_a_transit_source(ledger: MemoryLedger) -> None:
    moved = ok(
        post(ledger, "move", item_id=PLAIN, qty=D(1), from_location_id=WH1, to_location_id=WH2)
    )
    result = post(ledger, "transit_receive", shipped=list(moved.movements), to_location_id=SHOP)
    assert result.code is Result.UNKNOWN_LOCATION


def test_scrap_may_take_expired_batches_but_issue_may_not() -> None:
    book = new_ledger()
    old = book.ensure_batch(MILK, "OLD", TODAY - timedelta(days=1))
    ok(post(book, "receive", item_id=MILK, qty=D(5), to_location_id=WH1, batch_id=old.id))
    issued = post(book, "issue", item_id=MILK, qty=D(1), from_location_id=WH1)
    assert issued.code is Result.BATCH_EXPIRED
    ok(post(book, "scrap", item_id=MILK, qty=D(5), from_location_id=WH1))
    assert book.balance(MILK, SCRAP, old.id).on_hand == D(5)


def test_receive_checks_batches() -> None:
    book = new_ledger()
    milk_lot = book.ensure_batch(MILK, "L1", TODAY)
    bolt_lot = book.ensure_batch(BOLT, "B1")
    cases = [
        ({"item_id": MILK}, Result.BATCH_REQUIRED),
        ({"item_id": PLAIN, "batch_id": milk_lot.id}, Result.BATCH_NOT_TRACKED),
        ({"item_id": MILK, "batch_id": bolt_lot.id}, Result.UNKNOWN_BATCH),
        ({"item_id": MILK, "batch_id": 9999}, Result.UNKNOWN_BATCH),
    ]
    for arguments, code in cases:
        result = post(book, "receive", qty=D(1), to_location_id=WH1, **arguments)
        assert result.code is code, arguments


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"item_id": 9999}, Result.UNKNOWN_ITEM),
        ({"item_id": FOREIGN}, Result.TENANT_MISMATCH),
        ({"to_location_id": ELSEWHERE}, Result.TENANT_MISMATCH),
        ({"to_location_id": 9999}, Result.UNKNOWN_LOCATION),
        ({"qty": D(0)}, Result.INVALID_QUANTITY),
        ({"qty": D("-1")}, Result.INVALID_QUANTITY),
        ({"qty": D("0.0000001")}, Result.INVALID_QUANTITY),
        ({"unit_cost": D("-1")}, Result.INVALID_COST),
        ({"unit_cost": D("0.0000001")}, Result.INVALID_COST),
    ],
)
def test_receive_refusals(arguments: dict[str, object], code: Result) -> None:
    book = new_ledger()
    base: dict[str, object] = {"item_id": PLAIN, "qty": D(1), "to_location_id": WH1}
    result = post(book, "receive", **{**base, **arguments})
    assert result.code is code
    assert result.movements == () and result.deltas == ()
    assert book.journal == []


def test_locked_location_past_date_and_foreign_context(ledger: MemoryLedger) -> None:
    ledger.locations[WH2] = replace(ledger.locations[WH2], locked=True)
    locked = post(ledger, "move", item_id=PLAIN, qty=D(1), from_location_id=WH1, to_location_id=WH2)
    assert locked.code is Result.LOCATION_LOCKED
    ledger.closed_through = date(2024, 5, 31)
    early = ledger.run(
        ctx(posted_at=datetime(2024, 5, 31, 23, 59)),
        "issue",
        item_id=PLAIN,
        qty=D(1),
        from_location_id=WH1,
    )
    assert early.code is Result.PAST_DATED
    foreign = ledger.run(ctx(tenant=2), "issue", item_id=PLAIN, qty=D(1), from_location_id=WH1)
    assert foreign.code is Result.TENANT_MISMATCH


def test_count_posts_differences_per_batch() -> None:
    book = new_ledger()
    a, b = book.ensure_batch(BOLT, "A"), book.ensure_batch(BOLT, "B")
    for batch in (a, b):
        ok(post(book, "receive", item_id=BOLT, qty=D(5), to_location_id=WH1, batch_id=batch.id))
    lines = [
        CountLine(BOLT, WH1, D(7), a.id),
        CountLine(BOLT, WH1, D(1), b.id),
        CountLine(PLAIN, WH1, D(0)),
    ]
    result = ok(post(book, "count", lines=lines))
    assert [(m.from_location_id, m.to_location_id, m.qty) for m in result.movements] == [
        (ADJUST, WH1, D(2)),
        (WH1, ADJUST, D(4)),
    ]
    assert book.balance(BOLT, WH1, a.id).on_hand == 7 and book.balance(BOLT, WH1, b.id).on_hand == 1
    twice = post(book, "count", lines=[CountLine(BOLT, WH1, D(1), a.id)] * 2)
    assert twice.code is Result.INVALID_QUANTITY
    unbatched = post(book, "count", lines=[CountLine(BOLT, WH1, D(1))])
    assert unbatched.code is Result.BATCH_REQUIRED


def test_count_below_reserved_is_refused(ledger: MemoryLedger) -> None:
    ok(post(ledger, "reserve", item_id=PLAIN, qty=D(6), location_id=WH1))
    result = post(ledger, "count", lines=[CountLine(PLAIN, WH1, D(5))])
    assert result.code is Result.INSUFFICIENT_STOCK


def test_reserve_release_expire_change_reserved_only(ledger: MemoryLedger) -> None:
    reserved = ok(post(ledger, "reserve", item_id=PLAIN, qty=D(4), location_id=WH1, document=5))
    assert reserved.movements == ()
    assert ledger.balance(PLAIN, WH1).reserved == 4
    assert post(ledger, "issue", item_id=PLAIN, qty=D(7), from_location_id=WH1).code is (
        Result.INSUFFICIENT_STOCK
    )
    (rid,) = ledger.pending(5)
    ok(post(ledger, "release", reservation_ids=[rid]))
    assert ledger.balance(PLAIN, WH1).reserved == 0
    again = post(ledger, "expire", reservation_ids=[rid])
    assert again.code is Result.RESERVATION_NOT_PENDING
    assert post(ledger, "release", reservation_ids=[4242]).code is Result.UNKNOWN_RESERVATION
    assert post(ledger, "reserve", item_id=PLAIN, qty=D(11), location_id=WH1).code is (
        Result.INSUFFICIENT_STOCK
    )


def test_reserved_issue_consumes_its_own_reservation(ledger: MemoryLedger) -> None:
    ok(post(ledger, "reserve", item_id=PLAIN, qty=D(8), location_id=WH1, document=5))
    rids = ledger.pending(5)
    assert post(ledger, "issue", item_id=PLAIN, qty=D(3), from_location_id=WH1).code is (
        Result.INSUFFICIENT_STOCK
    )  # someone else only sees 2
    result = ok(
        post(
            ledger,
            "issue",
            item_id=PLAIN,
            qty=D(9),
            from_location_id=WH1,
            reservation_ids=rids,
            document=5,
        )
    )
    assert [r.state for r in result.reservations] == [ReservationState.POSTED]
    assert ledger.balance(PLAIN, WH1) == type(ledger.balance(PLAIN, WH1))(D(1), D(0))


def test_scrap_consumes_its_own_reservation(ledger: MemoryLedger) -> None:
    ok(post(ledger, "reserve", item_id=PLAIN, qty=D(10), location_id=WH1, document=6))
    assert post(ledger, "scrap", item_id=PLAIN, qty=D(4), from_location_id=WH1,
                document=6).code is Result.INSUFFICIENT_STOCK  # all of it is held
    result = ok(post(ledger, "scrap", item_id=PLAIN, qty=D(4), from_location_id=WH1,
                     reservation_ids=ledger.pending(6), document=6))
    assert [r.state for r in result.reservations] == [ReservationState.POSTED]
    assert ledger.balance(PLAIN, WH1) == type(ledger.balance(PLAIN, WH1))(D(6), D(0))


def test_reservation_of_batches_is_fefo() -> None:
    book = new_ledger()
    late, soon = (
        book.ensure_batch(MILK, "LATE", TODAY + timedelta(days=9)),
        book.ensure_batch(MILK, "SOON", TODAY + timedelta(days=1)),
    )
    for batch in (late, soon):
        ok(post(book, "receive", item_id=MILK, qty=D(3), to_location_id=WH1, batch_id=batch.id))
    result = ok(post(book, "reserve", item_id=MILK, qty=D(4), location_id=WH1))
    assert [(r.key.batch_id, r.qty) for r in result.reservations] == [
        (soon.id, D(3)),
        (late.id, D(1)),
    ]


def test_reverse_once_and_never_a_reversal(ledger: MemoryLedger) -> None:
    (receipt,) = ledger.journal
    assert receipt.id is not None
    reversal = ok(post(ledger, "reverse", movement_ids=[receipt.id]))
    (back,) = reversal.movements
    assert (back.from_location_id, back.to_location_id, back.reversal_of) == (
        WH1,
        SUPPLIER,
        receipt.id,
    )
    assert ledger.balance(PLAIN, WH1).on_hand == 0
    assert post(ledger, "reverse", movement_ids=[receipt.id]).code is Result.ALREADY_REVERSED
    assert back.id is not None
    assert post(ledger, "reverse", movement_ids=[back.id]).code is Result.NOT_REVERSIBLE
    assert post(ledger, "reverse", movement_ids=[777]).code is Result.UNKNOWN_MOVEMENT


def test_reverse_is_guarded_when_the_stock_is_gone(ledger: MemoryLedger) -> None:
    ok(post(ledger, "issue", item_id=PLAIN, qty=D(8), from_location_id=WH1))
    (receipt, _) = ledger.journal
    assert receipt.id is not None
    assert post(ledger, "reverse", movement_ids=[receipt.id]).code is Result.INSUFFICIENT_STOCK


def test_combine_and_aggregate_sum_per_key_in_lock_order(ledger: MemoryLedger) -> None:
    snap = ledger.snapshot()
    first = plan_issue(snap, ctx("a"), PLAIN, D(4), WH1)
    second = plan_move(advance(snap, first), ctx("b"), PLAIN, D(5), WH1, SHOP)
    receipt = plan_receive(snap, ctx("c"), PLAIN, D(1), SHOP)
    total = aggregate_deltas([first, second, receipt])
    assert list(total) == sorted(total, key=lambda k: k.lock_order)
    assert total[BalanceKey(PLAIN, WH1)] == Delta(D(-9), guarded=True)
    assert total[BalanceKey(PLAIN, SHOP)] == Delta(D(6))
    merged = combine([first, second, receipt])
    assert merged.ok and len(merged.movements) == 3 and dict(merged.deltas) == total
    refused = plan_issue(snap, ctx("d"), PLAIN, D(99), WH1)
    assert combine([first, refused]) is refused


def test_advance_lets_a_bulk_path_plan_line_after_line(ledger: MemoryLedger) -> None:
    snap = ledger.snapshot()
    first = plan_reserve(snap, ctx(), PLAIN, D(6), WH1)
    after = advance(snap, first)
    assert after.balance(BalanceKey(PLAIN, WH1)).reserved == 6
    assert plan_issue(after, ctx(), PLAIN, D(5), WH1).code is Result.INSUFFICIENT_STOCK


def test_count_posts_into_the_location_its_stocktake_locked(ledger: MemoryLedger) -> None:
    ledger.locations[WH1] = replace(ledger.locations[WH1], locked=True)
    assert post(ledger, "issue", item_id=PLAIN, qty=D(1), from_location_id=WH1).code is (
        Result.LOCATION_LOCKED
    )
    ok(post(ledger, "count", lines=[CountLine(PLAIN, WH1, D(9))]))
    assert ledger.balance(PLAIN, WH1).on_hand == 9
