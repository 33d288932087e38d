"""Applying a plan: guarded balance updates in lock order, valuation, journal rows.

Order inside the transaction (the same for every caller, so locks never cycle):

1. the ``postings`` rows for the effect keys (a concurrent duplicate fails here);
2. balance rows, one guarded update per key in ``BalanceKey.lock_order``;
3. valuation rows of the items whose value changes, in item order;
4. movements, reservations and batch receipt sequences (no further locks).

A guard that refuses (stock taken since the snapshot was read), a duplicate effect
key, or a reservation closed concurrently raises :class:`Stale`: the transaction
rolls back and the service plans again on a fresh snapshot. Statements are built
once, at import, with bound parameters: posting is the hot path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.ledger import valuation as val
from engine.ledger.model import BalanceKey, Delta, Movement, Reservation, Valuation
from engine.ledger.planning import aggregate_deltas
from engine.ledger.results import PostingResult, Shortage
from engine.ledger.snapshot import Snapshot
from engine.store import ledger_tables as t
from engine.store.ledger_rows import batch_key

BAL = cast(Table, t.Balance.__table__)
_KEY = (BAL.c.tenant_id == bindparam("t"), BAL.c.item_id == bindparam("i"),
        BAL.c.location_id == bindparam("l"), BAL.c.batch_key == bindparam("b"))
_DELTA = {"on_hand": BAL.c.on_hand + bindparam("dh", type_=t.QTY),
          "reserved": BAL.c.reserved + bindparam("dr", type_=t.QTY)}
ADD = update(BAL).where(*_KEY).values(**_DELTA).returning(BAL.c.on_hand)
ADD_GUARDED = update(BAL).where(
    *_KEY, (BAL.c.on_hand + bindparam("gh", type_=t.QTY))
    - (BAL.c.reserved + bindparam("gr", type_=t.QTY)) >= 0,
).values(**_DELTA).returning(BAL.c.on_hand)
NEW_BALANCE = insert(BAL)
MOV, BATCH, RES = (cast(Table, m.__table__) for m in (t.Movement, t.Batch, t.Reservation))
NEW_POSTINGS = insert(cast(Table, t.Posting.__table__))
NEW_MOVEMENTS = insert(MOV).returning(MOV.c.id, sort_by_parameter_order=True)
FIRST_RECEIPT = update(BATCH).where(
    BATCH.c.id == bindparam("b"), BATCH.c.first_receipt_seq.is_(None)
).values(first_receipt_seq=bindparam("seq"))
NEW_RESERVATION = insert(RES).returning(RES.c.id)
CLOSE_RESERVATION = update(RES).where(
    RES.c.id == bindparam("r"), RES.c.state == "pending"
).values(state=bindparam("state")).returning(RES.c.id)


class Stale(Exception):
    """The snapshot no longer holds: roll back and plan again."""

    def __init__(self, reason: str, shortage: Shortage | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.shortage = shortage


def record_postings(session: Session, tenant_id: int, keyed: Sequence[tuple[str, str, str]],
                    now: datetime) -> None:
    """Insert the ``postings`` rows (key, digest, operation) of one event."""
    try:
        session.connection().execute(NEW_POSTINGS, [
            {"tenant_id": tenant_id, "key": key, "digest": digest, "operation": operation,
             "posted_at": now, "result": {"code": "ok"}} for key, digest, operation in keyed])
    except IntegrityError as exc:  # the same effect is being posted by someone else
        raise Stale("duplicate effect key") from exc


def apply_deltas(session: Session, tenant_id: int,
                 deltas: Sequence[tuple[BalanceKey, Delta]]) -> None:
    """One guarded update per key, in the order given (the lock order).

    A guarded delta that lowers availability updates only a row whose
    ``on_hand − reserved`` stays ≥ 0; a missing row has nothing to give. Any other
    delta updates the row, or inserts it when it is the key's first stock.
    """
    for key, delta in deltas:
        params: dict[str, Any] = {"t": tenant_id, "i": key.item_id, "l": key.location_id,
                                  "b": batch_key(key.batch_id), "dh": delta.on_hand,
                                  "dr": delta.reserved}
        lowers = delta.guarded and delta.on_hand - delta.reserved < 0
        if lowers:
            params |= {"gh": delta.on_hand, "gr": delta.reserved}
        if session.connection().execute(ADD_GUARDED if lowers else ADD, params).first() is not None:
            continue
        if lowers:
            raise Stale("insufficient stock",
                        Shortage(key, -(delta.on_hand - delta.reserved), Decimal(0)))
        try:
            session.connection().execute(NEW_BALANCE, {
                "tenant_id": tenant_id, "item_id": key.item_id, "location_id": key.location_id,
                "batch_key": batch_key(key.batch_id), "on_hand": delta.on_hand,
                "reserved": delta.reserved})
        except IntegrityError as exc:  # another transaction inserted the key first
            raise Stale("balance row created concurrently") from exc


def value_movements(session: Session, snap: Snapshot, tenant_id: int,
                    movements: Sequence[Movement], originals: dict[int, Decimal | None]
                    ) -> list[Decimal | None]:
    """Each movement's value (money), updating the items' valuation rows in item order."""
    flows = [val.classify(snap.locations[m.from_location_id], snap.locations[m.to_location_id])
             for m in movements]
    item_ids = sorted({m.item_id for m, f in zip(movements, flows, strict=True)
                       if f is not val.Flow.NONE})
    if not item_ids:
        return [None] * len(movements)
    states = {i: _load_state(session, tenant_id, i, snap.items[i].valuation) for i in item_ids}
    values: list[Decimal | None] = []
    for movement, flow in zip(movements, flows, strict=True):
        if flow is val.Flow.NONE:
            values.append(None)
            continue
        state, next_seq = states[movement.item_id]
        if flow is val.Flow.RECEIPT:
            original = originals.get(movement.reversal_of) if movement.reversal_of else None
            valued = val.receive(state, movement.qty, next_seq, unit_cost=movement.unit_cost,
                                 value=original)
            next_seq += 1
        else:
            valued = val.issue(state, movement.qty)
        states[movement.item_id] = (valued.state, next_seq)
        values.append(valued.amount)
    for item_id, (state, next_seq) in states.items():
        _save_state(session, tenant_id, item_id, state, next_seq)
    return values


def _load_state(session: Session, tenant_id: int, item_id: int, method: Valuation
                ) -> tuple[val.ValuationState, int]:
    row = session.connection().execute(select(t.ValuationState.__table__).where(
        t.ValuationState.tenant_id == tenant_id, t.ValuationState.item_id == item_id
    ).with_for_update()).first()
    if row is None:
        try:
            session.connection().execute(insert(t.ValuationState), {
                "tenant_id": tenant_id, "item_id": item_id, "short_qty": Decimal(0),
                "short_value": Decimal(0), "last_unit_cost": Decimal(0), "next_seq": 1})
        except IntegrityError as exc:  # another transaction created it first
            raise Stale("valuation row created concurrently") from exc
        return val.ValuationState(method), 1
    layers = session.connection().execute(select(t.CostLayer.seq, t.CostLayer.qty, t.CostLayer.value).where(
        t.CostLayer.tenant_id == tenant_id, t.CostLayer.item_id == item_id
    ).order_by(t.CostLayer.seq)).all()
    state = val.ValuationState(method, tuple(val.Layer(s, q, v) for s, q, v in layers),
                               row.short_qty, row.short_value, row.last_unit_cost)
    return state, row.next_seq


def _save_state(session: Session, tenant_id: int, item_id: int, state: val.ValuationState,
                next_seq: int) -> None:
    session.connection().execute(update(t.ValuationState).where(
        t.ValuationState.tenant_id == tenant_id, t.ValuationState.item_id == item_id
    ).values(short_qty=state.short_qty, short_value=state.short_value,
             last_unit_cost=state.last_unit_cost, next_seq=next_seq))
    session.connection().execute(delete(t.CostLayer).where(
        t.CostLayer.tenant_id == tenant_id, t.CostLayer.item_id == item_id))
    if state.layers:
        session.connection().execute(insert(t.CostLayer), [
            {"tenant_id": tenant_id, "item_id": item_id, "seq": layer.seq, "qty": layer.qty,
             "value": layer.value} for layer in state.layers])


def insert_movements(session: Session, tenant_id: int, posting_keys: Sequence[str],
                     movements: Sequence[Movement], values: Sequence[Decimal | None]
                     ) -> list[Movement]:
    if not movements:
        return []
    params = [{
        "tenant_id": tenant_id, "item_id": m.item_id, "batch_id": m.batch_id,
        "from_location_id": m.from_location_id, "to_location_id": m.to_location_id,
        "qty": m.qty, "unit_cost": m.unit_cost, "value": v,
        "document_id": m.provenance.document_id,
        "document_version": m.provenance.document_version, "rule": m.provenance.rule,
        "event": m.provenance.event, "actor_id": m.provenance.actor_id, "key": m.key,
        "posting_key": pk, "posted_at": m.posted_at, "reversal_of": m.reversal_of,
    } for m, v, pk in zip(movements, values, posting_keys, strict=True)]
    try:
        ids = session.connection().execute(NEW_MOVEMENTS, params).scalars().all()
    except IntegrityError as exc:  # reversal_of is unique: reversed concurrently
        raise Stale("movement key or reversal taken concurrently") from exc
    return [m.with_id(i) for m, i in zip(movements, ids, strict=True)]


def note_first_receipts(session: Session, snap: Snapshot, movements: Sequence[Movement]) -> None:
    firsts = [{"b": m.batch_id, "seq": m.id} for m in movements
              if m.batch_id is not None and snap.locations[m.to_location_id].internal
              and m.batch_id not in snap.receipt_seq]
    if firsts:
        session.connection().execute(FIRST_RECEIPT, firsts)


def write_reservations(session: Session, reservations: Sequence[Reservation],
                       posting_keys: Sequence[str]) -> list[Reservation]:
    out = []
    for r, posting_key in zip(reservations, posting_keys, strict=True):
        if r.id is None:
            new_id = session.connection().execute(NEW_RESERVATION, {
                "tenant_id": r.tenant_id, "item_id": r.key.item_id,
                "location_id": r.key.location_id, "batch_id": r.key.batch_id, "qty": r.qty,
                "state": r.state.value, "document_id": r.provenance.document_id,
                "document_version": r.provenance.document_version, "rule": r.provenance.rule,
                "event": r.provenance.event, "actor_id": r.provenance.actor_id,
                "posting_key": posting_key, "expires_at": r.expires_at}).scalar_one()
            out.append(replace(r, id=new_id))
            continue
        if session.connection().execute(CLOSE_RESERVATION, {"r": r.id, "state": r.state.value}).first() \
                is None:
            raise Stale("reservation closed concurrently")
        out.append(r)
    return out


def apply(session: Session, snap: Snapshot, plans: Sequence[tuple[str, PostingResult]],
          originals: dict[int, Decimal | None]) -> list[PostingResult]:
    """Apply OK plans of one event (after :func:`record_postings`) as one: deltas summed
    per key in lock order, then valuation and journal rows. Returns the plans with
    their stored ids."""
    deltas = aggregate_deltas(plan for _, plan in plans)
    apply_deltas(session, snap.tenant_id, list(deltas.items()))
    movements = [m for _, plan in plans for m in plan.movements]
    keys = [key for key, plan in plans for _ in plan.movements]
    values = value_movements(session, snap, snap.tenant_id, movements, originals)
    stored = insert_movements(session, snap.tenant_id, keys, movements, values)
    note_first_receipts(session, snap, stored)
    out, position = [], 0
    for key, plan in plans:
        mine = tuple(stored[position:position + len(plan.movements)])
        position += len(plan.movements)
        reservations = write_reservations(session, plan.reservations,
                                          [key] * len(plan.reservations))
        out.append(replace(plan, movements=mine, reservations=tuple(reservations)))
    return out
