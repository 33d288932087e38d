"""Master data values: unit conversion, batches, the reservation transition table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine.errors import Problem
from engine.ledger.model import (
    RESERVATION_TRANSITIONS,
    Balance,
    BalanceKey,
    Batch,
    Item,
    LocationKind,
    Provenance,
    Reservation,
    ReservationAction,
    ReservationState,
    UnitConversion,
    due_reservations,
    next_state,
)
from engine.ledger.units import UnitTable

D = Decimal
SCREW = Item(1, 1, "S", "Screw", "piece")
FLOUR = Item(2, 1, "F", "Flour", "kg")
APPLE = Item(3, 1, "A", "Apple", "piece")
UNITS = UnitTable.of(
    [
        UnitConversion(1, "box", D(12)),
        UnitConversion(3, "kg", D(4)),
        UnitConversion(None, "dozen", D(12)),
    ]
)


@pytest.mark.parametrize(
    ("item", "qty", "source", "target", "expected"),
    [
        (SCREW, D(2), "box", "piece", D(24)),
        (SCREW, D(36), "piece", "box", D(3)),
        (SCREW, D(1), "dozen", "box", D(1)),
        (FLOUR, D("1.5"), "kg", "g", D(1500)),
        (FLOUR, D(1), "斤", "g", D(500)),
        (FLOUR, D(250), "g", "kg", D("0.25")),
        (APPLE, D(500), "g", "piece", D(2)),  # through the item's own kg conversion
    ],
)
def test_convert_is_exact(
    item: Item, qty: Decimal, source: str, target: str, expected: Decimal
) -> None:
    assert UNITS.convert(item, qty, source, target) == expected


def test_unknown_unit_is_a_problem() -> None:
    result = UNITS.convert(SCREW, D(1), "pallet", "piece")
    assert isinstance(result, Problem)
    assert result.code == "ledger.unknown_unit"
    assert "pallet" in result.message.en


def test_inexact_conversion_is_refused_not_rounded() -> None:
    result = UNITS.convert(SCREW, D(1), "piece", "box")  # 1/12 box
    assert isinstance(result, Problem)
    assert result.code == "ledger.invalid_quantity"


def test_batch_expires_after_its_expiry_day() -> None:
    batch = Batch(1, 1, 1, "B", expiry_date=date(2024, 6, 1))
    assert not batch.expired(date(2024, 6, 1))
    assert batch.expired(date(2024, 6, 2))
    assert not Batch(2, 1, 1, "U").expired(date(2999, 1, 1))


def test_reservation_transitions_leave_pending_exactly_once() -> None:
    for action in ReservationAction:
        state = next_state(ReservationState.PENDING, action)
        assert state is not None and state is not ReservationState.PENDING
        for again in ReservationAction:
            assert next_state(state, again) is None
    assert len(RESERVATION_TRANSITIONS) == 3


def test_location_kinds_and_lock_order() -> None:
    assert LocationKind.SHELF.internal and not LocationKind.TRANSIT.internal
    assert LocationKind.TRANSIT.valued and not LocationKind.CUSTOMER.valued
    keys = [BalanceKey(2, 1, 5), BalanceKey(1, 9), BalanceKey(2, 1), BalanceKey(1, 9, 3)]
    ordered = sorted(keys, key=lambda k: k.lock_order)
    assert ordered == [BalanceKey(1, 9), BalanceKey(1, 9, 3), BalanceKey(2, 1), BalanceKey(2, 1, 5)]
    assert Balance(D(5), D(2)).available == D(3)


def test_due_reservations_are_pending_and_past_their_time() -> None:
    from datetime import datetime

    who = Provenance(1, 1, 1, "r", "submitted", 1)
    now = datetime(2024, 6, 1, 12, 0)
    rows = [
        Reservation(3, 1, BalanceKey(1, 1), D(1), who, expires_at=now),
        Reservation(1, 1, BalanceKey(1, 1), D(1), who, expires_at=datetime(2024, 6, 1, 11)),
        Reservation(2, 1, BalanceKey(1, 1), D(1), who, expires_at=datetime(2024, 6, 2)),
        Reservation(4, 1, BalanceKey(1, 1), D(1), who),
        Reservation(5, 1, BalanceKey(1, 1), D(1), who, ReservationState.RELEASED, now),
    ]
    assert due_reservations(rows, now) == [1, 3]
