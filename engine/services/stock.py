"""Ledger master data: items, units, locations, batches, BOMs and recipes, counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from engine.errors import Conflict, NotFound, ValidationError
from engine.ledger.bom import Component, explode, find_cycle
from engine.ledger.model import Bom, BomKind, BomLine, LocationKind, Tracking, Valuation
from engine.ledger.units import UnitTable
from engine.services.context import SYSTEM, CallContext, audit
from engine.store import ledger_tables as t
from engine.store.db import Store
from engine.store.ledger_repo import LedgerRepo
from engine.store.uow import UnitOfWork, transaction


@dataclass(frozen=True, slots=True)
class LineSpec:
    """One BOM or recipe line as an admin writes it (codes, not ids)."""

    component: str
    qty: Decimal
    unit: str | None = None
    loss_pct: Decimal = Decimal(0)
    yield_pct: Decimal = Decimal(100)
    phantom: bool = False
    max_depth: int | None = None


def _conflict(what: str, code: str) -> Conflict:
    return Conflict.of(f"{what}.exists", f"{what.capitalize()} '{code}' already exists",
                       f"编码 '{code}' 已存在", path="code")


def _missing(what: str, code: str, path: str) -> NotFound:
    return NotFound.of(f"{what}.not_found", f"No {what} '{code}'", f"找不到 '{code}'", path=path)


def _item(repo: LedgerRepo, tenant_id: int, code: str, path: str = "item") -> t.Item:
    row = repo.item_by_code(tenant_id, code)
    if row is None:
        raise _missing("item", code, path)
    return row


def _location(repo: LedgerRepo, tenant_id: int, code: str, path: str = "location") -> t.Location:
    row = repo.location_by_code(tenant_id, code)
    if row is None:
        raise _missing("location", code, path)
    return row


def create_item(store: Store, tenant_id: int, code: str, name: str, base_unit: str, *,
                ctx: CallContext = SYSTEM, **options: Any) -> int:
    """Create an item; ``units`` maps other units to their size in the base unit.

    Options: tracking, valuation, reorder_point, safety_stock, allow_negative,
    attributes, units (see :func:`create_item_in`)."""
    def work(uow: UnitOfWork) -> int:
        item_id = create_item_in(uow, tenant_id, code, name, base_unit, **options)
        audit(uow, ctx, tenant_id=tenant_id, object_type="item", object_id=item_id,
              action="create", after={"code": code, "name": name, "unit": base_unit})
        return item_id

    return transaction(store, work)


def create_item_in(uow: UnitOfWork, tenant_id: int, code: str, name: str, base_unit: str, *,
                   tracking: Tracking = Tracking.NONE, valuation: Valuation = Valuation.FIFO,
                   reorder_point: Decimal = Decimal(0), safety_stock: Decimal = Decimal(0),
                   allow_negative: bool = False, attributes: Mapping[str, Any] | None = None,
                   units: Mapping[str, Decimal] | None = None) -> int:
    """:func:`create_item` inside an open transaction, without its audit event."""
    repo = LedgerRepo(uow.session)
    if repo.item_by_code(tenant_id, code) is not None:
        raise _conflict("item", code)
    row = t.Item(tenant_id=tenant_id, code=code, name=name, base_unit=base_unit,
                 tracking=tracking.value, valuation=valuation.value,
                 reorder_point=reorder_point, safety_stock=safety_stock,
                 allow_negative=allow_negative, attributes=dict(attributes or {}))
    repo.add(row)
    for unit, factor in (units or {}).items():
        if factor <= 0:
            raise ValidationError.of("item.bad_unit", f"Unit '{unit}' needs a positive size",
                                     f"单位 '{unit}' 的换算系数必须为正数",
                                     path=f"units.{unit}")
        repo.add(t.UnitConversion(tenant_id=tenant_id, item_id=row.id, unit=unit,
                                  factor=factor))
    return row.id


def create_location(store: Store, tenant_id: int, code: str, name: str, kind: LocationKind, *,
                    parent: str | None = None, allow_negative: bool = False,
                    ctx: CallContext = SYSTEM) -> int:
    def work(uow: UnitOfWork) -> int:
        location_id = create_location_in(uow, tenant_id, code, name, kind, parent=parent,
                                         allow_negative=allow_negative)
        audit(uow, ctx, tenant_id=tenant_id, object_type="location", object_id=location_id,
              action="create", after={"code": code, "kind": kind.value, "parent": parent})
        return location_id

    return transaction(store, work)


def create_location_in(uow: UnitOfWork, tenant_id: int, code: str, name: str,
                       kind: LocationKind, *, parent: str | None = None,
                       allow_negative: bool = False) -> int:
    """:func:`create_location` inside an open transaction, without its audit event."""
    repo = LedgerRepo(uow.session)
    if repo.location_by_code(tenant_id, code) is not None:
        raise _conflict("location", code)
    parent_row = _location(repo, tenant_id, parent, "parent") if parent else None
    if parent_row is not None and not LocationKind(parent_row.kind).internal:
        raise ValidationError.of(
            "location.bad_parent", f"'{parent}' is a virtual location and cannot hold others",
            f"'{parent}' 是虚拟库位，不能包含下级库位", path="parent")
    row = t.Location(tenant_id=tenant_id, code=code, name=name, kind=kind.value,
                     parent_id=parent_row.id if parent_row else None,
                     allow_negative=allow_negative)
    repo.add(row)
    return row.id


def ensure_batch(store: Store, tenant_id: int, item_code: str, code: str, *,
                 expiry: date | None = None, produced: date | None = None,
                 ctx: CallContext = SYSTEM) -> int:
    """The batch's id, creating it the first time (a receipt names new batches)."""
    def work(uow: UnitOfWork) -> int:
        repo = LedgerRepo(uow.session)
        item = _item(repo, tenant_id, item_code)
        row = repo.batch_by_code(tenant_id, item.id, code)
        if row is not None:
            if expiry is not None and row.expiry_date not in (None, expiry):
                raise Conflict.of("batch.expiry_differs",
                                  f"Batch '{code}' already expires on {row.expiry_date}",
                                  f"批次 '{code}' 的到期日已是 {row.expiry_date}", path="expiry")
            return row.id
        row = t.Batch(tenant_id=tenant_id, item_id=item.id, code=code, expiry_date=expiry,
                      production_date=produced)
        repo.add(row)
        audit(uow, ctx, tenant_id=tenant_id, object_type="batch", object_id=row.id,
              action="create", after={"item": item_code, "code": code, "expiry": expiry})
        return row.id

    return transaction(store, work)


def set_bom(store: Store, tenant_id: int, item_code: str, lines: Sequence[LineSpec], *,
            kind: BomKind = BomKind.BOM, output_qty: Decimal = Decimal(1),
            ctx: CallContext = SYSTEM) -> int:
    """Create or replace an item's BOM (or recipe); a cycle is refused with its path."""
    def work(uow: UnitOfWork) -> int:
        bom_id = set_bom_in(uow, tenant_id, item_code, lines, kind=kind, output_qty=output_qty)
        audit(uow, ctx, tenant_id=tenant_id, object_type=kind.value, object_id=bom_id,
              action="set", after={"item": item_code, "lines": [ln.component for ln in lines]})
        return bom_id

    return transaction(store, work)


def set_bom_in(uow: UnitOfWork, tenant_id: int, item_code: str, lines: Sequence[LineSpec], *,
               kind: BomKind = BomKind.BOM, output_qty: Decimal = Decimal(1)) -> int:
    """:func:`set_bom` inside an open transaction, without its audit event."""
    repo = LedgerRepo(uow.session)
    item = _item(repo, tenant_id, item_code)
    ids = [_item(repo, tenant_id, ln.component, f"lines[{n}].component").id
           for n, ln in enumerate(lines)]
    boms = repo.boms(tenant_id, kind.value)
    boms[item.id] = Bom(item.id, tuple(BomLine(i, ln.qty)
                                       for i, ln in zip(ids, lines, strict=True)),
                        output_qty, kind)
    cycle = find_cycle(boms)
    if cycle is not None:
        codes = " → ".join(_codes(uow, tenant_id, cycle))
        raise ValidationError.of("bom.cycle", f"The {kind.value} refers to itself: {codes}",
                                 f"物料清单存在循环引用：{codes}", path="lines")
    header = repo.bom_row(tenant_id, item.id, kind.value)
    if header is not None:
        repo.delete_bom_lines(header.id)
        header.output_qty = output_qty
    else:
        header = t.Bom(tenant_id=tenant_id, item_id=item.id, kind=kind.value,
                       output_qty=output_qty)
    repo.add(header)
    for n, (component_id, ln) in enumerate(zip(ids, lines, strict=True)):
        repo.add(t.BomLine(
            tenant_id=tenant_id, bom_id=header.id, position=n, component_id=component_id,
            qty=ln.qty, unit=ln.unit, loss_pct=ln.loss_pct, yield_pct=ln.yield_pct,
            phantom=ln.phantom, max_depth=ln.max_depth))
    return header.id


def _codes(uow: UnitOfWork, tenant_id: int, ids: Sequence[int]) -> list[str]:
    items = LedgerRepo(uow.session).items(tenant_id, ids)
    return [items[i].code if i in items else str(i) for i in ids]


def explode_item(store: Store, tenant_id: int, item_code: str, qty: Decimal, *,
                 kind: BomKind = BomKind.BOM, depth: int | None = None) -> list[Component]:
    """Components for ``qty`` of an item, through its BOM or recipe."""
    def work(uow: UnitOfWork) -> list[Component]:
        repo = LedgerRepo(uow.session)
        item = _item(repo, tenant_id, item_code)
        boms = repo.boms(tenant_id, kind.value)
        ids = {i for b in boms.values() for i in (b.item_id, *(ln.component_id for ln in b.lines))}
        items = repo.items(tenant_id, ids | {item.id})
        result = explode(item.id, qty, boms, items, depth=depth,
                         units=UnitTable.of(repo.unit_conversions(tenant_id)))
        if not isinstance(result, list):
            raise ValidationError(result)
        return result

    return transaction(store, work, write=False)
