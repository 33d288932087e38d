"""SQLAlchemy models of the ledger: master data, journal, balances, reservations,
idempotency records, open counts and valuation state.

Quantities are stored as integer micro-units and money as integer 1/10000 units
(:class:`ScaledDecimal`), so guarded updates compare integers identically on SQLite
and PostgreSQL. ``balances`` is keyed by (tenant, item, location, batch_key) where
``batch_key`` is the batch id or 0 for untracked stock: a NULL could not take part in
the primary key.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base, Id
from engine.store.types import ScaledDecimal

QTY = ScaledDecimal(6)
COST = ScaledDecimal(6)
MONEY = ScaledDecimal(4)


def _tenant_fk(column: str, table: str) -> ForeignKeyConstraint:
    """A foreign key that also pins the tenant: rows never point across tenants."""
    return ForeignKeyConstraint(["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"])


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("tenant_id", "code"), UniqueConstraint("tenant_id", "id"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    code: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    base_unit: Mapped[str] = mapped_column(String(20))
    tracking: Mapped[str] = mapped_column(String(20))
    valuation: Mapped[str] = mapped_column(String(20))
    reorder_point: Mapped[Decimal] = mapped_column(QTY)
    safety_stock: Mapped[Decimal] = mapped_column(QTY)
    allow_negative: Mapped[bool] = mapped_column(Boolean)
    attributes: Mapped[dict[str, Any]]


class UnitConversion(Base):
    """``1 unit = factor × base unit`` of one item."""

    __tablename__ = "unit_conversions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "item_id", "unit"),
        _tenant_fk("item_id", "items"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    item_id: Mapped[int | None] = mapped_column(Id)  # None: for every item
    unit: Mapped[str] = mapped_column(String(20))
    factor: Mapped[Decimal] = mapped_column(QTY)


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        UniqueConstraint("tenant_id", "id"),
        _tenant_fk("parent_id", "locations"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    code: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(Id)
    allow_negative: Mapped[bool] = mapped_column(Boolean)


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("tenant_id", "item_id", "code"),
        UniqueConstraint("tenant_id", "id"),
        _tenant_fk("item_id", "items"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    item_id: Mapped[int] = mapped_column(Id)
    code: Mapped[str] = mapped_column(String(63))
    production_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    first_receipt_seq: Mapped[int | None] = mapped_column(BigInteger)


class Bom(Base):
    """A bill of materials or a recipe: ``output_qty`` of an item from its lines."""

    __tablename__ = "boms"
    __table_args__ = (
        UniqueConstraint("tenant_id", "item_id", "kind"),
        UniqueConstraint("tenant_id", "id"),
        _tenant_fk("item_id", "items"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    item_id: Mapped[int] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(10))
    output_qty: Mapped[Decimal] = mapped_column(QTY)


class BomLine(Base):
    __tablename__ = "bom_lines"
    __table_args__ = (_tenant_fk("bom_id", "boms"), _tenant_fk("component_id", "items"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    bom_id: Mapped[int] = mapped_column(Id, index=True)
    position: Mapped[int] = mapped_column(Integer)
    component_id: Mapped[int] = mapped_column(Id)
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit: Mapped[str | None] = mapped_column(String(20))
    loss_pct: Mapped[Decimal] = mapped_column(QTY)
    yield_pct: Mapped[Decimal] = mapped_column(QTY)
    phantom: Mapped[bool] = mapped_column(Boolean)
    max_depth: Mapped[int | None] = mapped_column(Integer)


class Movement(Base):
    """The journal: append-only. ``reversal_of`` is unique, so nothing reverses twice."""

    __tablename__ = "movements"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        UniqueConstraint("reversal_of"),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("from_location_id <> to_location_id", name="two_places"),
        _tenant_fk("item_id", "items"),
        _tenant_fk("batch_id", "batches"),
        _tenant_fk("from_location_id", "locations"),
        _tenant_fk("to_location_id", "locations"),
        Index("ix_movements_item_time", "tenant_id", "item_id", "posted_at"),
        Index("ix_movements_document", "tenant_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    item_id: Mapped[int] = mapped_column(Id)
    batch_id: Mapped[int | None] = mapped_column(Id)
    from_location_id: Mapped[int] = mapped_column(Id)
    to_location_id: Mapped[int] = mapped_column(Id)
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_cost: Mapped[Decimal | None] = mapped_column(COST)
    value: Mapped[Decimal | None] = mapped_column(MONEY)
    document_id: Mapped[int] = mapped_column(BigInteger)
    document_version: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(63))
    actor_id: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(255))
    posting_key: Mapped[str] = mapped_column(String(255))
    posted_at: Mapped[datetime]
    reversal_of: Mapped[int | None] = mapped_column(ForeignKey("movements.id"))


class Balance(Base):
    """On hand and reserved per item × location × batch: a cache of the journal."""

    __tablename__ = "balances"
    __table_args__ = (
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        _tenant_fk("item_id", "items"),
        _tenant_fk("location_id", "locations"),
        Index("ix_balances_location", "tenant_id", "location_id"),
    )

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(Id, primary_key=True)
    location_id: Mapped[int] = mapped_column(Id, primary_key=True)
    batch_key: Mapped[int] = mapped_column(Id, primary_key=True)  # batch id, or 0
    on_hand: Mapped[Decimal] = mapped_column(QTY)
    reserved: Mapped[Decimal] = mapped_column(QTY)


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        _tenant_fk("item_id", "items"),
        _tenant_fk("location_id", "locations"),
        Index("ix_reservations_document", "tenant_id", "document_id", "state"),
        Index("ix_reservations_due", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    item_id: Mapped[int] = mapped_column(Id)
    location_id: Mapped[int] = mapped_column(Id)
    batch_id: Mapped[int | None] = mapped_column(Id)
    qty: Mapped[Decimal] = mapped_column(QTY)
    state: Mapped[str] = mapped_column(String(10))
    document_id: Mapped[int] = mapped_column(BigInteger)
    document_version: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(63))
    actor_id: Mapped[int] = mapped_column(BigInteger)
    posting_key: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime | None]


class Posting(Base):
    """One idempotent ledger call: its key, payload digest and what it produced."""

    __tablename__ = "postings"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    key: Mapped[str] = mapped_column(String(255))
    digest: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(20))
    posted_at: Mapped[datetime]
    result: Mapped[dict[str, Any]]


class CountSession(Base):
    """An open stocktake: while open, other postings at the location are refused."""

    __tablename__ = "count_sessions"
    __table_args__ = (
        _tenant_fk("location_id", "locations"),
        Index("ix_count_sessions_open", "tenant_id", "location_id", "state"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    location_id: Mapped[int] = mapped_column(Id)
    state: Mapped[str] = mapped_column(String(10))  # open, closed, cancelled
    document_id: Mapped[int | None] = mapped_column(BigInteger)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class ValuationState(Base):
    """One item's valuation, pooled over its valued locations (see docs/ledger.md)."""

    __tablename__ = "valuation_states"
    __table_args__ = (_tenant_fk("item_id", "items"),)

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(Id, primary_key=True)
    short_qty: Mapped[Decimal] = mapped_column(QTY)
    short_value: Mapped[Decimal] = mapped_column(MONEY)
    last_unit_cost: Mapped[Decimal] = mapped_column(COST)
    next_seq: Mapped[int] = mapped_column(BigInteger)


class CostLayer(Base):
    """Stock received together and still on hand (FIFO); one pooled layer for averages."""

    __tablename__ = "cost_layers"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "item_id"],
                             ["valuation_states.tenant_id", "valuation_states.item_id"]),
    )

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(Id, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    qty: Mapped[Decimal] = mapped_column(QTY)
    value: Mapped[Decimal] = mapped_column(MONEY)
