"""Stock reports behind the REST API: balances with totals, movements, batches near
expiry, items below their reorder point, locations locked by counts, and valuation.

As in :mod:`.queries`: the tenant comes from the caller's credential, each report is
read in one transaction, lists page by keyset.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from engine.ledger import valuation as val
from engine.ledger.model import Valuation
from engine.services.queries import ZERO, Page, page_of, read_with, subtree_ids
from engine.store.db import Store
from engine.store.query_repo import BalanceFilter, QueryRepo


@dataclass(frozen=True, slots=True)
class BalanceLine:
    item_id: int
    item_code: str
    location_id: int | None
    location_code: str | None
    batch_id: int | None
    batch_code: str | None
    expiry_date: date | None
    on_hand: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class Totals:
    on_hand: Decimal
    reserved: Decimal
    rows: int

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class BalanceReport:
    page: Page[BalanceLine]
    totals: Totals


GROUPS = ("item", "location", "batch")


def balances(store: Store, tenant_id: int, *, item_ids: Collection[int] | None = None,
             location_ids: Collection[int] | None = None, under: int | None = None,
             batch_id: int | None = None, include_virtual: bool = False,
             include_zero: bool = False, group: str = "batch",
             after: tuple[int, ...] | None = None, limit: int = 50) -> BalanceReport:
    """Balances per item (× location (× batch)), with totals over the whole filter."""
    assert group in GROUPS
    if under is not None:
        subtree = subtree_ids(store, tenant_id, under)
        location_ids = subtree if location_ids is None else subtree & set(location_ids)
    f = BalanceFilter(item_ids, location_ids, batch_id, not include_virtual, not include_zero)

    def work(repo: QueryRepo) -> BalanceReport:
        rows = repo.balances(tenant_id, f, group, after, limit + 1)
        on_hand, reserved, count = repo.balance_totals(tenant_id, f)

        def build(chunk: Sequence[Any]) -> list[BalanceLine]:
            items = repo.item_codes(tenant_id, {r[0] for r in chunk})
            locs = repo.location_codes(tenant_id, {r[1] for r in chunk}) \
                if group != "item" else {}
            bats = repo.batch_rows(tenant_id, {r[2] for r in chunk if r[2]}) \
                if group == "batch" else {}
            out = []
            for r in chunk:
                loc = r[1] if group != "item" else None
                bid = (r[2] or None) if group == "batch" else None
                b = bats.get(bid) if bid else None
                out.append(BalanceLine(
                    r[0], items.get(r[0], ""), loc, locs.get(loc) if loc else None, bid,
                    b.code if b else None, b.expiry_date if b else None,
                    r[-2] or ZERO, r[-1] or ZERO))
            return out

        page = page_of(rows, limit, lambda r: tuple(r[:-2]), build)
        return BalanceReport(page, Totals(on_hand, reserved, count))

    return read_with(store, work)


@dataclass(frozen=True, slots=True)
class MovementLine:
    id: int
    item_id: int
    batch_id: int | None
    from_location_id: int
    to_location_id: int
    qty: Decimal
    unit_cost: Decimal | None
    value: Decimal | None
    document_id: int
    document_version: int
    rule: str
    event: str
    actor_id: int
    key: str
    posted_at: datetime
    reversal_of: int | None


def movements(store: Store, tenant_id: int, *, item_id: int | None = None,
              location_id: int | None = None, batch_id: int | None = None,
              document_id: int | None = None, event: str | None = None,
              since: datetime | None = None, until: datetime | None = None,
              after: int | None = None, limit: int = 50) -> Page[MovementLine]:
    return read_with(store, lambda repo: page_of(
        repo.movements(tenant_id, item_id=item_id, location_id=location_id, batch_id=batch_id,
                       document_id=document_id, event=event, since=since, until=until,
                       after=after, limit=limit + 1),
        limit, lambda m: m.id,
        lambda rows: [MovementLine(m.id, m.item_id, m.batch_id, m.from_location_id,
                                   m.to_location_id, m.qty, m.unit_cost, m.value,
                                   m.document_id, m.document_version, m.rule, m.event,
                                   m.actor_id, m.key, m.posted_at, m.reversal_of)
                      for m in rows]))


@dataclass(frozen=True, slots=True)
class ExpiringBatch:
    batch_id: int
    batch_code: str
    item_id: int
    item_code: str
    location_id: int
    location_code: str
    expiry_date: date
    days_left: int
    on_hand: Decimal
    reserved: Decimal

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def expiring(store: Store, tenant_id: int, today: date, *, within_days: int = 30,
             location_ids: Collection[int] | None = None, item_id: int | None = None,
             after: tuple[int, int] | None = None, limit: int = 50) -> Page[ExpiringBatch]:
    """Batches with stock at internal locations expiring within ``within_days`` of
    ``today`` (expired ones included: negative ``days_left``)."""
    until = today + timedelta(days=within_days)

    def work(repo: QueryRepo) -> Page[ExpiringBatch]:
        rows = repo.expiring(tenant_id, until, location_ids=location_ids, item_id=item_id,
                             after=after, limit=limit + 1)

        def build(chunk: Sequence[Any]) -> list[ExpiringBatch]:
            items = repo.item_codes(tenant_id, {r.item_id for r in chunk})
            locs = repo.location_codes(tenant_id, {r.location_id for r in chunk})
            return [ExpiringBatch(r.id, r.code, r.item_id, items.get(r.item_id, ""),
                                  r.location_id, locs.get(r.location_id, ""), r.expiry_date,
                                  (r.expiry_date - today).days, r.on_hand, r.reserved)
                    for r in chunk]

        return page_of(rows, limit, lambda r: (r.id, r.location_id), build)

    return read_with(store, work)


@dataclass(frozen=True, slots=True)
class ReorderLine:
    item_id: int
    item_code: str
    name: str
    reorder_point: Decimal
    safety_stock: Decimal
    on_hand: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def shortfall(self) -> Decimal:
        return self.reorder_point - self.available


def below_reorder(store: Store, tenant_id: int, *, after: int | None = None,
                  limit: int = 50) -> Page[ReorderLine]:
    return read_with(store, lambda repo: page_of(
        repo.below_reorder(tenant_id, after=after, limit=limit + 1), limit,
        lambda r: r[0].id,
        lambda rows: [ReorderLine(i.id, i.code, i.name, i.reorder_point, i.safety_stock,
                                  oh or ZERO, rs or ZERO) for i, oh, rs in rows]))


@dataclass(frozen=True, slots=True)
class LocationLock:
    """A location an open stocktake (count) locks: other postings there answer
    ``location_locked`` until the count closes."""

    count_id: int
    location_id: int
    location_code: str
    location_name: str
    since: datetime
    document_id: int | None  # the stocktake document that opened it, if any


def location_locks(store: Store, tenant_id: int, *, after: int | None = None,
                   limit: int = 50) -> Page[LocationLock]:
    """The locations locked now, by the counts open at them, oldest first."""
    return read_with(store, lambda repo: page_of(
        repo.location_locks(tenant_id, after=after, limit=limit + 1), limit,
        lambda r: r.id,
        lambda rows: [LocationLock(*row) for row in rows]))


@dataclass(frozen=True, slots=True)
class ValuationLine:
    item_id: int
    item_code: str
    name: str
    method: str
    qty: Decimal
    value: Decimal
    average_cost: Decimal


@dataclass(frozen=True, slots=True)
class ValuationReport:
    page: Page[ValuationLine]
    total_value: Decimal


def _valued(repo: QueryRepo, tenant_id: int, rows: Sequence[Any]) -> list[ValuationLine]:
    layers = repo.cost_layers(tenant_id, [r[0].item_id for r in rows])
    out = []
    for state_row, code, name, method in rows:
        state = val.ValuationState(
            Valuation(method),
            tuple(val.Layer(s, q, v) for s, q, v in layers.get(state_row.item_id, [])),
            state_row.short_qty, state_row.short_value, state_row.last_unit_cost)
        out.append(ValuationLine(state_row.item_id, code, name, method, state.qty,
                                 state.value, state.average_cost))
    return out


def valuation(store: Store, tenant_id: int, *, item_ids: Collection[int] | None = None,
              after: int | None = None, limit: int = 50) -> ValuationReport:
    """Quantity and value of stock per item (pooled over valued locations), with the
    total value over every item the filter selects."""
    def work(repo: QueryRepo) -> ValuationReport:
        page = page_of(repo.valuation(tenant_id, item_ids=item_ids, after=after,
                                    limit=limit + 1), limit, lambda r: r[0].item_id,
                     lambda rows: _valued(repo, tenant_id, rows))
        everything = _valued(repo, tenant_id, repo.valuation(
            tenant_id, item_ids=item_ids, after=None, limit=None))
        return ValuationReport(page, sum((v.value for v in everything), ZERO))

    return read_with(store, work)
