"""Valuation conventions (FIFO layers, moving average) and their exactness."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.ledger.model import Location, LocationKind, Valuation
from engine.ledger.numbers import MONEY_PLACES, is_exact
from engine.ledger.valuation import (
    Flow,
    ValuationState,
    Valued,
    classify,
    issue,
    receive,
    return_value,
)

D = Decimal
FIFO = ValuationState(Valuation.FIFO)
AVG = ValuationState(Valuation.MOVING_AVERAGE)


def test_fifo_issues_oldest_layer_first() -> None:
    state = receive(FIFO, D(10), 1, unit_cost=D(2)).state
    state = receive(state, D(10), 2, unit_cost=D(3)).state
    out = issue(state, D(15))
    assert out.amount == D(35)
    assert [(c.seq, c.qty, c.value) for c in out.consumed] == [
        (1, D(10), D(20)),
        (2, D(5), D(15)),
    ]
    assert out.state.qty == 5 and out.state.value == 15


def test_moving_average_pools_receipts() -> None:
    state = receive(AVG, D(10), 1, unit_cost=D(2)).state
    state = receive(state, D(10), 2, unit_cost=D(3)).state
    assert state.average_cost == D("2.5")
    out = issue(state, D(15))
    assert out.amount == D("37.5") and out.state.value == D("12.5")


def test_rounding_remainder_stays_in_the_layer_until_it_is_emptied() -> None:
    state = receive(AVG, D(3), 1, value=D(10)).state  # 3.3333… each
    amounts = []
    for _ in range(3):
        out = issue(state, D(1))
        amounts.append(out.amount)
        state = out.state
    assert amounts == [D("3.3333"), D("3.3334"), D("3.3333")]
    assert sum(amounts) == D(10) and state.value == 0


def test_receipt_value_is_rounded_half_even() -> None:
    out = receive(FIFO, D("0.5"), 1, unit_cost=D("0.00005"))  # 0.000025
    assert out.amount == D("0")
    out = receive(FIFO, D(3), 1, unit_cost=D("0.00005"))  # 0.00015
    assert out.amount == D("0.0002")


def test_negative_stock_costs_the_shortfall_at_the_last_cost_and_settles_later() -> None:
    state = receive(AVG, D(2), 1, unit_cost=D(5)).state
    out = issue(state, D(5))  # 2 at 5 from stock, 3 provisionally at 5
    assert out.amount == D(25) and out.state.qty == -3 and out.state.value == -15
    settle = receive(out.state, D(4), 2, unit_cost=D(6))
    assert settle.adjustment == D(3)  # the 3 short cost 18, not 15
    assert settle.amount == D(24)
    assert settle.state.qty == 1 and settle.state.value == 6
    partial = receive(out.state, D(1), 2, unit_cost=D(4))
    assert partial.adjustment == D(-1)
    assert partial.state.qty == -2 and partial.state.value == -10


def test_receipt_without_cost_uses_the_average_or_last_cost() -> None:
    state = receive(AVG, D(4), 1, unit_cost=D("2.5")).state
    assert receive(state, D(2), 2).amount == D(5)
    empty = issue(state, D(4)).state
    assert receive(empty, D(2), 3).amount == D(5)


def test_customer_return_at_the_original_cost() -> None:
    assert return_value(D(3), D(10), D(1)) == D("3.3333")
    assert return_value(D(3), D(10), D(3)) == D(10)


def test_only_boundary_crossings_are_valued() -> None:
    def at(kind: LocationKind) -> Location:
        return Location(1, 1, kind.value, kind.value, kind)

    assert classify(at(LocationKind.SUPPLIER), at(LocationKind.WAREHOUSE)) is Flow.RECEIPT
    assert classify(at(LocationKind.STORE), at(LocationKind.CUSTOMER)) is Flow.ISSUE
    assert classify(at(LocationKind.WAREHOUSE), at(LocationKind.TRANSIT)) is Flow.NONE
    assert classify(at(LocationKind.WAREHOUSE), at(LocationKind.SHELF)) is Flow.NONE
    assert classify(at(LocationKind.SCRAP), at(LocationKind.CUSTOMER)) is Flow.NONE


qty = st.decimals(min_value=D("0.001"), max_value=1000, places=3)
cost = st.decimals(min_value=0, max_value=100, places=6)
steps = st.lists(st.tuples(st.booleans(), qty, cost), min_size=1, max_size=25)


def run(
    method: Valuation, ops: list[tuple[bool, Decimal, Decimal]], negative: bool
) -> tuple[ValuationState, Decimal, Decimal, Decimal]:
    state, received, issued, adjusted = ValuationState(method), D(0), D(0), D(0)
    for seq, (is_receipt, amount, unit_cost) in enumerate(ops):
        out: Valued
        if is_receipt:
            out = receive(state, amount, seq, unit_cost=unit_cost)
            received += out.amount
            adjusted += out.adjustment
        else:
            if not negative:
                amount = min(amount, state.qty)
                if amount <= 0:
                    continue
            out = issue(state, amount)
            issued += out.amount
        state = out.state
        assert is_exact(out.amount, MONEY_PLACES)
    return state, received, issued, adjusted


@given(st.sampled_from(list(Valuation)), steps, st.booleans())
def test_value_is_conserved_exactly(
    method: Valuation, ops: list[tuple[bool, Decimal, Decimal]], negative: bool
) -> None:
    state, received, issued, adjusted = run(method, ops, negative)
    assert received == issued + adjusted + state.value


@given(st.sampled_from(list(Valuation)), steps)
def test_non_negative_stock_never_has_negative_value(
    method: Valuation, ops: list[tuple[bool, Decimal, Decimal]]
) -> None:
    state = ValuationState(method)
    for seq, (is_receipt, amount, unit_cost) in enumerate(ops):
        if is_receipt:
            state = receive(state, amount, seq, unit_cost=unit_cost).state
        elif state.qty > 0:
            state = issue(state, min(amount, state.qty)).state
        assert state.qty >= 0 and state.value >= 0
        assert all(layer.qty > 0 and layer.value >= 0 for layer in state.layers)


@given(st.lists(st.tuples(qty, cost), min_size=1, max_size=15), st.sampled_from(list(Valuation)))
def test_issuing_everything_costs_exactly_what_was_received(
    receipts: list[tuple[Decimal, Decimal]], method: Valuation
) -> None:
    state, total = ValuationState(method), D(0)
    for seq, (amount, unit_cost) in enumerate(receipts):
        out = receive(state, amount, seq, unit_cost=unit_cost)
        state, total = out.state, total + out.amount
    out = issue(state, state.qty)
    assert out.amount == total
    assert out.state.qty == 0 and out.state.value == 0 and out.state.layers == ()
