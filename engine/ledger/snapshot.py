"""What a plan reads: a snapshot of master data, balances, movements and reservations.

A store builds a :class:`Snapshot` with plain (non-locking) reads holding just what
the operation touches:

* every operation: the tenant's items, locations and batches it names, the virtual
  locations it defaults to (supplier, customer, scrap, adjustment, transit), and
  ``closed_through`` (the last day of the closed period);
* issue / move / scrap / reserve: every balance of the item at the source location,
  with those batches and their first receipt sequence (``receipt_seq``);
  reserved issues also the document's pending reservations;
* count: the counted keys' balances;
* reverse: the movements to reverse and which of them are already reversed;
* release / expire: the reservations.

:func:`advance` returns the snapshot after a plan is applied, so a bulk path can
plan line after line against one snapshot and then post the aggregate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TypeVar

from engine.ledger.model import (
    Balance,
    BalanceKey,
    Batch,
    Item,
    Location,
    LocationKind,
    Movement,
    Reservation,
)
from engine.ledger.results import PostingResult

K = TypeVar("K")
_EMPTY = Balance()
V = TypeVar("V")


def frozen(mapping: Mapping[K, V] | None = None) -> Mapping[K, V]:
    """A read-only copy."""
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state one plan is computed against (see the module docstring)."""

    tenant_id: int
    items: Mapping[int, Item] = field(default_factory=frozen)
    locations: Mapping[int, Location] = field(default_factory=frozen)
    batches: Mapping[int, Batch] = field(default_factory=frozen)
    balances: Mapping[BalanceKey, Balance] = field(default_factory=frozen)
    receipt_seq: Mapping[int, int] = field(default_factory=frozen)  # batch id → first receipt
    movements: Mapping[int, Movement] = field(default_factory=frozen)
    reversed_ids: frozenset[int] = frozenset()
    reservations: Mapping[int, Reservation] = field(default_factory=frozen)
    closed_through: date | None = None

    def balance(self, key: BalanceKey) -> Balance:
        return self.balances.get(key, Balance())

    def virtual(self, kind: LocationKind) -> Location | None:
        """The tenant's location of ``kind`` with the lowest id (the default one)."""
        found = sorted(
            (
                loc
                for loc in self.locations.values()
                if loc.kind is kind and loc.tenant_id == self.tenant_id
            ),
            key=lambda loc: loc.id,
        )
        return found[0] if found else None


def _copy(mapping: Mapping[K, V]) -> dict[K, V]:
    """A mutable copy (of a read-only view's dict without hashing every key again)."""
    if isinstance(mapping, MappingProxyType):
        return mapping.copy()
    return dict(mapping)


def advance(snapshot: Snapshot, result: PostingResult) -> Snapshot:
    """The snapshot as it is once ``result`` (an OK plan) has been applied."""
    assert result.ok, "only an OK plan can be applied"
    balances = _copy(snapshot.balances)
    for key, delta in result.deltas:
        balances[key] = balances.get(key, _EMPTY).plus(delta)
    reservations = snapshot.reservations
    if result.reservations:
        changed = dict(reservations)
        for reservation in result.reservations:
            if reservation.id is not None:
                changed[reservation.id] = reservation
        reservations = frozen(changed)
    reversed_ids = snapshot.reversed_ids
    reversals = {m.reversal_of for m in result.movements if m.reversal_of is not None}
    if reversals:
        reversed_ids = reversed_ids | reversals
    return Snapshot(snapshot.tenant_id, snapshot.items, snapshot.locations, snapshot.batches,
                    MappingProxyType(balances), snapshot.receipt_seq, snapshot.movements,
                    reversed_ids, reservations, snapshot.closed_through)
