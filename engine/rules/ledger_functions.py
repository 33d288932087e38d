"""The functions that read the stock ledger, and an in-memory ledger for tests.

``on_hand``, ``available``, ``avg_daily_issue``, ``reorder_point`` and
``unit_cost`` read through ``ctx.ledger`` (a :class:`~.runtime.LedgerReader` the
caller supplies): the rules package itself never does I/O. Without a reader they
fail with ``rules.no_ledger``; a reader's ``LookupError`` becomes
``rules.ledger_failed``. Results are exact ``Decimal`` values.

:class:`DictLedger` answers from plain mappings; build one with
:meth:`DictLedger.from_dict` (the shape the docs examples use)::

    DictLedger.from_dict({"on_hand": {"MILK@SHOP-1": "12"}, "unit_cost": {"MILK": "3.2"}},
                         today=date(2026, 1, 15))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .effects import Ref
from .runtime import CTX, EvalContext, Fault, LedgerReader, kind_of, number, reference

MAX_DAYS = 3660  # avg_daily_issue looks back at most ten years

_ZERO = Decimal(0)


def _reader(ctx: EvalContext, name: str) -> LedgerReader:
    if ctx.ledger is None:
        raise Fault("rules.no_ledger", name=name)
    return ctx.ledger


def _days(value: object) -> int:
    num = number(value, "The number of days")
    if not 1 <= num <= MAX_DAYS or num != int(num):
        raise Fault("rules.type_error", expected=f"a whole number of days from 1 to {MAX_DAYS}",
                    found=str(num))  # fmt: skip
    return int(num)


def _read(name: str, read: Callable[[], object]) -> Decimal:
    """Call the reader; check that it answered with an exact, finite number."""
    try:
        value = read()
    except LookupError as error:
        raise Fault("rules.ledger_failed", name=name, detail=str(error) or "not found") from None
    if type(value) is int:
        return Decimal(value)
    if type(value) is Decimal and value.is_finite():
        return value
    raise Fault("rules.ledger_failed", name=name,
                detail=f"the ledger answered {kind_of(value)}, not an exact number")  # fmt: skip


def on_hand(ctx: EvalContext, item: object, location: object) -> Decimal:
    ledger = _reader(ctx, "on_hand")
    i, loc = reference(item, "The item"), reference(location, "The location")
    return _read("on_hand", lambda: ledger.on_hand(i, loc))


def available(ctx: EvalContext, item: object, location: object) -> Decimal:
    ledger = _reader(ctx, "available")
    i, loc = reference(item, "The item"), reference(location, "The location")
    return _read("available", lambda: ledger.available(i, loc))


def avg_daily_issue(ctx: EvalContext, item: object, days: object,
                    location: object = None) -> Decimal:  # fmt: skip
    ledger = _reader(ctx, "avg_daily_issue")
    i, span = reference(item, "The item"), _days(days)
    loc = None if location is None else reference(location, "The location")
    return _read("avg_daily_issue", lambda: ledger.avg_daily_issue(i, loc, span))


def reorder_point(ctx: EvalContext, item: object) -> Decimal:
    ledger = _reader(ctx, "reorder_point")
    i = reference(item, "The item")
    return _read("reorder_point", lambda: ledger.reorder_point(i))


def unit_cost(ctx: EvalContext, item: object) -> Decimal:
    ledger = _reader(ctx, "unit_cost")
    i = reference(item, "The item")
    return _read("unit_cost", lambda: ledger.unit_cost(i))


@dataclass(frozen=True)
class DictLedger:
    """A :class:`~.runtime.LedgerReader` over plain mappings, for tests and examples.

    Anything not given is zero. ``issues`` are ``(day, item, location, qty)``;
    ``avg_daily_issue`` sums those of the ``days`` days ending ``today`` (today
    included) and divides by ``days``. ``internal`` lists the internal locations
    (None: every location is internal).
    """

    today: date
    stock: Mapping[tuple[Ref, Ref], Decimal] = field(default_factory=dict)
    reserved: Mapping[tuple[Ref, Ref], Decimal] = field(default_factory=dict)
    issues: tuple[tuple[date, Ref, Ref, Decimal], ...] = ()
    reorder_points: Mapping[Ref, Decimal] = field(default_factory=dict)
    unit_costs: Mapping[Ref, Decimal] = field(default_factory=dict)
    internal: frozenset[Ref] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, today: date) -> DictLedger:
        """From JSON-like data: numbers as text, ``"item@location"`` keys.

        ``{"on_hand": {"A1@WH-1": "12"}, "reserved": {"A1@WH-1": "2"},
        "issues": [["2026-01-14", "A1", "WH-1", "6"]], "reorder_point": {"A1": "10"},
        "unit_cost": {"A1": "3.20"}, "internal": ["WH-1"]}``; ``"today"`` overrides
        ``today``.
        """

        def pairs(key: str) -> dict[tuple[Ref, Ref], Decimal]:
            return {tuple(k.split("@", 1)): Decimal(v) for k, v in data.get(key, {}).items()}

        issues = tuple((date.fromisoformat(d), i, loc, Decimal(q))
                       for d, i, loc, q in data.get("issues", []))  # fmt: skip
        internal = data.get("internal")
        return cls(
            date.fromisoformat(data["today"]) if "today" in data else today,
            pairs("on_hand"), pairs("reserved"), issues,
            {k: Decimal(v) for k, v in data.get("reorder_point", {}).items()},
            {k: Decimal(v) for k, v in data.get("unit_cost", {}).items()},
            None if internal is None else frozenset(internal),
        )  # fmt: skip

    def on_hand(self, item: Ref, location: Ref) -> Decimal:
        return self.stock.get((item, location), _ZERO)

    def available(self, item: Ref, location: Ref) -> Decimal:
        return CTX.subtract(self.on_hand(item, location), self.reserved.get((item, location), _ZERO))

    def avg_daily_issue(self, item: Ref, location: Ref | None, days: int) -> Decimal:
        first = self.today - timedelta(days=days - 1)
        total = _ZERO
        for day, issued, where, qty in self.issues:
            if issued != item or not first <= day <= self.today:
                continue
            if location is None and (self.internal is None or where in self.internal):
                total = CTX.add(total, qty)
            elif location is not None and where == location:
                total = CTX.add(total, qty)
        return CTX.divide(total, Decimal(days))

    def reorder_point(self, item: Ref) -> Decimal:
        return self.reorder_points.get(item, _ZERO)

    def unit_cost(self, item: Ref) -> Decimal:
        return self.unit_costs.get(item, _ZERO)
