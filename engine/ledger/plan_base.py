"""The machinery under :mod:`engine.ledger.planning`: context, checks and the draft.

A plan runs its checks in order and stops at the first refusal: the checks raise
the private :class:`Refused`, which :func:`planner` turns back into the named
:class:`~engine.ledger.results.PostingResult` it carries, so no exception ever
leaves a ``plan_*`` function. :class:`Draft` collects movements, deltas and
reservation rows, and :meth:`Draft.finish` flags the guarded deltas, checks them
against the snapshot and returns them in lock order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import NoReturn, ParamSpec

from engine.ledger.keys import movement_key
from engine.ledger.model import (
    BalanceKey,
    Batch,
    Delta,
    Item,
    Location,
    LocationKind,
    Movement,
    Provenance,
    Reservation,
    ReservationAction,
    next_state,
)
from engine.ledger.numbers import COST_PLACES, QTY_PLACES, ZERO, is_exact
from engine.ledger.picking import Stock, pick
from engine.ledger.results import PostingResult, Result, Shortage, failure
from engine.ledger.snapshot import Snapshot

P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class PostingContext:
    """Who posts, under which effect key, when. ``today`` defaults to ``posted_at``'s day."""

    provenance: Provenance
    key: str
    posted_at: datetime
    today: date | None = None

    @property
    def day(self) -> date:
        return self.today or self.posted_at.date()


@dataclass(frozen=True, slots=True)
class CountLine:
    """A stocktake line: ``counted`` of item (and batch) at an internal location."""

    item_id: int
    location_id: int
    counted: Decimal
    batch_id: int | None = None


class Refused(Exception):
    def __init__(self, result: PostingResult) -> None:
        super().__init__(result.code.value)
        self.result = result


def refuse(code: Result, shortages: tuple[Shortage, ...] = (), **details: object) -> NoReturn:
    raise Refused(failure(code, shortages, **details))


def planner(plan: Callable[P, PostingResult]) -> Callable[P, PostingResult]:
    """Turn an internal refusal into the named result it carries."""

    @functools.wraps(plan)
    def run(*args: P.args, **kwargs: P.kwargs) -> PostingResult:
        try:
            return plan(*args, **kwargs)
        except Refused as refused:
            return refused.result

    return run


# -- checks ---------------------------------------------------------------------------


def check_item(snap: Snapshot, item_id: int) -> Item:
    item = snap.items.get(item_id)
    if item is None:
        refuse(Result.UNKNOWN_ITEM, item=item_id)
    if item.tenant_id != snap.tenant_id:
        refuse(Result.TENANT_MISMATCH, item=item_id)
    return item


def check_location(
    snap: Snapshot,
    location_id: int | None,
    default: LocationKind | None = None,
    *,
    allow_locked: bool = False,
) -> Location:
    """The named location (or the tenant's default of ``default`` kind), checked.

    ``allow_locked`` is for the stocktake's own count, which posts into the locations
    the stocktake locked.
    """
    location = None
    if location_id is not None:
        location = snap.locations.get(location_id)
    elif default is not None:
        location = snap.virtual(default)
    if location is None:
        refuse(Result.UNKNOWN_LOCATION, location=location_id or (default and default.value))
    if location.tenant_id != snap.tenant_id:
        refuse(Result.TENANT_MISMATCH, location=location.id)
    if location.locked and not allow_locked:
        refuse(Result.LOCATION_LOCKED, location=location.code)
    return location


def check_batch(
    snap: Snapshot, item: Item, batch_id: int | None, *, required: bool
) -> Batch | None:
    if batch_id is None:
        if required and item.tracking.batched:
            refuse(Result.BATCH_REQUIRED, item=item.code)
        return None
    if not item.tracking.batched:
        refuse(Result.BATCH_NOT_TRACKED, item=item.code)
    batch = snap.batches.get(batch_id)
    if batch is None or batch.item_id != item.id:
        refuse(Result.UNKNOWN_BATCH, item=item.code, batch=batch_id)
    if batch.tenant_id != snap.tenant_id:
        refuse(Result.TENANT_MISMATCH, batch=batch_id)
    return batch


def check_qty(qty: Decimal, *, allow_zero: bool = False) -> Decimal:
    if not isinstance(qty, Decimal) or not is_exact(qty, QTY_PLACES):
        refuse(Result.INVALID_QUANTITY, qty=qty)
    if qty < 0 or (qty == 0 and not allow_zero):
        refuse(Result.INVALID_QUANTITY, qty=qty)
    return qty


def check_cost(cost: Decimal | None) -> Decimal | None:
    if cost is None:
        return None
    if not isinstance(cost, Decimal) or not is_exact(cost, COST_PLACES) or cost < 0:
        refuse(Result.INVALID_COST, cost=cost)
    return cost


def _holds_stock(location: Location) -> bool:
    """Internal locations and transit hold real goods: picked from, never overdrawn."""
    return location.internal or location.kind is LocationKind.TRANSIT


def _needs_guard(snap: Snapshot, key: BalanceKey) -> bool:
    location = snap.locations[key.location_id]
    item = snap.items[key.item_id]
    return _holds_stock(location) and not (location.allow_negative or item.allow_negative)


# -- the draft a plan fills -------------------------------------------------------------


class Draft:
    """Movements, deltas and reservations collected while planning one operation."""

    def __init__(self, snap: Snapshot, ctx: PostingContext) -> None:
        if ctx.provenance.tenant_id != snap.tenant_id:
            refuse(Result.TENANT_MISMATCH, tenant=ctx.provenance.tenant_id)
        if snap.closed_through is not None and ctx.posted_at.date() <= snap.closed_through:
            refuse(Result.PAST_DATED, closed_through=snap.closed_through)
        self.snap = snap
        self.ctx = ctx
        self.movements: list[Movement] = []
        self.deltas: dict[BalanceKey, Delta] = {}
        self.reservations: list[Reservation] = []

    def add_delta(self, key: BalanceKey, on_hand: Decimal = ZERO, reserved: Decimal = ZERO) -> None:
        self.deltas[key] = self.deltas.get(key, Delta()).plus(Delta(on_hand, reserved))

    def move(
        self,
        item: Item,
        batch_id: int | None,
        src: Location,
        dst: Location,
        qty: Decimal,
        unit_cost: Decimal | None = None,
        reversal_of: int | None = None,
    ) -> None:
        ctx = self.ctx
        movement = Movement(
            id=None,
            tenant_id=self.snap.tenant_id,
            item_id=item.id,
            batch_id=batch_id,
            from_location_id=src.id,
            to_location_id=dst.id,
            qty=qty,
            unit_cost=unit_cost,
            provenance=ctx.provenance,
            key=movement_key(ctx.key, len(self.movements)),
            posted_at=ctx.posted_at,
            reversal_of=reversal_of,
        )
        self.movements.append(movement)
        self.add_delta(movement.source_key(), on_hand=-qty)
        self.add_delta(movement.destination_key(), on_hand=qty)

    def finish(self) -> PostingResult:
        deltas = _guarded(self.snap, self.deltas)
        shortages = tuple(
            Shortage(key, -(d.on_hand - d.reserved), self.snap.balance(key).available)
            for key, d in deltas
            if d.guarded and self.snap.balance(key).plus(d).available < 0
        )
        if shortages:
            first = shortages[0]
            refuse(
                Result.INSUFFICIENT_STOCK,
                shortages,
                key=_show(first.key),
                requested=first.requested,
                available=first.available,
            )
        return PostingResult(Result.OK, tuple(self.movements), deltas, tuple(self.reservations))


def _guarded(
    snap: Snapshot, deltas: Mapping[BalanceKey, Delta]
) -> tuple[tuple[BalanceKey, Delta], ...]:
    """Deltas in lock order; guarded where availability drops at a checked key."""
    out = []
    for key in sorted(deltas, key=lambda k: k.lock_order):
        d = deltas[key]
        guard = d.on_hand - d.reserved < 0 and _needs_guard(snap, key)
        out.append((key, Delta(d.on_hand, d.reserved, guard)))
    return tuple(out)


def _show(key: BalanceKey) -> str:
    batch = "" if key.batch_id is None else f"/batch {key.batch_id}"
    return f"item {key.item_id}@location {key.location_id}{batch}"


# -- stock out of a location ------------------------------------------------------------


def stock_at(snap: Snapshot, item: Item, location: Location) -> list[Stock]:
    return [
        Stock(
            key,
            balance,
            snap.batches.get(key.batch_id) if key.batch_id else None,
            snap.receipt_seq.get(key.batch_id) if key.batch_id else None,
        )
        for key, balance in snap.balances.items()
        if key.item_id == item.id and key.location_id == location.id
    ]


def take(
    draft: Draft,
    item: Item,
    src: Location,
    dst: Location,
    qty: Decimal,
    batch_id: int | None,
    allow_expired: bool,
    own: Mapping[BalanceKey, Decimal],
) -> None:
    """Move ``qty`` out of ``src``: batches picked where goods are held (internal places
    and transit), as named at the outside world's locations."""
    snap = draft.snap
    if not _holds_stock(src):
        check_batch(snap, item, batch_id, required=True)
        draft.move(item, batch_id, src, dst, qty)
        return
    picked = pick(
        item,
        src.id,
        qty,
        stock_at(snap, item, src),
        today=draft.ctx.day,
        batch_id=batch_id,
        allow_expired=allow_expired,
        allow_negative=src.allow_negative or item.allow_negative,
        own_reserved=own,
    )
    if picked.code is Result.BATCH_EXPIRED:
        refuse(Result.BATCH_EXPIRED, batches=",".join(map(str, picked.expired_batches)))
    if not picked.ok:
        refuse(
            picked.code,
            picked.shortages,
            item=item.code,
            location=src.code,
            requested=qty,
            missing=picked.shortfall,
        )
    for chosen in picked.picks:
        draft.move(item, chosen.key.batch_id, src, dst, chosen.qty)


def consume(
    draft: Draft, item: Item, src: Location, reservation_ids: Sequence[int]
) -> dict[BalanceKey, Decimal]:
    """Post the document's own reservations; return what they held per key."""
    own: dict[BalanceKey, Decimal] = {}
    for reservation in close_reservations(draft, reservation_ids, ReservationAction.POST):
        if reservation.key.item_id != item.id or reservation.key.location_id != src.id:
            refuse(Result.UNKNOWN_RESERVATION, reservation=reservation.id, reason="other key")
        own[reservation.key] = own.get(reservation.key, ZERO) + reservation.qty
    return own


def close_reservations(
    draft: Draft, reservation_ids: Sequence[int], action: ReservationAction
) -> list[Reservation]:
    """Move each pending reservation through ``action``, releasing what it held."""
    done: list[Reservation] = []
    for rid in reservation_ids:
        reservation = draft.snap.reservations.get(rid)
        if reservation is None:
            refuse(Result.UNKNOWN_RESERVATION, reservation=rid)
        if reservation.tenant_id != draft.snap.tenant_id:
            refuse(Result.TENANT_MISMATCH, reservation=rid)
        state = next_state(reservation.state, action)
        if state is None or any(r.id == rid for r in done):
            refuse(Result.RESERVATION_NOT_PENDING, reservation=rid, state=reservation.state.value)
        done.append(reservation)
        draft.reservations.append(replace(reservation, state=state))
        draft.add_delta(reservation.key, reserved=-reservation.qty)
    return done
