"""Stock figures the rules language may read (on hand, average daily issue, cost)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.ledger.model import INTERNAL_KINDS
from engine.store import ledger_tables as t

_INTERNAL = [k.value for k in INTERNAL_KINDS]


def on_hand(session: Session, tenant_id: int, item_id: int, location_id: int
            ) -> tuple[Decimal, Decimal]:
    """(on hand, reserved) of an item at a location, over its batches."""
    row = session.execute(select(func.sum(t.Balance.on_hand), func.sum(t.Balance.reserved))
                          .where(t.Balance.tenant_id == tenant_id, t.Balance.item_id == item_id,
                                 t.Balance.location_id == location_id)).one()
    return row[0] or Decimal(0), row[1] or Decimal(0)


def issued_since(session: Session, tenant_id: int, item_id: int, location_id: int | None,
                 since: datetime) -> Decimal:
    """Net quantity issued to customers since ``since`` (returns from customers netted):
    from ``location_id``, or from any internal location."""
    src, dst = t.Location.__table__.alias("src"), t.Location.__table__.alias("dst")

    def total(out: bool) -> Decimal:
        here = t.Movement.from_location_id if out else t.Movement.to_location_id
        there = t.Movement.to_location_id if out else t.Movement.from_location_id
        query = (select(func.sum(t.Movement.qty))
                 .join(src, src.c.id == here).join(dst, dst.c.id == there)
                 .where(t.Movement.tenant_id == tenant_id, t.Movement.item_id == item_id,
                        t.Movement.posted_at >= since, dst.c.kind == "customer",
                        src.c.kind.in_(_INTERNAL)))
        if location_id is not None:
            query = query.where(here == location_id)
        return session.execute(query).scalar_one() or Decimal(0)

    return total(True) - total(False)


def average_cost(session: Session, tenant_id: int, item_id: int) -> Decimal | None:
    """Value ÷ quantity over the item's cost layers, or its last unit cost when empty."""
    qty, value = session.execute(select(func.sum(t.CostLayer.qty), func.sum(t.CostLayer.value))
                                 .where(t.CostLayer.tenant_id == tenant_id,
                                        t.CostLayer.item_id == item_id)).one()
    if qty:
        return Decimal(value or 0) / Decimal(qty)
    last = session.execute(select(t.ValuationState.last_unit_cost).where(
        t.ValuationState.tenant_id == tenant_id,
        t.ValuationState.item_id == item_id)).scalar_one_or_none()
    return last
