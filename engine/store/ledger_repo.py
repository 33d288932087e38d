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

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from engine.ledger.model import (
    INTERNAL_KINDS,
    Bom,
    Item,
    LocationKind,
    UnitConversion,
)
from engine.ledger.snapshot import Snapshot, frozen
from engine.store import ledger_reads
from engine.store import ledger_rows as rows
from engine.store import ledger_tables as t
from engine.store.driver import Driver

VIRTUAL_KINDS = [k.value for k in LocationKind if k not in INTERNAL_KINDS]


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

    def codes_and_reservations(self, tenant_id: int, items: Collection[str],
                               locations: Collection[str], document_id: int | None
                               ) -> tuple[dict[str, int], dict[str, int], list[int] | None]:
        """Item and location ids by code, and a document's pending reservations
        (see :func:`.ledger_reads.codes_and_reservations`)."""
        return ledger_reads.codes_and_reservations(Driver.reading(self.session), tenant_id,
                                                   items, locations, document_id)

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
        return ledger_reads.locked_locations(Driver.of(self.session), tenant_id, location_ids)

    # postings ------------------------------------------------------------------------
    def posting(self, tenant_id: int, key: str) -> t.Posting | None:
        return self.session.execute(
            select(t.Posting).where(t.Posting.tenant_id == tenant_id, t.Posting.key == key)
        ).scalar_one_or_none()

    def posting_digests(self, tenant_id: int, keys: Sequence[str]) -> dict[str, str]:
        """The stored payload digest of each effect key already posted."""
        if not keys:
            return {}
        return ledger_reads.read_digests(Driver.of(self.session), tenant_id, keys)

    def pending_reservations(self, tenant_id: int, document_id: int) -> list[int]:
        """The document's pending reservations, oldest first."""
        d = Driver.reading(self.session)
        return [rid for (rid,) in d.all(ledger_reads.PENDING_RESERVATIONS,
                                        [tenant_id, document_id])]

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
        """What a plan reads, in plain queries (see engine.ledger.snapshot)."""
        return snapshot_with_digests(self.session, tenant_id, wanted, ())[1]

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



def snapshot_with_digests(session: Session, tenant_id: int, wanted: Wanted,
                          keys: Sequence[str]) -> tuple[dict[str, str], Snapshot]:
    """The stored digests of effect ``keys`` and the snapshot ``wanted``, read together
    (one round trip on PostgreSQL when no reservations or movements are wanted)."""
    reservations = {r.id: rows.reservation(r) for r in session.execute(select(t.Reservation).where(
        t.Reservation.tenant_id == tenant_id, t.Reservation.id.in_(wanted.reservations)
    )).scalars()} if wanted.reservations else {}
    movements = {m.id: rows.movement(m) for m in session.execute(select(t.Movement).where(
        t.Movement.tenant_id == tenant_id, t.Movement.id.in_(wanted.movements)
    )).scalars()} if wanted.movements else {}
    reversed_ids = {r for r in session.execute(select(t.Movement.reversal_of).where(
        t.Movement.tenant_id == tenant_id, t.Movement.reversal_of.in_(wanted.movements)
    )).scalars() if r is not None} if wanted.movements else set()
    items, locations, batches = set(wanted.items), set(wanted.locations), set(wanted.batches)
    for r in reservations.values():
        items.add(r.key.item_id)
        locations.add(r.key.location_id)
        if r.key.batch_id:
            batches.add(r.key.batch_id)
    for m in movements.values():
        items.add(m.item_id)
        locations |= {m.from_location_id, m.to_location_id}
        if m.batch_id:
            batches.add(m.batch_id)
    core = ledger_reads.read_core(Driver.of(session), tenant_id, keys, items, locations, batches)
    return core.digests, Snapshot(
        tenant_id=tenant_id, items=frozen(core.items), locations=frozen(core.locations),
        batches=frozen(core.batches), balances=frozen(core.balances),
        receipt_seq=frozen(core.receipt_seq), movements=frozen(movements),
        reversed_ids=frozenset(reversed_ids), reservations=frozen(reservations),
    )


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
