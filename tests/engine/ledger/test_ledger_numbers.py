"""Exact arithmetic: parsing user input, rounding, scaled integers."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import Problem
from engine.ledger.numbers import (
    MONEY_PLACES,
    QTY_PLACES,
    canonical,
    from_scaled,
    is_exact,
    parse_cost,
    parse_money,
    parse_qty,
    round_fraction,
    round_money,
    to_scaled,
)

D = Decimal


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (1.5, "number.float_refused"),
        (True, "number.float_refused"),
        ("NaN", "number.not_finite"),
        ("-Infinity", "number.not_finite"),
        (D("Infinity"), "number.not_finite"),
        ("1.1234567", "number.too_many_places"),
        ("12,5", "number.malformed"),
        ([1], "number.malformed"),
    ],
)
def test_parse_refuses_with_a_problem(raw: object, code: str) -> None:
    result = parse_qty(raw)
    assert isinstance(result, Problem)
    assert result.code == code
    assert result.message.en and result.message.zh


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3", D(3)),
        (" 3.50 ", D("3.5")),
        (7, D(7)),
        (D("0.000001"), D("0.000001")),
        ("1.5000000000", D("1.5")),
        ("-2", D(-2)),
        ("1E+3", D(1000)),
    ],
)
def test_parse_accepts_exact_values(raw: object, expected: Decimal) -> None:
    assert parse_qty(raw) == expected


def test_money_has_four_places_and_cost_six() -> None:
    assert isinstance(parse_money("1.23456"), Problem)
    assert parse_money("1.2345") == D("1.2345")
    assert parse_cost("1.234567") == D("1.234567")


def test_scaled_integers_are_exact() -> None:
    assert to_scaled(D("1.5"), QTY_PLACES) == 1_500_000
    assert to_scaled(D("-0.0001"), MONEY_PLACES) == -1
    assert from_scaled(1_500_000, QTY_PLACES) == D("1.5")
    assert to_scaled(D("1E+3"), MONEY_PLACES) == 10_000_000
    with pytest.raises(ValueError, match="places"):
        to_scaled(D("0.00001"), MONEY_PLACES)


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.sampled_from([4, 6]))
def test_scaled_round_trip_from_int(units: int, places: int) -> None:
    assert to_scaled(from_scaled(units, places), places) == units


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=6, min_value=-(10**12), max_value=10**12
    )
)
def test_scaled_round_trip_from_decimal(value: Decimal) -> None:
    assert from_scaled(to_scaled(value, QTY_PLACES), QTY_PLACES) == value


def test_rounding_is_half_even_once() -> None:
    assert round_money(D("0.00005")) == D("0")
    assert round_money(D("0.00015")) == D("0.0002")
    assert round_money(D("-0.00025")) == D("-0.0002")
    assert round_fraction(Fraction(1, 3), 4) == D("0.3333")
    # one rounding from the exact rational, not two
    assert round_fraction(Fraction(4_9999, 1_000_000), 4) == D("0.0500")


def test_canonical_text_is_unique_per_value() -> None:
    assert canonical(D("2.500")) == canonical(D("2.5")) == "2.5"
    assert canonical(D("1E+3")) == "1000"
    assert canonical(D("-0.00")) == "0"
    assert is_exact(D("1.000000000"), 0)
