"""Plan ledger operations against a :class:`~engine.ledger.snapshot.Snapshot`. Pure.

Each ``plan_*`` function returns a :class:`~engine.ledger.results.PostingResult`:
either a named failure, or the movements to insert, the per-key balance deltas (in
lock order, each flagged ``guarded`` when the store must refuse it driving
``on_hand − reserved`` below zero) and the reservation rows to write.

Operations: receive, issue, move, ship (to transit), transit receive, scrap,
count (stocktake), reserve, release, expire, reverse. :func:`combine` joins the
plans of one event; :func:`aggregate_deltas` sums deltas of many plans for a bulk
posting, keys in the one order a store must lock them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from engine.ledger.model import (
    BalanceKey,
    Delta,
    LocationKind,
    Movement,
    Reservation,
    ReservationAction,
)
from engine.ledger.picking import pick
from engine.ledger.plan_base import (
    CountLine,
    Draft,
    PostingContext,
    check_batch,
    check_cost,
    check_item,
    check_location,
    check_qty,
    close_reservations,
    consume,
    planner,
    refuse,
    stock_at,
    take,
)
from engine.ledger.results import PostingResult, Result
from engine.ledger.snapshot import Snapshot

__all__ = [
    "CountLine",
    "PostingContext",
    "aggregate_deltas",
    "combine",
    "plan_count",
    "plan_expire",
    "plan_issue",
    "plan_move",
    "plan_receive",
    "plan_release",
    "plan_reserve",
    "plan_reverse",
    "plan_scrap",
    "plan_ship",
    "plan_transit_receive",
]


@planner
def plan_receive(
    snap: Snapshot,
    ctx: PostingContext,
    item_id: int,
    qty: Decimal,
    to_location_id: int,
    *,
    batch_id: int | None = None,
    unit_cost: Decimal | None = None,
    from_location_id: int | None = None,
) -> PostingResult:
    """Receive into a location from a supplier (or the given virtual location)."""
    draft = Draft(snap, ctx)
    item, qty, cost = check_item(snap, item_id), check_qty(qty), check_cost(unit_cost)
    src = check_location(snap, from_location_id, LocationKind.SUPPLIER)
    dst = check_location(snap, to_location_id)
    if src.id == dst.id:
        refuse(Result.SAME_LOCATION, location=src.code)
    check_batch(snap, item, batch_id, required=True)
    draft.move(item, batch_id, src, dst, qty, unit_cost=cost)
    return draft.finish()


@planner
def plan_move(
    snap: Snapshot,
    ctx: PostingContext,
    item_id: int,
    qty: Decimal,
    from_location_id: int,
    to_location_id: int,
    *,
    batch_id: int | None = None,
    allow_expired: bool = False,
    reservation_ids: Sequence[int] = (),
) -> PostingResult:
    """Move stock between any two locations, picking batches at an internal source.

    ``reservation_ids`` are the document's own pending reservations at the source:
    they become ``posted``, their quantity is freed and may be consumed by this move.
    """
    draft = Draft(snap, ctx)
    item, qty = check_item(snap, item_id), check_qty(qty)
    src, dst = check_location(snap, from_location_id), check_location(snap, to_location_id)
    if src.id == dst.id:
        refuse(Result.SAME_LOCATION, location=src.code)
    check_batch(snap, item, batch_id, required=False)
    own = consume(draft, item, src, reservation_ids)
    take(draft, item, src, dst, qty, batch_id, allow_expired, own)
    return draft.finish()


def _to_default(kind: LocationKind, snap: Snapshot, location_id: int | None) -> int:
    if location_id is not None:
        return location_id
    found = snap.virtual(kind)
    return found.id if found is not None else -1


def plan_issue(
    snap: Snapshot,
    ctx: PostingContext,
    item_id: int,
    qty: Decimal,
    from_location_id: int,
    *,
    to_location_id: int | None = None,
    batch_id: int | None = None,
    allow_expired: bool = False,
    reservation_ids: Sequence[int] = (),
) -> PostingResult:
    """Issue to a customer (the tenant's default customer location unless named)."""
    to_id = _to_default(LocationKind.CUSTOMER, snap, to_location_id)
    return plan_move(
        snap,
        ctx,
        item_id,
        qty,
        from_location_id,
        to_id,
        batch_id=batch_id,
        allow_expired=allow_expired,
        reservation_ids=reservation_ids,
    )


def plan_scrap(
    snap: Snapshot,
    ctx: PostingContext,
    item_id: int,
    qty: Decimal,
    from_location_id: int,
    *,
    batch_id: int | None = None,
    to_location_id: int | None = None,
    reservation_ids: Sequence[int] = (),
) -> PostingResult:
    """Scrap stock; expired batches may be scrapped (that is what scrapping is for).
    Like an issue, it consumes the document's own ``reservation_ids`` (damaged goods held
    on submit, written off on approval)."""
    to_id = _to_default(LocationKind.SCRAP, snap, to_location_id)
    return plan_move(
        snap, ctx, item_id, qty, from_location_id, to_id, batch_id=batch_id, allow_expired=True,
        reservation_ids=reservation_ids,
    )


def plan_ship(
    snap: Snapshot,
    ctx: PostingContext,
    item_id: int,
    qty: Decimal,
    from_location_id: int,
    *,
    batch_id: int | None = None,
    transit_location_id: int | None = None,
) -> PostingResult:
    """First leg of a two-step transfer: source → transit."""
    to_id = _to_default(LocationKind.TRANSIT, snap, transit_location_id)
    return plan_move(snap, ctx, item_id, qty, from_location_id, to_id, batch_id=batch_id)


@planner
def plan_transit_receive(
    snap: Snapshot, ctx: PostingContext, shipped: Sequence[Movement], to_location_id: int
) -> PostingResult:
    """Second leg: mirror each shipped movement from its transit location into ``to``."""
    draft = Draft(snap, ctx)
    dst = check_location(snap, to_location_id)
    for movement in shipped:
        item = check_item(snap, movement.item_id)
        src = check_location(snap, movement.to_location_id)
        if src.kind is not LocationKind.TRANSIT:
            refuse(Result.UNKNOWN_LOCATION, location=src.code, reason="not a transit location")
        draft.move(item, movement.batch_id, src, dst, movement.qty)
    return draft.finish()


@planner
def plan_count(
    snap: Snapshot,
    ctx: PostingContext,
    lines: Sequence[CountLine],
    *,
    adjustment_location_id: int | None = None,
) -> PostingResult:
    """Post counted − on hand per named key, to or from the adjustment location.

    Only the keys named in ``lines`` change; a batch-tracked item is counted per
    batch. Counted locations may be locked (the stocktake locked them). A count that would leave less on hand than is reserved is refused with
    ``insufficient_stock`` (release the reservations first).
    """
    draft = Draft(snap, ctx)
    adjustment = check_location(snap, adjustment_location_id, LocationKind.ADJUSTMENT)
    seen: set[BalanceKey] = set()
    for line in lines:
        item = check_item(snap, line.item_id)
        location = check_location(snap, line.location_id, allow_locked=True)
        if not location.internal:
            refuse(Result.UNKNOWN_LOCATION, location=location.code, reason="not internal")
        check_batch(snap, item, line.batch_id, required=True)
        key = BalanceKey(item.id, location.id, line.batch_id)
        if key in seen:
            refuse(Result.INVALID_QUANTITY, item=item.code, reason="counted twice")
        seen.add(key)
        diff = check_qty(line.counted, allow_zero=True) - snap.balance(key).on_hand
        if diff > 0:
            draft.move(item, line.batch_id, adjustment, location, diff)
        elif diff < 0:
            draft.move(item, line.batch_id, location, adjustment, -diff)
    return draft.finish()


@planner
def plan_reserve(
    snap: Snapshot,
    ctx: PostingContext,
    item_id: int,
    qty: Decimal,
    location_id: int,
    *,
    batch_id: int | None = None,
    expires_at: datetime | None = None,
) -> PostingResult:
    """Hold available stock for a document: one pending reservation per picked key."""
    draft = Draft(snap, ctx)
    item, qty = check_item(snap, item_id), check_qty(qty)
    location = check_location(snap, location_id)
    if not location.internal:
        refuse(Result.UNKNOWN_LOCATION, location=location.code, reason="not internal")
    check_batch(snap, item, batch_id, required=False)
    picked = pick(
        item,
        location.id,
        qty,
        stock_at(snap, item, location),
        today=ctx.day,
        batch_id=batch_id,
        allow_negative=location.allow_negative or item.allow_negative,
    )
    if not picked.ok:
        refuse(
            picked.code,
            picked.shortages,
            item=item.code,
            location=location.code,
            requested=qty,
            missing=picked.shortfall,
        )
    for chosen in picked.picks:
        draft.reservations.append(
            Reservation(
                None, snap.tenant_id, chosen.key, chosen.qty, ctx.provenance, expires_at=expires_at
            )
        )
        draft.add_delta(chosen.key, reserved=chosen.qty)
    return draft.finish()


@planner
def plan_release(
    snap: Snapshot, ctx: PostingContext, reservation_ids: Sequence[int]
) -> PostingResult:
    """Release pending reservations (document rejected, withdrawn, cancelled)."""
    draft = Draft(snap, ctx)
    close_reservations(draft, reservation_ids, ReservationAction.RELEASE)
    return draft.finish()


@planner
def plan_expire(
    snap: Snapshot, ctx: PostingContext, reservation_ids: Sequence[int]
) -> PostingResult:
    """Expire pending reservations whose time ran out (a timer's job)."""
    draft = Draft(snap, ctx)
    close_reservations(draft, reservation_ids, ReservationAction.EXPIRE)
    return draft.finish()


@planner
def plan_reverse(snap: Snapshot, ctx: PostingContext, movement_ids: Sequence[int]) -> PostingResult:
    """Reverse movements by opposite movements that reference them.

    A movement is reversed at most once, and a reversal is never reversed (post the
    operation again instead). Expiry does not matter; stock guards do.
    """
    draft = Draft(snap, ctx)
    done: set[int] = set()
    for movement_id in movement_ids:
        original = snap.movements.get(movement_id)
        if original is None:
            refuse(Result.UNKNOWN_MOVEMENT, movement=movement_id)
        if original.tenant_id != snap.tenant_id:
            refuse(Result.TENANT_MISMATCH, movement=movement_id)
        if original.reversal_of is not None:
            refuse(Result.NOT_REVERSIBLE, movement=movement_id, reverses=original.reversal_of)
        if movement_id in snap.reversed_ids or movement_id in done:
            refuse(Result.ALREADY_REVERSED, movement=movement_id)
        done.add(movement_id)
        item = check_item(snap, original.item_id)
        src = check_location(snap, original.to_location_id)
        dst = check_location(snap, original.from_location_id)
        draft.move(
            item,
            original.batch_id,
            src,
            dst,
            original.qty,
            unit_cost=original.unit_cost,
            reversal_of=movement_id,
        )
    return draft.finish()


def combine(results: Iterable[PostingResult]) -> PostingResult:
    """All plans of one event as one posting: the first failure, or everything merged.

    Deltas are summed per key and returned in lock order; a key is guarded if any
    part of it was.
    """
    parts = list(results)
    for part in parts:
        if not part.ok:
            return part
    deltas = aggregate_deltas(parts)
    return PostingResult(
        Result.OK,
        tuple(m for part in parts for m in part.movements),
        tuple(deltas.items()),
        tuple(r for part in parts for r in part.reservations),
    )


def aggregate_deltas(plans: Iterable[PostingResult]) -> dict[BalanceKey, Delta]:
    """Sum the deltas of OK plans per key; the dict is in lock order.

    A bulk path posts one guarded update per key in this order. Guarded if any
    contributing delta was guarded.
    """
    total: dict[BalanceKey, Delta] = {}
    for plan in plans:
        assert plan.ok, "aggregate only OK plans"
        for key, delta in plan.deltas:
            total[key] = total.get(key, Delta()).plus(delta)
    return {key: total[key] for key in sorted(total, key=lambda k: k.lock_order)}
