"""Fast construction of effect values for the compiled evaluator.

A frozen dataclass's generated ``__init__`` sets every field through
``object.__setattr__``; in the evaluator's hot loop that was half the cost of a
stock statement. The makers here allocate with ``object.__new__`` and fill the
slots through their member descriptors: the result is the same value as calling
the class (same type and fields, so equal, same hash, same ``key`` and
``as_dict``). At import, each maker's field list is checked against its class, so
a field added to an effect cannot be silently left unset.

:func:`origins` memoises :class:`~.effects.Origin` values per statement: one
statement at the same rows of the same rule always has the same (immutable) origin.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import cast

from .effects import CountEffect, Explode, Origin, Ref, StockEffect

Setter = Callable[[object, object], None]
StockMaker = Callable[
    [Decimal, Ref, Ref, Origin, Ref | None, Ref | None, date | None, Decimal | None,
     Explode | None],
    StockEffect,
]  # fmt: skip
OriginOf = Callable[[int, list[int]], Origin]

# Distinct (rule, rows) kept per statement: about one event's worth (the default
# effect limit is 500), so a compiled rule set stays small in a long-lived cache.
ORIGIN_CACHE_LIMIT = 512

_new = object.__new__


def _setters(cls: type, names: tuple[str, ...]) -> tuple[Setter, ...]:
    declared = tuple(f.name for f in dataclasses.fields(cls))
    if declared != names:
        raise AssertionError(f"effect_makers is out of date for {cls.__name__}: {declared}")
    return tuple(cast(Setter, cls.__dict__[name].__set__) for name in names)


_O_RULE, _O_LINE, _O_COLUMN, _O_ROWS = _setters(Origin, ("rule_index", "line", "column", "rows"))
_STOCK = _setters(StockEffect, ("verb", "qty", "item", "location", "origin", "to_location",
                                "batch", "expiry", "cost", "policy", "explode"))  # fmt: skip
_COUNT = _setters(CountEffect, ("item", "location", "counted", "origin", "batch", "expiry",
                                "cost"))  # fmt: skip


def make_origin(rule_index: int, line: int, column: int, rows: tuple[int, ...]) -> Origin:
    """The same value as ``Origin(rule_index, line, column, rows)``."""
    origin = _new(Origin)
    _O_RULE(origin, rule_index)
    _O_LINE(origin, line)
    _O_COLUMN(origin, column)
    _O_ROWS(origin, rows)
    return origin


def origins(line: int, column: int) -> OriginOf:
    """``origin_of(rule_index, rows)`` for the statement at ``line:column``, memoised."""
    known: dict[tuple[int, ...], Origin] = {}

    def origin_of(rule_index: int, rows: list[int]) -> Origin:
        key = (rule_index, *rows)
        origin = known.get(key)
        if origin is None:
            origin = make_origin(rule_index, line, column, tuple(rows))
            if len(known) < ORIGIN_CACHE_LIMIT:
                known[key] = origin
        return origin

    return origin_of


def stock_maker(verb: str, policy: str | None) -> StockMaker:
    """A maker of ``StockEffect(verb, …, policy=policy, …)`` for one statement."""
    s_verb, s_qty, s_item, s_location, s_origin, s_to, s_batch, s_expiry, s_cost, s_policy, \
        s_explode = _STOCK  # fmt: skip

    def make(qty: Decimal, item: Ref, location: Ref, origin: Origin, to_location: Ref | None,
             batch: Ref | None, expiry: date | None, cost: Decimal | None,
             explode: Explode | None) -> StockEffect:  # fmt: skip
        effect = _new(StockEffect)
        s_verb(effect, verb)
        s_qty(effect, qty)
        s_item(effect, item)
        s_location(effect, location)
        s_origin(effect, origin)
        s_to(effect, to_location)
        s_batch(effect, batch)
        s_expiry(effect, expiry)
        s_cost(effect, cost)
        s_policy(effect, policy)
        s_explode(effect, explode)
        return effect

    return make


def make_count(item: Ref, location: Ref, counted: Decimal, origin: Origin, batch: Ref | None,
               expiry: date | None, cost: Decimal | None) -> CountEffect:  # fmt: skip
    """The same value as ``CountEffect(item, location, counted, origin, batch, expiry, cost)``."""
    effect = _new(CountEffect)
    for setter, value in zip(_COUNT, (item, location, counted, origin, batch, expiry, cost),
                             strict=True):  # fmt: skip
        setter(effect, value)
    return effect
