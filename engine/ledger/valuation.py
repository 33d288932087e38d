"""Inventory valuation: FIFO layers and moving average, exact and pure.

Conventions (docs/ledger.md, "Valuation"):

* Value is pooled **per item** over all valued locations (internal ones and
  transit): moving stock between them changes nothing; only a movement that crosses
  the boundary (:func:`classify`) is a receipt or an issue.
* A receipt adds a layer worth ``round_money(qty × unit_cost)``. Moving average is
  FIFO with all layers merged into one, so both share the issue code.
* An issue takes layers oldest first. A part of a layer costs
  ``round_money(layer.value × part / layer.qty)`` (half-even); the issue that empties
  a layer takes exactly what value is left, so the rounding remainder stays in the
  layer and totals are exact: receipts = issues + adjustments + value on hand.
* Issuing beyond the stock (negative stock allowed) costs the shortfall at the last
  known unit cost, provisionally. The next receipt first covers the shortfall: the
  covered part is valued at the receipt's cost and the difference from the
  provisional cost is returned as ``adjustment`` (extra cost of goods issued).
* A customer return is a receipt valued at the original issue's cost
  (:func:`return_value`) when known, otherwise at the current average cost.
* A receipt without a cost (count surplus) is valued at the current average cost,
  or the last known unit cost when there is no stock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum
from fractions import Fraction

from engine.ledger.model import Location, Valuation
from engine.ledger.numbers import ZERO, mul, round_cost, round_money


@dataclass(frozen=True, slots=True)
class Layer:
    """Stock received together: ``qty`` still on hand worth ``value`` (money)."""

    seq: int
    qty: Decimal
    value: Decimal


@dataclass(frozen=True, slots=True)
class ValuationState:
    """One item's valuation. ``short_*``: issued below zero, provisionally costed."""

    method: Valuation
    layers: tuple[Layer, ...] = ()
    short_qty: Decimal = ZERO
    short_value: Decimal = ZERO
    last_unit_cost: Decimal = ZERO

    @property
    def qty(self) -> Decimal:
        return sum((layer.qty for layer in self.layers), ZERO) - self.short_qty

    @property
    def value(self) -> Decimal:
        return sum((layer.value for layer in self.layers), ZERO) - self.short_value

    @property
    def average_cost(self) -> Decimal:
        """Value ÷ quantity rounded to cost places; the last unit cost when empty."""
        qty = self.qty
        if qty <= 0:
            return self.last_unit_cost
        return round_cost(Fraction(self.value) / Fraction(qty))


@dataclass(frozen=True, slots=True)
class Consumed:
    """What one issue took from one layer (``seq=None``: the provisional shortfall)."""

    seq: int | None
    qty: Decimal
    value: Decimal


@dataclass(frozen=True, slots=True)
class Valued:
    """New state plus the amount: value received, or cost of goods issued.

    For a receipt, ``amount = Δ state.value + adjustment``; for an issue,
    ``amount = −Δ state.value``. So over any history:
    receipts = issues + adjustments + value on hand.
    """

    state: ValuationState
    amount: Decimal
    consumed: tuple[Consumed, ...] = ()
    adjustment: Decimal = ZERO  # receipts only: settles an earlier provisional cost


class Flow(Enum):
    """What a movement means for valuation."""

    RECEIPT = "receipt"
    ISSUE = "issue"
    NONE = "none"


def classify(source: Location, destination: Location) -> Flow:
    """Receipt into valued stock, issue out of it, or neither (both sides alike)."""
    if source.kind.valued == destination.kind.valued:
        return Flow.NONE
    return Flow.RECEIPT if destination.kind.valued else Flow.ISSUE


def _part(value: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``value × part / whole`` rounded half-even; exactly ``value`` when ``part == whole``."""
    if part == whole:
        return value
    return round_money(Fraction(value) * Fraction(part) / Fraction(whole))


def receive(
    state: ValuationState,
    qty: Decimal,
    seq: int,
    *,
    unit_cost: Decimal | None = None,
    value: Decimal | None = None,
) -> Valued:
    """Add ``qty`` worth ``value`` (or ``qty × unit_cost``, or the current average)."""
    assert qty > 0
    if value is None:
        cost = unit_cost if unit_cost is not None else state.average_cost
        value = round_money(mul(qty, cost))
    last = unit_cost if unit_cost is not None else round_cost(Fraction(value) / Fraction(qty))
    settled = min(qty, state.short_qty)
    adjustment = ZERO
    rest_qty, rest_value = qty, value
    if settled > 0:
        covered = _part(value, settled, qty)
        provisional = _part(state.short_value, settled, state.short_qty)
        adjustment = covered - provisional
        state = replace(
            state,
            short_qty=state.short_qty - settled,
            short_value=state.short_value - provisional,
        )
        rest_qty, rest_value = qty - settled, value - covered
    if rest_qty > 0:
        state = replace(state, layers=_add_layer(state, Layer(seq, rest_qty, rest_value)))
    return Valued(replace(state, last_unit_cost=last), value, (), adjustment)


def _add_layer(state: ValuationState, layer: Layer) -> tuple[Layer, ...]:
    if state.method is Valuation.FIFO or not state.layers:
        return (*state.layers, layer)
    (pool,) = state.layers
    return (Layer(pool.seq, pool.qty + layer.qty, pool.value + layer.value),)


def issue(state: ValuationState, qty: Decimal) -> Valued:
    """Take ``qty`` out, oldest layer first; beyond the stock at the last unit cost."""
    assert qty > 0
    remaining = qty
    layers = list(state.layers)
    consumed: list[Consumed] = []
    while remaining > 0 and layers:
        layer = layers[0]
        take = min(remaining, layer.qty)
        cost = _part(layer.value, take, layer.qty)
        consumed.append(Consumed(layer.seq, take, cost))
        remaining -= take
        if take == layer.qty:
            layers.pop(0)
        else:
            layers[0] = Layer(layer.seq, layer.qty - take, layer.value - cost)
    if remaining > 0:
        provisional = round_money(mul(remaining, state.last_unit_cost))
        consumed.append(Consumed(None, remaining, provisional))
        state = replace(
            state,
            short_qty=state.short_qty + remaining,
            short_value=state.short_value + provisional,
        )
    amount = sum((c.value for c in consumed), ZERO)
    return Valued(replace(state, layers=tuple(layers)), amount, tuple(consumed))


def return_value(issued_qty: Decimal, issued_amount: Decimal, returned_qty: Decimal) -> Decimal:
    """The value of returning ``returned_qty`` of an issue of ``issued_qty`` that cost
    ``issued_amount``: proportional, half-even, exact when everything comes back."""
    assert 0 < returned_qty <= issued_qty
    return _part(issued_amount, returned_qty, issued_qty)
