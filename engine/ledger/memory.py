"""An in-memory reference ledger that posts exactly as the SQL store must.

:class:`MemoryLedger` is the model for the store and for its stateful tests. One
posting runs the store's steps in the store's order:

1. ``check_idempotent(stored digest, payload digest)`` for the effect key: a
   retry answers ``exists`` with the original result, a different payload
   ``exists_with_different_payload``;
2. build a :class:`Snapshot` (here: everything) and call a ``plan_*`` function;
   a failed plan changes nothing;
3. apply the deltas **in lock order**, each guarded one refused when
   ``on_hand − reserved`` would end below zero — one refusal undoes the whole
   posting (all movements of an event commit together or not at all);
4. insert movements and reservation rows (ids assigned now), record the first
   receipt sequence of new batches, and remember digest and result under the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from engine.ledger import planning
from engine.ledger.invariants import LedgerData, Violation, check_all
from engine.ledger.keys import check_idempotent, payload_digest
from engine.ledger.model import Balance, BalanceKey, Batch, Item, Location, Movement, Reservation
from engine.ledger.planning import PostingContext
from engine.ledger.results import PostingResult, Result, Shortage, failure
from engine.ledger.snapshot import Snapshot, frozen

Planner = Callable[..., PostingResult]

PLANNERS: Mapping[str, Planner] = MappingProxyType(
    {
        "receive": planning.plan_receive,
        "issue": planning.plan_issue,
        "move": planning.plan_move,
        "scrap": planning.plan_scrap,
        "ship": planning.plan_ship,
        "transit_receive": planning.plan_transit_receive,
        "count": planning.plan_count,
        "reserve": planning.plan_reserve,
        "release": planning.plan_release,
        "expire": planning.plan_expire,
        "reverse": planning.plan_reverse,
    }
)


class MemoryLedger:
    """Master data, balances, journal, reservations and postings of one tenant."""

    def __init__(self, tenant_id: int = 1, closed_through: date | None = None) -> None:
        self.tenant_id = tenant_id
        self.closed_through = closed_through
        self.items: dict[int, Item] = {}
        self.locations: dict[int, Location] = {}
        self.batches: dict[int, Batch] = {}
        self.balances: dict[BalanceKey, Balance] = {}
        self.journal: list[Movement] = []
        self.reservations: dict[int, Reservation] = {}
        self.receipt_seq: dict[int, int] = {}
        self.postings: dict[str, tuple[str, PostingResult]] = {}
        self._next_id = 1

    # -- master data --------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def add(self, *rows: Item | Location | Batch) -> None:
        """Register master data (any tenant: closure is checked when posting)."""
        for row in rows:
            if isinstance(row, Item):
                self.items[row.id] = row
            elif isinstance(row, Location):
                self.locations[row.id] = row
            else:
                self.batches[row.id] = row
            self._next_id = max(self._next_id, row.id + 1)

    def ensure_batch(self, item_id: int, code: str, expiry: date | None = None) -> Batch:
        """The item's batch with ``code``, created on first use (as the store upserts)."""
        for batch in self.batches.values():
            if batch.item_id == item_id and batch.code == code:
                return batch
        batch = Batch(self._new_id(), self.tenant_id, item_id, code, expiry_date=expiry)
        self.batches[batch.id] = batch
        return batch

    # -- reading --------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        return Snapshot(
            tenant_id=self.tenant_id,
            items=frozen(self.items),
            locations=frozen(self.locations),
            batches=frozen(self.batches),
            balances=frozen(self.balances),
            receipt_seq=frozen(self.receipt_seq),
            movements=frozen({m.id: m for m in self.journal if m.id is not None}),
            reversed_ids=frozenset(
                m.reversal_of for m in self.journal if m.reversal_of is not None
            ),
            reservations=frozen(self.reservations),
            closed_through=self.closed_through,
        )

    def balance(self, item_id: int, location_id: int, batch_id: int | None = None) -> Balance:
        return self.balances.get(BalanceKey(item_id, location_id, batch_id), Balance())

    def on_hand(self, item_id: int, location_id: int) -> Decimal:
        """Total on hand of an item at a location over all batches."""
        return sum(
            (
                b.on_hand
                for k, b in self.balances.items()
                if k.item_id == item_id and k.location_id == location_id
            ),
            Decimal(0),
        )

    def pending(self, document_id: int) -> list[int]:
        """Ids of a document's pending reservations, oldest first."""
        return sorted(
            rid
            for rid, r in self.reservations.items()
            if r.pending and r.provenance.document_id == document_id
        )

    def data(self, journal_before: list[Movement] | None = None) -> LedgerData:
        return LedgerData(
            journal=tuple(self.journal),
            balances=frozen(self.balances),
            reservations=tuple(self.reservations.values()),
            items=frozen(self.items),
            locations=frozen(self.locations),
            batches=frozen(self.batches),
            journal_before=journal_before,
        )

    def verify(self, journal_before: list[Movement] | None = None) -> list[Violation]:
        return check_all(self.data(journal_before))

    # -- posting --------------------------------------------------------------------------

    def run(self, ctx: PostingContext, operation: str, **arguments: Any) -> PostingResult:
        """Post ``operation`` (a key of :data:`PLANNERS`) with ``arguments`` as payload."""
        plan = PLANNERS[operation]
        payload = {"operation": operation, **arguments}
        return self.post(ctx.key, payload, lambda snap: plan(snap, ctx, **arguments))

    def post(
        self, key: str, payload: Mapping[str, object], plan: Callable[[Snapshot], PostingResult]
    ) -> PostingResult:
        """Idempotency check → plan on a snapshot → guarded apply → record."""
        digest = payload_digest(payload)
        stored = self.postings.get(key)
        verdict = check_idempotent(stored[0] if stored else None, digest)
        if stored is not None and verdict is Result.EXISTS:
            return replace(stored[1], code=Result.EXISTS)
        if verdict is Result.EXISTS_WITH_DIFFERENT_PAYLOAD:
            return failure(verdict, key=key)
        result = plan(self.snapshot())
        if not result.ok:
            return result
        applied = self.apply(result)
        if applied.ok:
            self.postings[key] = (digest, applied)
        return applied

    def apply(self, result: PostingResult) -> PostingResult:
        """Apply an OK plan all-or-nothing; returns it with the stored ids."""
        after: dict[BalanceKey, Balance] = {}
        for key, delta in result.deltas:  # already in lock order
            new = self.balances.get(key, Balance()).plus(delta)
            if delta.guarded and new.available < 0:
                before = self.balances.get(key, Balance()).available
                shortage = Shortage(key, -(delta.on_hand - delta.reserved), before)
                return failure(Result.INSUFFICIENT_STOCK, (shortage,), key=key)
            after[key] = new
        self.balances.update(after)
        movements = tuple(self._store_movement(m) for m in result.movements)
        reservations = tuple(self._store_reservation(r) for r in result.reservations)
        return replace(result, movements=movements, reservations=reservations)

    def _store_movement(self, movement: Movement) -> Movement:
        stored = movement.with_id(self._new_id())
        self.journal.append(stored)
        batch_id = stored.batch_id
        if batch_id is not None and batch_id not in self.receipt_seq:
            if self.locations[stored.to_location_id].internal:
                self.receipt_seq[batch_id] = stored.id or 0
        return stored

    def _store_reservation(self, reservation: Reservation) -> Reservation:
        stored = reservation if reservation.id is not None else reservation.with_id(self._new_id())
        assert stored.id is not None
        self.reservations[stored.id] = stored
        return stored
