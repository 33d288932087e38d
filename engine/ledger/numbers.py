"""Exact arithmetic for the ledger: places, parsing, rounding and scaled integers.

Conventions (see docs/ledger.md):

* quantities are :class:`~decimal.Decimal` with at most ``QTY_PLACES`` (6) decimal places;
* unit costs are ``Decimal`` with at most ``COST_PLACES`` (6) places;
* money amounts (values) are ``Decimal`` with at most ``MONEY_PLACES`` (4) places;
* the store keeps quantities as integer micro-units (``to_scaled(q, QTY_PLACES)``) and
  money as integer 1/10000 units (``to_scaled(v, MONEY_PLACES)``);
* floats are never accepted; rounding happens only in :func:`round_money`,
  :func:`round_cost` and :func:`round_fraction`, always ``ROUND_HALF_EVEN``.

Products and sums run in :data:`CONTEXT` (50 significant digits), far more than a
bigint of micro-units times a 6-place cost needs, so they are exact.
"""

from __future__ import annotations

from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from fractions import Fraction

from engine.errors import Problem, Source, problem

QTY_PLACES = 6
COST_PLACES = 6
MONEY_PLACES = 4

ZERO = Decimal(0)

CONTEXT = Context(
    prec=50,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

_FIELD_NAMES = {
    QTY_PLACES: ("quantity", "数量"),
    MONEY_PLACES: ("amount", "金额"),
}


def quantum(places: int) -> Decimal:
    """``Decimal('1E-places')``: the smallest step with ``places`` decimals."""
    return Decimal(1).scaleb(-places)


def is_exact(value: Decimal, places: int) -> bool:
    """True when ``value`` is finite and has no non-zero digit beyond ``places``."""
    if not value.is_finite():
        return False
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    extra = -exponent - places  # digits written beyond ``places``
    return extra <= 0 or not any(digits[-extra:])


def _bad(code: str, en: str, zh: str, source: Source | None) -> Problem:
    return problem(code, en, zh, source or Source())


def parse_decimal(value: object, places: int, source: Source | None = None) -> Decimal | Problem:
    """Turn user input (``str``, ``int`` or ``Decimal``) into an exact ``Decimal``.

    Refuses ``float`` and ``bool`` (inexact or surely a mistake), NaN, infinities,
    malformed text and more than ``places`` decimal places, each as a :class:`Problem`.
    Trailing zeros are fine: ``"1.50"`` is 1.5.
    """
    en_name, zh_name = _FIELD_NAMES.get(places, ("number", "数值"))
    if isinstance(value, bool) or isinstance(value, float):
        return _bad(
            "number.float_refused",
            f"The {en_name} must be given as text or an integer, not a binary float: "
            f"write {str(value)!r} as a string",
            f"{zh_name}必须以文本或整数给出，不能是浮点数：请写成字符串 {str(value)!r}",
            source,
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return _bad(
                "number.malformed",
                f"{value!r} is not a number: write digits with an optional '.' such as 12.5",
                f"{value!r} 不是数字：请写成如 12.5 的形式",
                source,
            )
    elif isinstance(value, Decimal):
        number = value
    else:
        return _bad(
            "number.malformed",
            f"A {en_name} must be text, an integer or a Decimal, not {type(value).__name__}",
            f"{zh_name}必须是文本、整数或 Decimal，而不是 {type(value).__name__}",
            source,
        )
    return _check_places(number, places, en_name, zh_name, source)


def _check_places(
    number: Decimal, places: int, en_name: str, zh_name: str, source: Source | None
) -> Decimal | Problem:
    if not number.is_finite():
        return _bad(
            "number.not_finite",
            f"The {en_name} must be a finite number, not {number}",
            f"{zh_name}必须是有限数，不能是 {number}",
            source,
        )
    if not is_exact(number, places):
        return _bad(
            "number.too_many_places",
            f"The {en_name} {number} has more than {places} decimal places: round it first",
            f"{zh_name} {number} 的小数位超过 {places} 位：请先取整",
            source,
        )
    return number


def parse_qty(value: object, source: Source | None = None) -> Decimal | Problem:
    """:func:`parse_decimal` with ``QTY_PLACES``."""
    return parse_decimal(value, QTY_PLACES, source)


def parse_cost(value: object, source: Source | None = None) -> Decimal | Problem:
    """:func:`parse_decimal` with ``COST_PLACES``."""
    return parse_decimal(value, COST_PLACES, source)


def parse_money(value: object, source: Source | None = None) -> Decimal | Problem:
    """:func:`parse_decimal` with ``MONEY_PLACES``."""
    return parse_decimal(value, MONEY_PLACES, source)


def to_scaled(value: Decimal, places: int) -> int:
    """Exact ``value × 10**places`` as an ``int``; raises ``ValueError`` if not exact."""
    if not is_exact(value, places):
        raise ValueError(f"{value} does not fit {places} decimal places")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    magnitude = int("".join(map(str, digits)) or "0")
    shift = exponent + places
    scale: int = 10 ** abs(shift)
    magnitude = magnitude * scale if shift >= 0 else magnitude // scale
    return -magnitude if sign else magnitude


def from_scaled(units: int, places: int) -> Decimal:
    """Exact inverse of :func:`to_scaled`: ``Decimal(units) / 10**places``."""
    sign = 1 if units < 0 else 0
    digits = tuple(int(c) for c in str(abs(units)))
    return Decimal((sign, digits, -places))


def mul(a: Decimal, b: Decimal) -> Decimal:
    """Exact product (within :data:`CONTEXT`)."""
    return CONTEXT.multiply(a, b)


def round_fraction(value: Fraction, places: int) -> Decimal:
    """Round an exact rational to ``places`` decimals, half to even (one rounding only)."""
    scaled = int(round(value * 10**places))  # Fraction.__round__ rounds half to even
    return from_scaled(scaled, places)


def round_money(value: Decimal | Fraction) -> Decimal:
    """Round to ``MONEY_PLACES``, half to even."""
    return round_fraction(Fraction(value), MONEY_PLACES)


def round_cost(value: Decimal | Fraction) -> Decimal:
    """Round to ``COST_PLACES``, half to even."""
    return round_fraction(Fraction(value), COST_PLACES)


def canonical(value: Decimal) -> str:
    """One text per value: no exponent, no trailing zeros, ``0`` for any zero."""
    if value.is_zero():
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def sum_exact(values: list[Decimal] | tuple[Decimal, ...]) -> Decimal:
    """Exact sum of decimals (within :data:`CONTEXT`)."""
    total = ZERO
    for value in values:
        total = CONTEXT.add(total, value)
    return total
