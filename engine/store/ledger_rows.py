"""Conversions between ledger rows and the pure ledger's values."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from engine.ledger.model import (
    BalanceKey,
    Batch,
    Bom,
    BomKind,
    BomLine,
    Item,
    Location,
    LocationKind,
    Movement,
    Provenance,
    Reservation,
    ReservationState,
    Tracking,
    UnitConversion,
    Valuation,
)
from engine.store import ledger_tables as t


def item(row: Any) -> Item:  # an ORM row or a Core row of items
    return Item(row.id, row.tenant_id, row.code, row.name, row.base_unit,
                Tracking(row.tracking), Valuation(row.valuation), row.reorder_point,
                row.safety_stock, row.allow_negative,
                MappingProxyType({k: str(v) for k, v in (row.attributes or {}).items()}))


def location(row: Any, locked: bool = False) -> Location:
    return Location(row.id, row.tenant_id, row.code, row.name, LocationKind(row.kind),
                    row.parent_id, row.allow_negative, bool(locked))


def batch(row: Any) -> Batch:
    return Batch(row.id, row.tenant_id, row.item_id, row.code, row.production_date,
                 row.expiry_date)


def unit(row: t.UnitConversion) -> UnitConversion:
    return UnitConversion(row.item_id, row.unit, row.factor)


def bom(row: t.Bom, lines: list[t.BomLine]) -> Bom:
    return Bom(row.item_id, tuple(
        BomLine(ln.component_id, ln.qty, ln.unit, ln.loss_pct, ln.yield_pct, ln.phantom,
                ln.max_depth)
        for ln in sorted(lines, key=lambda ln: ln.position)
    ), row.output_qty, BomKind(row.kind), row.id)


def provenance(row: t.Movement | t.Reservation) -> Provenance:
    return Provenance(row.tenant_id, row.document_id, row.document_version, row.rule,
                      row.event, row.actor_id)


def movement(row: t.Movement) -> Movement:
    return Movement(row.id, row.tenant_id, row.item_id, row.batch_id, row.from_location_id,
                    row.to_location_id, row.qty, row.unit_cost, provenance(row), row.key,
                    row.posted_at, row.reversal_of)


def reservation(row: t.Reservation) -> Reservation:
    key = BalanceKey(row.item_id, row.location_id, row.batch_id)
    return Reservation(row.id, row.tenant_id, key, row.qty, provenance(row),
                       ReservationState(row.state), row.expires_at)


def batch_key(batch_id: int | None) -> int:
    """Balances key untracked stock with batch 0 (a primary key cannot hold NULL)."""
    return 0 if batch_id is None else batch_id


def balance_key(row: t.Balance) -> BalanceKey:
    return BalanceKey(row.item_id, row.location_id, row.batch_key or None)
