"""What evaluating rules for an event returns: immutable stock effects.

Effects are values for the ledger to post; the rules package never posts. Each
effect says which rule and statement produced it (``rule_index``, ``line``,
``column``) and for which subform rows (``rows``; ``line_index`` is the innermost),
so together with the document and the event it yields a stable idempotency key
(:attr:`StockEffect.key`).

The public constructors are the dataclasses' own. The compiled evaluator builds
the same values through :mod:`.effect_makers`, which skips the generated
``__init__`` for speed; equality, hashing, ``key`` and ``as_dict`` are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

Ref = str | int


@dataclass(frozen=True, slots=True)
class Explode:
    """The quantity is per unit of ``item``'s recipe or BOM; the ledger explodes it."""

    kind: str  # recipe | bom
    item: Ref
    depth: int | None = None  # None: all levels

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "item": self.item, "depth": self.depth}


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an effect came from: the rule, the statement, the subform rows."""

    rule_index: int
    line: int
    column: int
    rows: tuple[int, ...] = ()

    @property
    def line_index(self) -> int | None:
        return self.rows[-1] if self.rows else None

    @property
    def key(self) -> str:
        rows = ".".join(str(r) for r in self.rows)
        return f"r{self.rule_index}:{self.line}:{self.column}:{rows}"

    def as_dict(self) -> dict[str, Any]:
        return {"rule_index": self.rule_index, "line": self.line, "column": self.column,
                "rows": list(self.rows)}  # fmt: skip


class _FromOrigin:
    """Shorthands for the origin's parts, shared by all effects."""

    __slots__ = ()
    origin: Origin

    @property
    def key(self) -> str:
        return self.origin.key

    @property
    def rule_index(self) -> int:
        return self.origin.rule_index

    @property
    def line(self) -> int:
        return self.origin.line

    @property
    def column(self) -> int:
        return self.origin.column

    @property
    def line_index(self) -> int | None:
        return self.origin.line_index


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True, slots=True)
class StockEffect(_FromOrigin):
    """receive, issue, move, reserve, release (a quantity) or scrap.

    ``location`` is where the verb acts; for ``move`` it is the source and
    ``to_location`` the destination. When ``explode`` is set, ``item`` is the
    recipe/BOM parent and ``qty`` counts its units.
    """

    verb: str
    qty: Decimal
    item: Ref
    location: Ref
    origin: Origin
    to_location: Ref | None = None
    batch: Ref | None = None
    expiry: date | None = None
    cost: Decimal | None = None
    policy: str | None = None  # fefo | fifo
    explode: Explode | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "stock", "verb": self.verb, "qty": _plain(self.qty),
                               "item": self.item, "location": self.location}  # fmt: skip
        for name in ("to_location", "batch", "expiry", "cost", "policy"):
            value = getattr(self, name)
            if value is not None:
                out[name] = _plain(value)
        if self.explode is not None:
            out["explode"] = self.explode.as_dict()
        out["origin"] = self.origin.as_dict()
        return out


@dataclass(frozen=True, slots=True)
class CountEffect(_FromOrigin):
    """A stocktake line: ``counted`` on hand; the ledger posts the difference."""

    item: Ref
    location: Ref
    counted: Decimal
    origin: Origin
    batch: Ref | None = None
    expiry: date | None = None
    cost: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "count", "item": self.item, "location": self.location,
                               "counted": _plain(self.counted)}  # fmt: skip
        for name in ("batch", "expiry", "cost"):
            value = getattr(self, name)
            if value is not None:
                out[name] = _plain(value)
        out["origin"] = self.origin.as_dict()
        return out


@dataclass(frozen=True, slots=True)
class ReleaseEffect(_FromOrigin):
    """``release reservations``: release every open reservation of the document."""

    origin: Origin

    def as_dict(self) -> dict[str, Any]:
        return {"type": "release_all", "origin": self.origin.as_dict()}


@dataclass(frozen=True, slots=True)
class LockEffect(_FromOrigin):
    """``lock <location>`` / ``unlock <location>``: freeze a location for a stocktake.

    While a location is locked the ledger refuses other movements there; the
    stocktake's counts and the ``unlock`` are what release it.
    """

    location: Ref
    locked: bool
    origin: Origin

    def as_dict(self) -> dict[str, Any]:
        return {"type": "lock" if self.locked else "unlock", "location": self.location,
                "origin": self.origin.as_dict()}  # fmt: skip


Effect = StockEffect | CountEffect | ReleaseEffect | LockEffect
