"""Reading the ledger: master data, snapshots for planning, postings, reports.

Snapshots are plain reads (no locks): the plan computed on them is checked again by
the guarded updates that :mod:`engine.store.ledger_apply` runs last.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from engine.ledger.model import (
    INTERNAL_KINDS,
    Balance,
    BalanceKey,
    Bom,
    Item,
    LocationKind,
    UnitConversion,
)
from engine.ledger.snapshot import Snapshot, frozen
from engine.store import ledger_rows as rows
from engine.store import ledger_tables as t

VIRTUAL_KINDS = [k.value for k in LocationKind if k not in INTERNAL_KINDS]

# The snapshot's queries, built once: posting is the hot path.
_ITEM, _LOC = t.Item.__table__, t.Location.__table__
_ITEMS = select(_ITEM).where(_ITEM.c.tenant_id == bindparam("t"),
                             _ITEM.c.id.in_(bindparam("items", expanding=True)))
_LOCATIONS = select(_LOC, exists().where(
    t.CountSession.tenant_id == _LOC.c.tenant_id, t.CountSession.location_id == _LOC.c.id,
    t.CountSession.state == "open").label("locked")).where(
    _LOC.c.tenant_id == bindparam("t"),
    or_(_LOC.c.id.in_(bindparam("locations", expanding=True)), _LOC.c.kind.in_(VIRTUAL_KINDS)))
_BALANCES = select(t.Balance.item_id, t.Balance.location_id, t.Balance.batch_key,
                   t.Balance.on_hand, t.Balance.reserved).where(
    t.Balance.tenant_id == bindparam("t"),
    t.Balance.item_id.in_(bindparam("items", expanding=True)),
    t.Balance.location_id.in_(bindparam("locations", expanding=True)))
_POSTINGS = t.Posting.__table__
_DIGESTS = select(_POSTINGS.c.key, _POSTINGS.c.digest).where(
    _POSTINGS.c.tenant_id == bindparam("t"), _POSTINGS.c.key.in_(bindparam("keys", expanding=True)))
_COUNTS = t.CountSession.__table__
_LOCKED = select(_COUNTS.c.location_id).where(
    _COUNTS.c.tenant_id == bindparam("t"), _COUNTS.c.state == "open",
    _COUNTS.c.location_id.in_(bindparam("ids", expanding=True)))
_BATCHES = select(t.Batch.__table__).where(
    t.Batch.tenant_id == bindparam("t"), t.Batch.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True, slots=True)
class Wanted:
    """What an operation touches, so the snapshot holds just that."""

    items: frozenset[int] = frozenset()
    locations: frozenset[int] = frozenset()
    batches: frozenset[int] = frozenset()
    reservations: frozenset[int] = frozenset()
    movements: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class StockLine:
    item_id: int
    item_code: str
    location_id: int
    location_code: str
    on_hand: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class LedgerRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    # master data -------------------------------------------------------------------
    def item_by_code(self, tenant_id: int, code: str) -> t.Item | None:
        return self.session.execute(
            select(t.Item).where(t.Item.tenant_id == tenant_id, t.Item.code == code)
        ).scalar_one_or_none()

    def location_by_code(self, tenant_id: int, code: str) -> t.Location | None:
        return self.session.execute(
            select(t.Location).where(t.Location.tenant_id == tenant_id, t.Location.code == code)
        ).scalar_one_or_none()

    def batch_by_code(self, tenant_id: int, item_id: int, code: str) -> t.Batch | None:
        return self.session.execute(select(t.Batch).where(
            t.Batch.tenant_id == tenant_id, t.Batch.item_id == item_id, t.Batch.code == code
        )).scalar_one_or_none()

    def boms(self, tenant_id: int, kind: str | None = None) -> dict[int, Bom]:
        query = select(t.Bom).where(t.Bom.tenant_id == tenant_id)
        if kind is not None:
            query = query.where(t.Bom.kind == kind)
        headers = self.session.execute(query).scalars().all()
        lines: dict[int, list[t.BomLine]] = {}
        for line in self.session.execute(
            select(t.BomLine).where(t.BomLine.tenant_id == tenant_id)
        ).scalars():
            lines.setdefault(line.bom_id, []).append(line)
        return {h.item_id: rows.bom(h, lines.get(h.id, [])) for h in headers}

    def delete_bom_lines(self, bom_id: int) -> None:
        self.session.execute(delete(t.BomLine).where(t.BomLine.bom_id == bom_id))

    def items(self, tenant_id: int, ids: Iterable[int]) -> dict[int, Item]:
        return {r.id: rows.item(r) for r in self.session.execute(select(t.Item).where(
            t.Item.tenant_id == tenant_id, t.Item.id.in_(list(ids)))).scalars()}

    def bom_row(self, tenant_id: int, item_id: int, kind: str) -> t.Bom | None:
        return self.session.execute(select(t.Bom).where(
            t.Bom.tenant_id == tenant_id, t.Bom.item_id == item_id, t.Bom.kind == kind
        )).scalar_one_or_none()

    def unit_conversions(self, tenant_id: int) -> list[UnitConversion]:
        return [rows.unit(r) for r in self.session.execute(
            select(t.UnitConversion).where(t.UnitConversion.tenant_id == tenant_id)).scalars()]

    def open_count(self, tenant_id: int, location_id: int) -> t.CountSession | None:
        return self.session.execute(select(t.CountSession).where(
            t.CountSession.tenant_id == tenant_id, t.CountSession.location_id == location_id,
            t.CountSession.state == "open")).scalars().first()

    def locked_locations(self, tenant_id: int, location_ids: Collection[int]) -> set[int]:
        if not location_ids:
            return set()
        found = self.session.connection().execute(
            _LOCKED, {"t": tenant_id, "ids": list(location_ids)})
        return {row[0] for row in found}

    # postings ------------------------------------------------------------------------
    def posting(self, tenant_id: int, key: str) -> t.Posting | None:
        return self.session.execute(
            select(t.Posting).where(t.Posting.tenant_id == tenant_id, t.Posting.key == key)
        ).scalar_one_or_none()

    def posting_digests(self, tenant_id: int, keys: Sequence[str]) -> dict[str, str]:
        """The stored payload digest of each effect key already posted."""
        found = self.session.connection().execute(_DIGESTS, {"t": tenant_id, "keys": keys})
        return {key: digest for key, digest in found}

    def pending_reservations(self, tenant_id: int, document_id: int) -> list[int]:
        return list(self.session.execute(select(t.Reservation.id).where(
            t.Reservation.tenant_id == tenant_id, t.Reservation.document_id == document_id,
            t.Reservation.state == "pending").order_by(t.Reservation.id)).scalars())

    def document_movements(self, tenant_id: int, document_id: int) -> list[int]:
        """Ids of a document's movements that are neither reversals nor reversed."""
        reversed_ids = select(t.Movement.reversal_of).where(
            t.Movement.tenant_id == tenant_id, t.Movement.reversal_of.is_not(None))
        return list(self.session.execute(select(t.Movement.id).where(
            t.Movement.tenant_id == tenant_id, t.Movement.document_id == document_id,
            t.Movement.reversal_of.is_(None), t.Movement.id.not_in(reversed_ids),
        ).order_by(t.Movement.id)).scalars())

    # snapshots -----------------------------------------------------------------------
    def snapshot(self, tenant_id: int, wanted: Wanted) -> Snapshot:
        """What a plan reads, in at most five plain queries (see engine.ledger.snapshot)."""
        s = self.session
        reservations = {r.id: rows.reservation(r) for r in s.execute(select(t.Reservation).where(
            t.Reservation.tenant_id == tenant_id, t.Reservation.id.in_(wanted.reservations)
        )).scalars()} if wanted.reservations else {}
        movements = {m.id: rows.movement(m) for m in s.execute(select(t.Movement).where(
            t.Movement.tenant_id == tenant_id, t.Movement.id.in_(wanted.movements)
        )).scalars()} if wanted.movements else {}
        item_ids = set(wanted.items) | {r.key.item_id for r in reservations.values()} | {
            m.item_id for m in movements.values()}
        location_ids = set(wanted.locations) | {r.key.location_id for r in reservations.values()}
        for m in movements.values():
            location_ids |= {m.from_location_id, m.to_location_id}
        ids = {"t": tenant_id, "items": list(item_ids), "locations": list(location_ids)}
        conn = s.connection()
        items = {r.id: rows.item(r) for r in conn.execute(_ITEMS, ids)}
        locations = {r.id: rows.location(r, r.locked) for r in conn.execute(_LOCATIONS, ids)}
        balances = {BalanceKey(b.item_id, b.location_id, b.batch_key or None):
                    Balance(b.on_hand, b.reserved) for b in conn.execute(_BALANCES, ids)}
        batch_ids: set[int] = set(wanted.batches)
        batch_ids.update(k.batch_id for k in balances if k.batch_id)
        batch_ids.update(r.key.batch_id for r in reservations.values() if r.key.batch_id)
        batch_ids.update(m.batch_id for m in movements.values() if m.batch_id)
        batch_rows = conn.execute(_BATCHES, {"t": tenant_id, "ids": list(batch_ids)}).all() \
            if batch_ids else []
        reversed_ids = {r for r in s.execute(select(t.Movement.reversal_of).where(
            t.Movement.tenant_id == tenant_id, t.Movement.reversal_of.in_(wanted.movements)
        )).scalars() if r is not None} if wanted.movements else set()
        return Snapshot(
            tenant_id=tenant_id, items=frozen(items), locations=frozen(locations),
            batches=frozen({b.id: rows.batch(b) for b in batch_rows}),
            balances=frozen(balances),
            receipt_seq=frozen({b.id: b.first_receipt_seq for b in batch_rows
                                if b.first_receipt_seq is not None}),
            movements=frozen(movements), reversed_ids=frozenset(reversed_ids),
            reservations=frozen(reservations),
        )

    # reports ---------------------------------------------------------------------------
    def stock(self, tenant_id: int, *, item_ids: Iterable[int] | None = None,
              location_ids: Iterable[int] | None = None, internal_only: bool = True,
              limit: int | None = None) -> list[StockLine]:
        """Balances summed over batches per item × location: never reads the journal."""
        query = (
            select(t.Balance.item_id, t.Item.code, t.Balance.location_id, t.Location.code,
                   func.sum(t.Balance.on_hand), func.sum(t.Balance.reserved))
            .join(t.Item, t.Item.id == t.Balance.item_id)
            .join(t.Location, t.Location.id == t.Balance.location_id)
            .where(t.Balance.tenant_id == tenant_id)
            .group_by(t.Balance.item_id, t.Item.code, t.Balance.location_id, t.Location.code)
            .order_by(t.Item.code, t.Location.code)
        )
        if item_ids is not None:
            query = query.where(t.Balance.item_id.in_(list(item_ids)))
        if location_ids is not None:
            query = query.where(t.Balance.location_id.in_(list(location_ids)))
        if internal_only:
            query = query.where(t.Location.kind.in_([k.value for k in INTERNAL_KINDS]))
        if limit is not None:
            query = query.limit(limit)
        # SUM keeps the column's type, so the scaled integers come back as Decimals.
        return [StockLine(i, ic, loc, lc, oh or Decimal(0), rs or Decimal(0))
                for i, ic, loc, lc, oh, rs in self.session.execute(query)]

    def everything(self, tenant_id: int) -> dict[str, Sequence[Any]]:
        """Every ledger row of a tenant, for ``flowledger verify``."""
        s = self.session

        def all_of(table: Any) -> Sequence[Any]:
            return s.execute(select(table).where(table.tenant_id == tenant_id)).scalars().all()

        return {name: all_of(table) for name, table in (
            ("items", t.Item), ("locations", t.Location), ("batches", t.Batch),
            ("movements", t.Movement), ("balances", t.Balance),
            ("reservations", t.Reservation))}



def movement_values(session: Session, tenant_id: int, ids: Collection[int]
                    ) -> dict[int, Decimal | None]:
    if not ids:
        return {}
    return {i: v for i, v in session.execute(select(t.Movement.id, t.Movement.value).where(
        t.Movement.tenant_id == tenant_id, t.Movement.id.in_(ids)))}


def posted_rows(session: Session, tenant_id: int, posting_key: str
                ) -> tuple[list[t.Movement], list[t.Reservation]]:
    movements = session.execute(select(t.Movement).where(
        t.Movement.tenant_id == tenant_id, t.Movement.posting_key == posting_key
    ).order_by(t.Movement.id)).scalars().all()
    reservations = session.execute(select(t.Reservation).where(
        t.Reservation.tenant_id == tenant_id, t.Reservation.posting_key == posting_key
    ).order_by(t.Reservation.id)).scalars().all()
    return list(movements), list(reservations)


def close_counts(session: Session, tenant_id: int, location_ids: Collection[int],
                 now: datetime) -> None:
    session.execute(update(t.CountSession).where(
        t.CountSession.tenant_id == tenant_id, t.CountSession.state == "open",
        t.CountSession.location_id.in_(location_ids)).values(state="closed", closed_at=now))


def lock_location_balances(session: Session, tenant_id: int, location_id: int) -> None:
    """Wait for postings in flight at a location (their balance rows are locked)."""
    session.execute(select(t.Balance.item_id).where(
        t.Balance.tenant_id == tenant_id, t.Balance.location_id == location_id
    ).order_by(t.Balance.item_id, t.Balance.batch_key).with_for_update()).all()


def due_reservations(session: Session, now: datetime, limit: int = 500
                     ) -> list[tuple[int, int, int]]:
    """(tenant, document, reservation) of pending reservations whose time is up."""
    found = session.execute(select(
        t.Reservation.tenant_id, t.Reservation.document_id, t.Reservation.id).where(
        t.Reservation.state == "pending", t.Reservation.expires_at.is_not(None),
        t.Reservation.expires_at <= now).order_by(t.Reservation.id).limit(limit))
    return [(tenant, document, rid) for tenant, document, rid in found]
