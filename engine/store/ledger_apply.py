"""Applying a plan: guarded balance updates in lock order, valuation, journal rows.

Order inside the transaction (the same for every caller, so locks never cycle):

1. the ``postings`` row for the effect key (a concurrent duplicate fails here);
2. balance rows, one guarded upsert per key in ``BalanceKey.lock_order``;
3. valuation rows of the items whose value changes, in item order;
4. movements, reservations and batch receipt sequences (no further locks).

A guard that refuses (stock taken since the snapshot was read), a duplicate effect
key, or a reservation closed concurrently raises :class:`Stale`: the transaction
rolls back and the service plans again on a fresh snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.ledger import valuation as val
from engine.ledger.model import BalanceKey, Delta, Movement, Reservation, Valuation
from engine.ledger.planning import aggregate_deltas
from engine.ledger.results import PostingResult, Shortage
from engine.ledger.snapshot import Snapshot
from engine.store import ledger_tables as t
from engine.store.ledger_rows import batch_key


class Stale(Exception):
    """The snapshot no longer holds: roll back and plan again."""

    def __init__(self, reason: str, shortage: Shortage | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.shortage = shortage


def record_posting(session: Session, tenant_id: int, key: str, digest: str, operation: str,
                   now: datetime) -> t.Posting:
    row = t.Posting(tenant_id=tenant_id, key=key, digest=digest, operation=operation,
                    posted_at=now, result={})
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Stale("duplicate effect key") from exc
    return row


def apply_deltas(session: Session, backend: str, tenant_id: int,
                 deltas: Sequence[tuple[BalanceKey, Delta]]) -> None:
    """One guarded update per key, in the order given (the lock order).

    A guarded delta that lowers availability updates only a row whose
    ``on_hand − reserved`` stays ≥ 0; a missing row has nothing to give. Any other
    delta updates the row, or inserts it when it is the key's first stock.
    """
    table = cast(Table, t.Balance.__table__)
    for key, delta in deltas:
        pk = {"tenant_id": tenant_id, "item_id": key.item_id, "location_id": key.location_id,
              "batch_key": batch_key(key.batch_id)}
        where = [table.c[k] == v for k, v in pk.items()]
        if delta.guarded and delta.on_hand - delta.reserved < 0:
            where.append((table.c.on_hand + delta.on_hand)
                         - (table.c.reserved + delta.reserved) >= 0)
        stmt = (update(table).where(*where)
                .values(on_hand=table.c.on_hand + delta.on_hand,
                        reserved=table.c.reserved + delta.reserved)
                .returning(table.c.on_hand))
        if session.execute(stmt).first() is not None:
            continue
        if delta.guarded and delta.on_hand - delta.reserved < 0:
            raise Stale("insufficient stock",
                        Shortage(key, -(delta.on_hand - delta.reserved), Decimal(0)))
        try:
            with session.begin_nested():
                session.execute(insert(table).values(**pk, on_hand=delta.on_hand,
                                                     reserved=delta.reserved))
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
    row = session.execute(select(t.ValuationState).where(
        t.ValuationState.tenant_id == tenant_id, t.ValuationState.item_id == item_id
    ).with_for_update()).scalar_one_or_none()
    if row is None:
        try:
            with session.begin_nested():
                session.add(t.ValuationState(tenant_id=tenant_id, item_id=item_id,
                                             short_qty=Decimal(0), short_value=Decimal(0),
                                             last_unit_cost=Decimal(0), next_seq=1))
                session.flush()
        except IntegrityError as exc:  # another transaction created it first
            raise Stale("valuation row created concurrently") from exc
        return val.ValuationState(method), 1
    layers = session.execute(select(t.CostLayer).where(
        t.CostLayer.tenant_id == tenant_id, t.CostLayer.item_id == item_id
    ).order_by(t.CostLayer.seq)).scalars().all()
    state = val.ValuationState(method, tuple(val.Layer(c.seq, c.qty, c.value) for c in layers),
                               row.short_qty, row.short_value, row.last_unit_cost)
    return state, row.next_seq


def _save_state(session: Session, tenant_id: int, item_id: int, state: val.ValuationState,
                next_seq: int) -> None:
    session.execute(update(t.ValuationState).where(
        t.ValuationState.tenant_id == tenant_id, t.ValuationState.item_id == item_id
    ).values(short_qty=state.short_qty, short_value=state.short_value,
             last_unit_cost=state.last_unit_cost, next_seq=next_seq))
    session.execute(delete(t.CostLayer).where(
        t.CostLayer.tenant_id == tenant_id, t.CostLayer.item_id == item_id))
    if state.layers:
        session.execute(insert(t.CostLayer), [
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
        with session.begin_nested():
            ids = session.execute(
                insert(t.Movement).returning(t.Movement.id, sort_by_parameter_order=True),
                params).scalars().all()
    except IntegrityError as exc:  # reversal_of is unique: reversed concurrently
        raise Stale("movement key or reversal taken concurrently") from exc
    return [m.with_id(i) for m, i in zip(movements, ids, strict=True)]


def note_first_receipts(session: Session, snap: Snapshot, movements: Sequence[Movement]) -> None:
    for m in movements:
        if m.batch_id is not None and snap.locations[m.to_location_id].internal:
            session.execute(update(t.Batch).where(
                t.Batch.id == m.batch_id, t.Batch.first_receipt_seq.is_(None)
            ).values(first_receipt_seq=m.id))


def write_reservations(session: Session, reservations: Sequence[Reservation],
                       posting_keys: Sequence[str]) -> list[Reservation]:
    out = []
    for r, posting_key in zip(reservations, posting_keys, strict=True):
        if r.id is None:
            row = t.Reservation(
                tenant_id=r.tenant_id, item_id=r.key.item_id, location_id=r.key.location_id,
                batch_id=r.key.batch_id, qty=r.qty, state=r.state.value,
                document_id=r.provenance.document_id,
                document_version=r.provenance.document_version, rule=r.provenance.rule,
                event=r.provenance.event, actor_id=r.provenance.actor_id,
                posting_key=posting_key, expires_at=r.expires_at)
            session.add(row)
            session.flush()
            out.append(replace(r, id=row.id))
            continue
        changed = session.execute(update(t.Reservation).where(
            t.Reservation.id == r.id, t.Reservation.state == "pending"
        ).values(state=r.state.value).returning(t.Reservation.id)).first()
        if changed is None:
            raise Stale("reservation closed concurrently")
        out.append(r)
    return out


def apply(session: Session, backend: str, snap: Snapshot,
          plans: Sequence[tuple[str, PostingResult]], originals: dict[int, Decimal | None]
          ) -> list[PostingResult]:
    """Apply OK plans of one event (after :func:`record_posting` for each key) as one:
    deltas summed per key in lock order, then valuation and journal rows. Returns the
    plans with their stored ids."""
    deltas = aggregate_deltas(plan for _, plan in plans)
    apply_deltas(session, backend, snap.tenant_id, list(deltas.items()))
    movements = [m for _, plan in plans for m in plan.movements]
    keys = [key for key, plan in plans for _ in plan.movements]
    values = value_movements(session, snap, snap.tenant_id, movements, originals)
    stored = iter(insert_movements(session, snap.tenant_id, keys, movements, values))
    out = []
    for key, plan in plans:
        mine = tuple(next(stored) for _ in plan.movements)
        note_first_receipts(session, snap, mine)
        reservations = write_reservations(session, plan.reservations,
                                          [key] * len(plan.reservations))
        out.append(replace(plan, movements=mine, reservations=tuple(reservations)))
    return out
