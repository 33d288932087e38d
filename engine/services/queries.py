"""Read use cases behind the REST API: lists and single objects (stock reports are
in :mod:`.stock_reports`).

Every function takes the tenant from its caller's credential, reads in one
transaction and returns frozen values. Lists page by keyset: pass the ``next`` of
the previous :class:`Page` as ``after``. An id of another tenant is simply not
found (:class:`~engine.errors.NotFound`), never told apart from a missing one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from engine.errors import NotFound
from engine.ledger.model import BomKind, LocationKind
from engine.services import stock
from engine.store import ledger_tables as t
from engine.store.db import Store
from engine.store.query_repo import QueryRepo
from engine.store.uow import transaction

T = TypeVar("T")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list; ``next`` is the keyset position of the following page."""

    items: tuple[T, ...]
    next: Any = None


def page_of(rows: Sequence[Any], limit: int, key: Callable[[Any], Any],
            build: Callable[[Sequence[Any]], Sequence[T]]) -> Page[T]:
    """A page of ``rows`` read with ``limit + 1``: the extra row only says there is more."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(tuple(build(rows)), key(rows[-1]) if more and rows else None)


def read_with(store: Store, work: Callable[[QueryRepo], T]) -> T:
    """``work`` on a query repository, in one read-only transaction."""
    return transaction(store, lambda uow: work(QueryRepo(uow.session)), write=False)


def _missing(what: str, ident: object) -> NotFound:
    return NotFound.of(f"{what}.not_found", f"No {what} {ident}", f"找不到 {what} {ident}",
                       path=f"{what}_id")


def _only(page: Page[T], what: str, ident: object) -> T:
    """The one object a list filtered by id found; else ``<what>.not_found`` (404), as
    for another tenant's id."""
    if not page.items:
        raise _missing(what, ident)
    return page.items[0]


# identity ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Member:
    id: int
    username: str
    display_name: str
    email: str | None
    is_active: bool
    is_admin: bool
    status: str
    department_id: int | None
    department: str | None
    roles: tuple[str, ...]
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True, slots=True)
class RoleInfo:
    id: int
    key: str
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DepartmentInfo:
    id: int
    code: str
    labels: Mapping[str, str]
    parent_id: int | None
    head_user_id: int | None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    user_id: int
    username: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def members(store: Store, tenant_id: int, *, q: str | None = None, role: str | None = None,
            department_id: int | None = None, admin: bool | None = None,
            after: int | None = None, limit: int = 50, user_id: int | None = None
            ) -> Page[Member]:
    def work(repo: QueryRepo) -> Page[Member]:
        rows = repo.members(tenant_id, user_id=user_id, q=q, role=role,
                            department_id=department_id, admin=admin, after=after,
                            limit=limit + 1)

        def build(chunk: Sequence[Any]) -> list[Member]:
            roles = repo.role_keys_of(tenant_id, [m.id for _, m in chunk])
            depts = repo.department_codes(tenant_id) if chunk else {}
            return [Member(u.id, u.username, u.display_name, u.email, u.is_active, m.is_admin,
                           m.status, m.department_id, depts.get(m.department_id),
                           tuple(roles.get(m.id, ())), m.created_at, u.last_login_at)
                    for u, m in chunk]

        return page_of(rows, limit, lambda r: r[0].id, build)

    return read_with(store, work)


def member(store: Store, tenant_id: int, user_id: int) -> Member:
    return _only(members(store, tenant_id, user_id=user_id, limit=1), "user", user_id)


def roles(store: Store, tenant_id: int, *, after: int | None = None, limit: int = 50
          ) -> Page[RoleInfo]:
    return read_with(store, lambda repo: page_of(
        repo.roles(tenant_id, after=after, limit=limit + 1), limit, lambda r: r.id,
        lambda rows: [RoleInfo(r.id, r.key, dict(r.labels)) for r in rows]))


def departments(store: Store, tenant_id: int, *, parent_id: int | None = None,
                after: int | None = None, limit: int = 50, department_id: int | None = None
                ) -> Page[DepartmentInfo]:
    return read_with(store, lambda repo: page_of(
        repo.departments(tenant_id, department_id=department_id, parent_id=parent_id,
                         after=after, limit=limit + 1),
        limit, lambda d: d.id,
        lambda rows: [DepartmentInfo(d.id, d.code, dict(d.labels), d.parent_id,
                                     d.head_user_id) for d in rows]))


def department(store: Store, tenant_id: int, department_id: int) -> DepartmentInfo:
    return _only(departments(store, tenant_id, department_id=department_id, limit=1),
                 "department", department_id)


def tokens(store: Store, tenant_id: int, *, user_id: int | None = None,
           include_revoked: bool = True, after: int | None = None, limit: int = 50,
           token_id: int | None = None) -> Page[TokenInfo]:
    def work(repo: QueryRepo) -> Page[TokenInfo]:
        rows = repo.tokens(tenant_id, user_id=user_id, token_id=token_id,
                           include_revoked=include_revoked, after=after, limit=limit + 1)

        def build(chunk: Sequence[Any]) -> list[TokenInfo]:
            names = repo.usernames({r.user_id for r in chunk})
            return [TokenInfo(r.id, r.name, r.prefix, r.user_id, names.get(r.user_id, ""),
                              r.created_at, r.expires_at, r.revoked_at, r.last_used_at)
                    for r in chunk]

        return page_of(rows, limit, lambda r: r.id, build)

    return read_with(store, work)


def token(store: Store, tenant_id: int, token_id: int) -> TokenInfo:
    return _only(tokens(store, tenant_id, token_id=token_id, limit=1), "token", token_id)


# master data -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ItemInfo:
    id: int
    code: str
    name: str
    base_unit: str
    tracking: str
    valuation: str
    reorder_point: Decimal
    safety_stock: Decimal
    allow_negative: bool
    attributes: Mapping[str, Any]
    units: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class LocationInfo:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    allow_negative: bool
    internal: bool


@dataclass(frozen=True, slots=True)
class LocationNode:
    location: LocationInfo
    children: tuple[LocationNode, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchInfo:
    id: int
    item_id: int
    item_code: str
    code: str
    production_date: date | None
    expiry_date: date | None


@dataclass(frozen=True, slots=True)
class BomLineInfo:
    component_id: int
    component_code: str
    qty: Decimal
    unit: str | None
    loss_pct: Decimal
    yield_pct: Decimal
    phantom: bool
    max_depth: int | None


@dataclass(frozen=True, slots=True)
class BomInfo:
    id: int
    item_id: int
    item_code: str
    kind: str
    output_qty: Decimal
    lines: tuple[BomLineInfo, ...]


@dataclass(frozen=True, slots=True)
class ExplodedLine:
    item_id: int
    item_code: str
    qty: Decimal


def _item_info(row: t.Item, units: Sequence[tuple[str, Decimal]]) -> ItemInfo:
    return ItemInfo(row.id, row.code, row.name, row.base_unit, row.tracking, row.valuation,
                    row.reorder_point, row.safety_stock, row.allow_negative,
                    dict(row.attributes or {}), dict(units))


def _location_info(row: t.Location) -> LocationInfo:
    return LocationInfo(row.id, row.code, row.name, row.kind, row.parent_id, row.allow_negative,
                        LocationKind(row.kind).internal)


def items(store: Store, tenant_id: int, *, q: str | None = None, tracking: str | None = None,
          after: int | None = None, limit: int = 50, item_id: int | None = None
          ) -> Page[ItemInfo]:
    def work(repo: QueryRepo) -> Page[ItemInfo]:
        rows = repo.items(tenant_id, item_id=item_id, q=q, tracking=tracking, after=after,
                          limit=limit + 1)

        def build(chunk: Sequence[t.Item]) -> list[ItemInfo]:
            units = repo.units_of(tenant_id, [r.id for r in chunk])
            return [_item_info(r, units.get(r.id, [])) for r in chunk]

        return page_of(rows, limit, lambda r: r.id, build)

    return read_with(store, work)


def item(store: Store, tenant_id: int, item_id: int) -> ItemInfo:
    return _only(items(store, tenant_id, item_id=item_id, limit=1), "item", item_id)


def locations(store: Store, tenant_id: int, *, kind: str | None = None,
              parent_id: int | None = None, after: int | None = None, limit: int = 50,
              location_id: int | None = None) -> Page[LocationInfo]:
    return read_with(store, lambda repo: page_of(
        repo.locations(tenant_id, location_id=location_id, kind=kind, parent_id=parent_id,
                       after=after, limit=limit + 1),
        limit, lambda r: r.id, lambda rows: [_location_info(r) for r in rows]))


def location(store: Store, tenant_id: int, location_id: int) -> LocationInfo:
    return _only(locations(store, tenant_id, location_id=location_id, limit=1),
                 "location", location_id)


def location_tree(store: Store, tenant_id: int, root_id: int | None = None
                  ) -> tuple[LocationNode, ...]:
    """The locations as a forest (roots first, children by id); below ``root_id`` only
    when given."""
    rows = read_with(store, lambda repo: repo.locations(tenant_id, limit=None))
    infos = {r.id: _location_info(r) for r in rows}
    if root_id is not None and root_id not in infos:
        raise _missing("location", root_id)
    children: dict[int | None, list[int]] = {}
    for info in infos.values():
        parent = info.parent_id if info.parent_id in infos else None
        children.setdefault(parent, []).append(info.id)

    def node(location_id: int, seen: frozenset[int]) -> LocationNode:
        kids = [k for k in children.get(location_id, []) if k not in seen]
        return LocationNode(infos[location_id],
                            tuple(node(k, seen | {k}) for k in sorted(kids)))

    roots = [root_id] if root_id is not None else sorted(children.get(None, []))
    return tuple(node(r, frozenset({r})) for r in roots)


def subtree_ids(store: Store, tenant_id: int, root_id: int) -> set[int]:
    """``root_id`` and every location below it (NotFound for another tenant's id)."""
    out: set[int] = set()
    stack = list(location_tree(store, tenant_id, root_id))
    while stack:
        current = stack.pop()
        out.add(current.location.id)
        stack.extend(current.children)
    return out


def batches(store: Store, tenant_id: int, *, item_id: int | None = None,
            code: str | None = None, expires_before: date | None = None,
            after: int | None = None, limit: int = 50, batch_id: int | None = None
            ) -> Page[BatchInfo]:
    return read_with(store, lambda repo: page_of(
        repo.batches(tenant_id, batch_id=batch_id, item_id=item_id, code=code,
                     expires_before=expires_before, after=after, limit=limit + 1),
        limit, lambda r: r[0].id,
        lambda rows: [BatchInfo(b.id, b.item_id, code, b.code, b.production_date,
                                b.expiry_date) for b, code in rows]))


def batch(store: Store, tenant_id: int, batch_id: int) -> BatchInfo:
    return _only(batches(store, tenant_id, batch_id=batch_id, limit=1), "batch", batch_id)


def boms(store: Store, tenant_id: int, *, item_id: int | None = None, kind: str | None = None,
         after: int | None = None, limit: int = 50) -> Page[BomInfo]:
    def work(repo: QueryRepo) -> Page[BomInfo]:
        rows = repo.boms(tenant_id, item_id=item_id, kind=kind, after=after, limit=limit + 1)

        def build(chunk: Sequence[t.Bom]) -> list[BomInfo]:
            lines = repo.bom_lines(tenant_id, [b.id for b in chunk])
            codes = repo.item_codes(tenant_id, {b.item_id for b in chunk}
                                    | {ln.component_id for ln in lines})
            out = []
            for b in chunk:
                mine = tuple(BomLineInfo(ln.component_id, codes.get(ln.component_id, ""),
                                         ln.qty, ln.unit, ln.loss_pct, ln.yield_pct,
                                         ln.phantom, ln.max_depth)
                             for ln in lines if ln.bom_id == b.id)
                out.append(BomInfo(b.id, b.item_id, codes.get(b.item_id, ""), b.kind,
                                   b.output_qty, mine))
            return out

        return page_of(rows, limit, lambda r: r.id, build)

    return read_with(store, work)


def bom(store: Store, tenant_id: int, item_id: int, kind: BomKind) -> BomInfo:
    found = boms(store, tenant_id, item_id=item_id, kind=kind.value, limit=1).items
    if not found:
        raise NotFound.of(f"{kind.value}.not_found", f"Item {item_id} has no {kind.value}",
                          f"物料 {item_id} 没有{'配方' if kind is BomKind.RECIPE else '物料清单'}",
                          path="item_id")
    return found[0]


def explode(store: Store, tenant_id: int, item_id: int, qty: Decimal, *,
            kind: BomKind = BomKind.BOM, depth: int | None = None) -> tuple[ExplodedLine, ...]:
    """What ``qty`` of an item needs through its BOM or recipe (a preview; nothing posts)."""
    code = item(store, tenant_id, item_id).code
    parts = stock.explode_item(store, tenant_id, code, qty, kind=kind, depth=depth)
    codes = read_with(store, lambda repo: repo.item_codes(tenant_id, {p.item_id for p in parts}))
    return tuple(ExplodedLine(p.item_id, codes.get(p.item_id, ""), p.qty) for p in parts)


@dataclass(frozen=True, slots=True)
class SaleRefs:
    """Codes a POS sends, resolved to ids (missing codes are absent)."""

    items: Mapping[str, int]
    locations: Mapping[str, int]
    batches: Mapping[tuple[int, str], int] = field(default_factory=dict)


def resolve_codes(store: Store, tenant_id: int, item_codes: Collection[str],
                  location_codes: Collection[str], batch_codes: Collection[tuple[str, str]] = ()
                  ) -> SaleRefs:
    """Ids of the tenant's items, locations and (item code, batch code) pairs."""
    def work(repo: QueryRepo) -> SaleRefs:
        item_ids = repo.item_ids(tenant_id, set(item_codes) | {i for i, _ in batch_codes})
        pairs = {(item_ids[i], b) for i, b in batch_codes if i in item_ids}
        return SaleRefs(item_ids, repo.location_ids(tenant_id, set(location_codes)),
                        repo.batch_ids(tenant_id, pairs))

    return read_with(store, work)


# audit -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AuditLine:
    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    client_addr: str | None
    request_id: str | None
    object_type: str
    object_id: str
    action: str
    detail: Mapping[str, Any]
    hash: str


def audit_events(store: Store, tenant_id: int, *, object_type: str | None = None,
                 object_id: str | None = None, action: str | None = None,
                 actor_id: int | None = None, since: datetime | None = None,
                 until: datetime | None = None, before: int | None = None,
                 limit: int = 50) -> Page[AuditLine]:
    """The tenant's audit events, newest first (``before``: a sequence number)."""
    return read_with(store, lambda repo: page_of(
        repo.audit_events(tenant_id, object_type=object_type, object_id=object_id,
                          action=action, actor_id=actor_id, since=since, until=until,
                          before=before, limit=limit + 1),
        limit, lambda e: e.seq,
        lambda rows: [AuditLine(e.seq, e.occurred_at, e.actor_id, e.actor_label,
                                e.client_addr, e.request_id, e.object_type, e.object_id,
                                e.action, dict(e.detail or {}), e.hash) for e in rows]))

