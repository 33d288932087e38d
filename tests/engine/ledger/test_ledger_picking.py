"""Batch picking: FEFO, FIFO, named batches, own reservations, shortfalls."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.ledger.model import Balance, BalanceKey, Batch, Item, Tracking
from engine.ledger.picking import Stock, pick
from engine.ledger.results import Result

D = Decimal
TODAY = date(2024, 6, 1)
MILK = Item(1, 1, "M", "Milk", "l", Tracking.BATCH_EXPIRY)
BOLT = Item(2, 1, "B", "Bolt", "piece", Tracking.BATCH)
PLAIN = Item(3, 1, "P", "Plain", "piece")
LOC = 10


def lot(
    item: Item,
    batch_id: int,
    on_hand: str,
    expiry: date | None = None,
    reserved: str = "0",
    seq: int | None = None,
) -> Stock:
    batch = Batch(batch_id, 1, item.id, f"L{batch_id}", expiry_date=expiry)
    return Stock(BalanceKey(item.id, LOC, batch_id), Balance(D(on_hand), D(reserved)), batch, seq)


def picks(result: object) -> list[tuple[int | None, Decimal]]:
    return [(p.key.batch_id, p.qty) for p in result.picks]  # type: ignore[attr-defined]


def test_fefo_takes_earliest_expiry_first_and_undated_last() -> None:
    stock = [
        lot(MILK, 1, "5"),  # undated
        lot(MILK, 2, "5", TODAY + timedelta(days=9)),
        lot(MILK, 3, "5", TODAY + timedelta(days=2)),
    ]
    result = pick(MILK, LOC, D(12), stock, today=TODAY)
    assert result.ok
    assert picks(result) == [(3, D(5)), (2, D(5)), (1, D(2))]


def test_fefo_skips_expired_and_names_them_when_only_they_would_do() -> None:
    stock = [lot(MILK, 1, "5", TODAY - timedelta(days=1)), lot(MILK, 2, "3", TODAY)]
    assert picks(pick(MILK, LOC, D(3), stock, today=TODAY)) == [(2, D(3))]  # expires today: usable
    refused = pick(MILK, LOC, D(6), stock, today=TODAY)
    assert refused.code is Result.BATCH_EXPIRED and refused.expired_batches == (1,)
    allowed = pick(MILK, LOC, D(6), stock, today=TODAY, allow_expired=True)
    assert picks(allowed) == [(1, D(5)), (2, D(1))]
    short = pick(MILK, LOC, D(9), stock, today=TODAY)
    assert short.code is Result.INSUFFICIENT_STOCK and short.shortfall == D(6)


def test_fifo_follows_first_receipt_not_batch_id() -> None:
    stock = [lot(BOLT, 1, "4", seq=50), lot(BOLT, 2, "4", seq=10), lot(BOLT, 3, "4")]
    # batch 3 has no sequence: its id (3) stands in, so it comes first
    assert picks(pick(BOLT, LOC, D(10), stock, today=TODAY)) == [(3, D(4)), (2, D(4)), (1, D(2))]


def test_named_batch_is_picked_alone() -> None:
    stock = [lot(MILK, 1, "5", TODAY), lot(MILK, 2, "5", TODAY - timedelta(days=3))]
    assert picks(pick(MILK, LOC, D(2), stock, today=TODAY, batch_id=1)) == [(1, D(2))]
    expired = pick(MILK, LOC, D(2), stock, today=TODAY, batch_id=2)
    assert expired.code is Result.BATCH_EXPIRED
    short = pick(MILK, LOC, D(6), stock, today=TODAY, batch_id=1)
    assert short.code is Result.INSUFFICIENT_STOCK
    assert short.shortages[0].key == BalanceKey(MILK.id, LOC, 1)
    assert short.shortages[0].missing == D(1)


def test_available_is_on_hand_minus_reserved_plus_own() -> None:
    key = BalanceKey(PLAIN.id, LOC)
    stock = [Stock(key, Balance(D(10), D(8)))]
    assert pick(PLAIN, LOC, D(3), stock, today=TODAY).code is Result.INSUFFICIENT_STOCK
    own = {key: D(5)}
    assert picks(pick(PLAIN, LOC, D(7), stock, today=TODAY, own_reserved=own)) == [(None, D(7))]


def test_negative_allowed_puts_the_rest_on_the_last_pick() -> None:
    stock = [lot(BOLT, 1, "2", seq=1), lot(BOLT, 2, "1", seq=2)]
    result = pick(BOLT, LOC, D(5), stock, today=TODAY, allow_negative=True)
    assert picks(result) == [(1, D(2)), (2, D(3))]
    plain = pick(PLAIN, LOC, D(5), [], today=TODAY, allow_negative=True)
    assert picks(plain) == [(None, D(5))]
    assert pick(BOLT, LOC, D(5), [], today=TODAY, allow_negative=True).code is (
        Result.INSUFFICIENT_STOCK
    )


def test_other_items_and_locations_are_ignored() -> None:
    elsewhere = Stock(BalanceKey(MILK.id, LOC + 1, 7), Balance(D(100)))
    assert pick(MILK, LOC, D(1), [elsewhere], today=TODAY).code is Result.INSUFFICIENT_STOCK


quantities = st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False)


@given(
    st.lists(st.tuples(quantities, quantities, st.integers(-5, 30) | st.none()), max_size=8),
    st.decimals(min_value=D("0.001"), max_value=3000, places=3),
)
def test_picks_cover_exactly_and_never_exceed_availability(
    lots: list[tuple[Decimal, Decimal, int | None]], qty: Decimal
) -> None:
    stock = [
        lot(
            MILK,
            i + 1,
            str(on_hand),
            None if days is None else TODAY + timedelta(days=days),
            reserved=str(min(reserved, on_hand)),
        )
        for i, (on_hand, reserved, days) in enumerate(lots)
    ]
    result = pick(MILK, LOC, qty, stock, today=TODAY)
    usable = {
        s.key: s.balance.available for s in stock if not s.batch or not s.batch.expired(TODAY)
    }
    if result.ok:
        assert sum(p.qty for p in result.picks) == qty
        assert all(0 < p.qty <= usable[p.key] for p in result.picks)
        expiries = [
            next(s for s in stock if s.key == p.key).batch.expiry_date  # type: ignore[union-attr]
            for p in result.picks
        ]
        dated = [e for e in expiries if e is not None]
        assert dated == sorted(dated) and expiries[: len(dated)] == dated
    else:
        assert sum(usable.values()) < qty
