"""Exact unit conversion per item (box ↔ piece, kg ↔ g, 斤 ↔ g).

An item keeps all quantities in its base unit. A :class:`UnitConversion` says
``1 unit = factor × base`` for one item (or, with ``item_id=None``, for every item,
e.g. a dozen). Standard physical units of the same dimension convert among
themselves, and through any per-item unit of that dimension (``1 kg = 4 piece``
makes ``g`` usable too). Factors are exact rationals; a conversion whose result
does not fit ``QTY_PLACES`` is refused rather than rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from engine.errors import Problem
from engine.ledger.model import Item, UnitConversion
from engine.ledger.numbers import QTY_PLACES, from_scaled
from engine.ledger.results import Result, result_problem

# unit -> (dimension, size in the dimension's smallest unit)
STANDARD_UNITS: Mapping[str, tuple[str, Fraction]] = MappingProxyType(
    {
        "mg": ("mass", Fraction(1)),
        "g": ("mass", Fraction(1000)),
        "kg": ("mass", Fraction(1000_000)),
        "t": ("mass", Fraction(1000_000_000)),
        "斤": ("mass", Fraction(500_000)),
        "两": ("mass", Fraction(50_000)),
        "ml": ("volume", Fraction(1)),
        "l": ("volume", Fraction(1000)),
        "mm": ("length", Fraction(1)),
        "cm": ("length", Fraction(10)),
        "m": ("length", Fraction(1000)),
    }
)


@dataclass(frozen=True, slots=True)
class UnitTable:
    """Conversions by ``(item_id or None, unit)`` → factor to the item's base unit."""

    factors: Mapping[tuple[int | None, str], Fraction]

    @classmethod
    def of(cls, conversions: Iterable[UnitConversion] = ()) -> UnitTable:
        table = {(c.item_id, c.unit): Fraction(c.factor) for c in conversions}
        return cls(MappingProxyType(table))

    def factor(self, item: Item, unit: str) -> Fraction | None:
        """How many base units one ``unit`` is for ``item``; ``None`` when unknown."""
        if unit == item.base_unit:
            return Fraction(1)
        for owner in (item.id, None):
            found = self.factors.get((owner, unit))
            if found is not None:
                return found
        return self._standard(item, unit)

    def _standard(self, item: Item, unit: str) -> Fraction | None:
        if unit not in STANDARD_UNITS:
            return None
        dimension, size = STANDARD_UNITS[unit]
        base = STANDARD_UNITS.get(item.base_unit)
        if base is not None and base[0] == dimension:
            return size / base[1]
        for (owner, other), factor in sorted(self.factors.items(), key=_order):
            known = STANDARD_UNITS.get(other)
            if owner in (item.id, None) and known is not None and known[0] == dimension:
                return factor * size / known[1]
        return None

    def ratio(self, item: Item, from_unit: str, to_unit: str) -> Fraction | Problem:
        """Exact factor so that ``qty_in_from × ratio = qty_in_to``."""
        source = self.factor(item, from_unit)
        target = self.factor(item, to_unit)
        if source is None or target is None:
            unknown = from_unit if source is None else to_unit
            return result_problem(Result.UNKNOWN_UNIT, {"item": item.code, "unit": unknown})
        return source / target

    def convert(self, item: Item, qty: Decimal, from_unit: str, to_unit: str) -> Decimal | Problem:
        """``qty`` in ``from_unit`` expressed in ``to_unit``, exactly, or a Problem."""
        ratio = self.ratio(item, from_unit, to_unit)
        if isinstance(ratio, Problem):
            return ratio
        exact = Fraction(qty) * ratio * 10**QTY_PLACES
        if exact.denominator != 1:
            return result_problem(
                Result.INVALID_QUANTITY,
                {"qty": str(qty), "from": from_unit, "to": to_unit, "reason": "inexact"},
            )
        return from_scaled(int(exact), QTY_PLACES)


def _order(entry: tuple[tuple[int | None, str], Fraction]) -> tuple[int, str]:
    """Per-item conversions before global ones, then by unit name: a stable choice."""
    (owner, unit), _ = entry
    return (1 if owner is None else 0, unit)
