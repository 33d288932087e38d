"""Reads that an effect preview needs: what changed inside the current transaction."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from engine.store import ledger_tables as t


def high_water(session: Session, tenant_id: int) -> tuple[int, int]:
    """The newest movement and reservation ids: what comes after was written since."""
    movement = session.execute(select(func.max(t.Movement.id)).where(
        t.Movement.tenant_id == tenant_id)).scalar_one()
    reservation = session.execute(select(func.max(t.Reservation.id)).where(
        t.Reservation.tenant_id == tenant_id)).scalar_one()
    return int(movement or 0), int(reservation or 0)


def movements_since(session: Session, tenant_id: int, after_id: int) -> list[dict[str, Any]]:
    """Movements written after ``after_id``, with codes for people to read."""
    src, dst = t.Location.__table__.alias("src"), t.Location.__table__.alias("dst")
    rows = session.execute(
        select(t.Movement.id, t.Movement.item_id, t.Movement.from_location_id,
               t.Movement.to_location_id, t.Movement.batch_id, t.Item.code, src.c.code,
               dst.c.code, t.Batch.code, t.Batch.expiry_date, t.Movement.qty,
               t.Movement.value, t.Movement.reversal_of)
        .join(t.Item, t.Item.id == t.Movement.item_id)
        .join(src, src.c.id == t.Movement.from_location_id)
        .join(dst, dst.c.id == t.Movement.to_location_id)
        .outerjoin(t.Batch, t.Batch.id == t.Movement.batch_id)
        .where(t.Movement.tenant_id == tenant_id, t.Movement.id > after_id)
        .order_by(t.Movement.id)).all()
    return [{"item_id": r[1], "from_id": r[2], "to_id": r[3], "batch_id": r[4], "item": r[5],
             "from": r[6], "to": r[7], "batch": r[8], "expiry": r[9], "qty": r[10],
             "value": r[11], "reversal_of": r[12]} for r in rows]


def reservation_keys(session: Session, tenant_id: int, document_id: int, after_id: int
                     ) -> set[tuple[int, int, int]]:
    """Balance keys of the document's reservations (and of any written since)."""
    rows = session.execute(select(t.Reservation.item_id, t.Reservation.location_id,
                                  t.Reservation.batch_id).where(
        t.Reservation.tenant_id == tenant_id,
        (t.Reservation.document_id == document_id) | (t.Reservation.id > after_id))).all()
    return {(item, loc, batch or 0) for item, loc, batch in rows}


def balances(session: Session, tenant_id: int, keys: Iterable[tuple[int, int, int]]
             ) -> dict[tuple[int, int, int], tuple[Decimal, Decimal, str, str, str | None]]:
    """(on hand, reserved, item code, location code, batch code) per key."""
    wanted = list(keys)
    if not wanted:
        return {}
    rows = session.execute(
        select(t.Balance.item_id, t.Balance.location_id, t.Balance.batch_key,
               t.Balance.on_hand, t.Balance.reserved, t.Item.code, t.Location.code,
               t.Batch.code)
        .join(t.Item, t.Item.id == t.Balance.item_id)
        .join(t.Location, t.Location.id == t.Balance.location_id)
        .outerjoin(t.Batch, t.Batch.id == t.Balance.batch_key)
        .where(t.Balance.tenant_id == tenant_id,
               tuple_(t.Balance.item_id, t.Balance.location_id, t.Balance.batch_key)
               .in_(wanted))).all()
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5], r[6], r[7]) for r in rows}
