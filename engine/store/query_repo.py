"""Read-only queries for lists and reports (the REST API's reads).

Every query names its tenant first and pages by keyset (``after`` the last key
seen, ``limit`` rows), so a page costs the same wherever it starts. Nothing here
locks or writes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from engine.ledger.model import INTERNAL_KINDS, LocationKind
from engine.store import ledger_tables as t
from engine.store.models import (
    ApiToken,
    AuditEvent,
    Department,
    Membership,
    MembershipRole,
    Role,
    User,
)

INTERNAL = [k.value for k in INTERNAL_KINDS]
VALUED = [*INTERNAL, LocationKind.TRANSIT.value]
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class BalanceFilter:
    item_ids: Collection[int] | None = None
    location_ids: Collection[int] | None = None
    batch_id: int | None = None
    internal_only: bool = True
    nonzero: bool = True


class QueryRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _pairs(self, query: Any) -> dict[Any, Any]:
        return {a: b for a, b in self.session.execute(query).all()}

    # identity ------------------------------------------------------------------------
    def members(self, tenant_id: int, *, user_id: int | None = None, q: str | None = None,
                role: str | None = None, department_id: int | None = None,
                admin: bool | None = None, after: int | None = None,
                limit: int = 50) -> list[Any]:
        query = (select(User, Membership).join(Membership, Membership.user_id == User.id)
                 .where(Membership.tenant_id == tenant_id).order_by(User.id).limit(limit))
        if user_id is not None:
            query = query.where(User.id == user_id)
        if q:
            query = query.where(or_(User.username.icontains(q, autoescape=True),
                                    User.display_name.icontains(q, autoescape=True)))
        if role is not None:
            query = query.where(Membership.id.in_(
                select(MembershipRole.membership_id).join(Role, Role.id == MembershipRole.role_id)
                .where(MembershipRole.tenant_id == tenant_id, Role.key == role)))
        if department_id is not None:
            query = query.where(Membership.department_id == department_id)
        if admin is not None:
            query = query.where(Membership.is_admin == admin)
        if after is not None:
            query = query.where(User.id > after)
        return list(self.session.execute(query).all())

    def role_keys_of(self, tenant_id: int, membership_ids: Collection[int]
                     ) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        if not membership_ids:
            return out
        found = self.session.execute(
            select(MembershipRole.membership_id, Role.key)
            .join(Role, Role.id == MembershipRole.role_id)
            .where(MembershipRole.tenant_id == tenant_id,
                   MembershipRole.membership_id.in_(list(membership_ids)))
            .order_by(Role.key))
        for membership_id, key in found:
            out.setdefault(membership_id, []).append(key)
        return out

    def department_codes(self, tenant_id: int) -> dict[int, str]:
        return self._pairs(
            select(Department.id, Department.code).where(Department.tenant_id == tenant_id)
        )

    def roles(self, tenant_id: int, *, after: int | None = None, limit: int = 50) -> list[Role]:
        query = select(Role).where(Role.tenant_id == tenant_id).order_by(Role.id).limit(limit)
        if after is not None:
            query = query.where(Role.id > after)
        return list(self.session.execute(query).scalars())

    def departments(self, tenant_id: int, *, department_id: int | None = None,
                    parent_id: int | None = None, after: int | None = None,
                    limit: int = 50) -> list[Department]:
        query = (select(Department).where(Department.tenant_id == tenant_id)
                 .order_by(Department.id).limit(limit))
        if department_id is not None:
            query = query.where(Department.id == department_id)
        if parent_id is not None:
            query = query.where(Department.parent_id == parent_id)
        if after is not None:
            query = query.where(Department.id > after)
        return list(self.session.execute(query).scalars())

    def usernames(self, user_ids: Collection[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        return self._pairs(
            select(User.id, User.username).where(User.id.in_(list(user_ids))))

    def tokens(self, tenant_id: int, *, user_id: int | None = None,
               token_id: int | None = None, include_revoked: bool = True,
               after: int | None = None, limit: int = 50) -> list[ApiToken]:
        query = (select(ApiToken).where(ApiToken.tenant_id == tenant_id)
                 .order_by(ApiToken.id).limit(limit))
        if user_id is not None:
            query = query.where(ApiToken.user_id == user_id)
        if token_id is not None:
            query = query.where(ApiToken.id == token_id)
        if not include_revoked:
            query = query.where(ApiToken.revoked_at.is_(None))
        if after is not None:
            query = query.where(ApiToken.id > after)
        return list(self.session.execute(query).scalars())

    # master data ---------------------------------------------------------------------
    def items(self, tenant_id: int, *, item_id: int | None = None, q: str | None = None,
              tracking: str | None = None, after: int | None = None,
              limit: int = 50) -> list[t.Item]:
        query = select(t.Item).where(t.Item.tenant_id == tenant_id).order_by(t.Item.id)
        if item_id is not None:
            query = query.where(t.Item.id == item_id)
        if q:
            query = query.where(or_(t.Item.code.icontains(q, autoescape=True),
                                    t.Item.name.icontains(q, autoescape=True)))
        if tracking is not None:
            query = query.where(t.Item.tracking == tracking)
        if after is not None:
            query = query.where(t.Item.id > after)
        return list(self.session.execute(query.limit(limit)).scalars())

    def units_of(self, tenant_id: int, item_ids: Collection[int]
                 ) -> dict[int, list[tuple[str, Decimal]]]:
        out: dict[int, list[tuple[str, Decimal]]] = {}
        if not item_ids:
            return out
        for item_id, unit, factor in self.session.execute(
            select(t.UnitConversion.item_id, t.UnitConversion.unit, t.UnitConversion.factor)
            .where(t.UnitConversion.tenant_id == tenant_id,
                   t.UnitConversion.item_id.in_(list(item_ids)))
            .order_by(t.UnitConversion.unit)):
            if item_id is not None:
                out.setdefault(item_id, []).append((unit, factor))
        return out

    def item_codes(self, tenant_id: int, ids: Collection[int]) -> dict[int, str]:
        if not ids:
            return {}
        return self._pairs(select(t.Item.id, t.Item.code).where(
            t.Item.tenant_id == tenant_id, t.Item.id.in_(list(ids))))

    def item_ids(self, tenant_id: int, codes: Collection[str]) -> dict[str, int]:
        if not codes:
            return {}
        return self._pairs(select(t.Item.code, t.Item.id).where(
            t.Item.tenant_id == tenant_id, t.Item.code.in_(list(codes))))

    def location_ids(self, tenant_id: int, codes: Collection[str]) -> dict[str, int]:
        if not codes:
            return {}
        return self._pairs(select(t.Location.code, t.Location.id).where(
            t.Location.tenant_id == tenant_id, t.Location.code.in_(list(codes))))

    def batch_ids(self, tenant_id: int, pairs: Collection[tuple[int, str]]
                  ) -> dict[tuple[int, str], int]:
        if not pairs:
            return {}
        found = self.session.execute(select(t.Batch.item_id, t.Batch.code, t.Batch.id).where(
            t.Batch.tenant_id == tenant_id,
            t.Batch.code.in_(sorted({code for _, code in pairs}))))
        return {(i, c): b for i, c, b in found if (i, c) in pairs}

    def locations(self, tenant_id: int, *, location_id: int | None = None,
                  kind: str | None = None, parent_id: int | None = None,
                  after: int | None = None, limit: int | None = 50) -> list[t.Location]:
        query = select(t.Location).where(t.Location.tenant_id == tenant_id) \
            .order_by(t.Location.id)
        if location_id is not None:
            query = query.where(t.Location.id == location_id)
        if kind is not None:
            query = query.where(t.Location.kind == kind)
        if parent_id is not None:
            query = query.where(t.Location.parent_id == parent_id)
        if after is not None:
            query = query.where(t.Location.id > after)
        if limit is not None:
            query = query.limit(limit)
        return list(self.session.execute(query).scalars())

    def batches(self, tenant_id: int, *, batch_id: int | None = None,
                item_id: int | None = None, code: str | None = None,
                expires_before: date | None = None, after: int | None = None,
                limit: int = 50) -> list[Any]:
        query = (select(t.Batch, t.Item.code).join(t.Item, and_(
            t.Item.id == t.Batch.item_id, t.Item.tenant_id == t.Batch.tenant_id))
            .where(t.Batch.tenant_id == tenant_id).order_by(t.Batch.id).limit(limit))
        if batch_id is not None:
            query = query.where(t.Batch.id == batch_id)
        if item_id is not None:
            query = query.where(t.Batch.item_id == item_id)
        if code is not None:
            query = query.where(t.Batch.code == code)
        if expires_before is not None:
            query = query.where(t.Batch.expiry_date <= expires_before)
        if after is not None:
            query = query.where(t.Batch.id > after)
        return list(self.session.execute(query).all())

    def boms(self, tenant_id: int, *, item_id: int | None = None, kind: str | None = None,
             after: int | None = None, limit: int = 50) -> list[t.Bom]:
        query = select(t.Bom).where(t.Bom.tenant_id == tenant_id).order_by(t.Bom.id)
        if item_id is not None:
            query = query.where(t.Bom.item_id == item_id)
        if kind is not None:
            query = query.where(t.Bom.kind == kind)
        if after is not None:
            query = query.where(t.Bom.id > after)
        return list(self.session.execute(query.limit(limit)).scalars())

    def bom_lines(self, tenant_id: int, bom_ids: Collection[int]) -> list[t.BomLine]:
        if not bom_ids:
            return []
        return list(self.session.execute(select(t.BomLine).where(
            t.BomLine.tenant_id == tenant_id, t.BomLine.bom_id.in_(list(bom_ids))
        ).order_by(t.BomLine.bom_id, t.BomLine.position)).scalars())

    # stock ---------------------------------------------------------------------------
    def _balance_filter(self, query: Any, tenant_id: int, f: BalanceFilter) -> Any:
        query = query.where(t.Balance.tenant_id == tenant_id)
        if f.item_ids is not None:
            query = query.where(t.Balance.item_id.in_(list(f.item_ids)))
        if f.location_ids is not None:
            query = query.where(t.Balance.location_id.in_(list(f.location_ids)))
        if f.batch_id is not None:
            query = query.where(t.Balance.batch_key == f.batch_id)
        if f.internal_only:
            query = query.where(t.Location.kind.in_(INTERNAL))
        if f.nonzero:
            query = query.where(or_(t.Balance.on_hand != 0, t.Balance.reserved != 0))
        return query

    def balances(self, tenant_id: int, f: BalanceFilter, group: str,
                 after: tuple[int, ...] | None, limit: int) -> list[Any]:
        """Balances summed per ``group``: "item", "location" (item × location) or
        "batch" (item × location × batch)."""
        keys: list[Any] = [t.Balance.item_id]
        if group in ("location", "batch"):
            keys.append(t.Balance.location_id)
        if group == "batch":
            keys.append(t.Balance.batch_key)
        query: Any = select(*keys, func.sum(t.Balance.on_hand),
                            func.sum(t.Balance.reserved)).join(t.Location, and_(t.Location.id == t.Balance.location_id,
                                   t.Location.tenant_id == t.Balance.tenant_id))
        query = self._balance_filter(query, tenant_id, f).group_by(*keys).order_by(*keys)
        if after is not None:
            query = query.where(tuple_(*keys) > tuple_(*[literal(v) for v in after]))
        return list(self.session.execute(query.limit(limit)).all())

    def balance_totals(self, tenant_id: int, f: BalanceFilter) -> tuple[Decimal, Decimal, int]:
        query: Any = select(func.sum(t.Balance.on_hand), func.sum(t.Balance.reserved),
                            func.count()).join(t.Location, and_(
                           t.Location.id == t.Balance.location_id,
                           t.Location.tenant_id == t.Balance.tenant_id))
        on_hand, reserved, rows = self.session.execute(
            self._balance_filter(query, tenant_id, f)).one()
        return on_hand or ZERO, reserved or ZERO, rows

    def location_codes(self, tenant_id: int, ids: Collection[int]) -> dict[int, str]:
        if not ids:
            return {}
        return self._pairs(select(t.Location.id, t.Location.code).where(
            t.Location.tenant_id == tenant_id, t.Location.id.in_(list(ids))))

    def batch_rows(self, tenant_id: int, ids: Collection[int]) -> dict[int, t.Batch]:
        if not ids:
            return {}
        return {b.id: b for b in self.session.execute(select(t.Batch).where(
            t.Batch.tenant_id == tenant_id, t.Batch.id.in_(list(ids)))).scalars()}

    def movements(self, tenant_id: int, *, item_id: int | None = None,
                  location_id: int | None = None, batch_id: int | None = None,
                  document_id: int | None = None, event: str | None = None,
                  since: datetime | None = None, until: datetime | None = None,
                  after: int | None = None, limit: int = 50) -> list[t.Movement]:
        m = t.Movement
        query = select(m).where(m.tenant_id == tenant_id).order_by(m.id).limit(limit)
        if item_id is not None:
            query = query.where(m.item_id == item_id)
        if location_id is not None:
            query = query.where(or_(m.from_location_id == location_id,
                                    m.to_location_id == location_id))
        if batch_id is not None:
            query = query.where(m.batch_id == batch_id)
        if document_id is not None:
            query = query.where(m.document_id == document_id)
        if event is not None:
            query = query.where(m.event == event)
        if since is not None:
            query = query.where(m.posted_at >= since)
        if until is not None:
            query = query.where(m.posted_at < until)
        if after is not None:
            query = query.where(m.id > after)
        return list(self.session.execute(query).scalars())

    def expiring(self, tenant_id: int, until: date, *, location_ids: Collection[int] | None,
                 item_id: int | None, after: tuple[int, int] | None, limit: int) -> list[Any]:
        """(batch, location, on hand, reserved) of batches at internal locations with
        stock that expire on or before ``until``, soonest first."""
        b = aliased(t.Batch)
        query = (
            select(b.id, b.item_id, b.code, b.expiry_date, t.Balance.location_id,
                   t.Balance.on_hand, t.Balance.reserved)
            .join(b, and_(b.id == t.Balance.batch_key, b.tenant_id == t.Balance.tenant_id))
            .join(t.Location, and_(t.Location.id == t.Balance.location_id,
                                   t.Location.tenant_id == t.Balance.tenant_id))
            .where(t.Balance.tenant_id == tenant_id, t.Balance.on_hand > 0,
                   t.Location.kind.in_(INTERNAL), b.expiry_date.is_not(None),
                   b.expiry_date <= until)
            .order_by(b.id, t.Balance.location_id).limit(limit))
        if location_ids is not None:
            query = query.where(t.Balance.location_id.in_(list(location_ids)))
        if item_id is not None:
            query = query.where(b.item_id == item_id)
        if after is not None:
            query = query.where(tuple_(b.id, t.Balance.location_id)
                                > tuple_(literal(after[0]), literal(after[1])))
        return list(self.session.execute(query).all())

    def below_reorder(self, tenant_id: int, *, after: int | None, limit: int) -> list[Any]:
        """Items with a reorder point whose available internal stock is below it."""
        stock = (select(t.Balance.item_id.label("item_id"),
                        func.sum(t.Balance.on_hand).label("on_hand"),
                        func.sum(t.Balance.reserved).label("reserved"))
                 .join(t.Location, and_(t.Location.id == t.Balance.location_id,
                                        t.Location.tenant_id == t.Balance.tenant_id))
                 .where(t.Balance.tenant_id == tenant_id, t.Location.kind.in_(INTERNAL))
                 .group_by(t.Balance.item_id).subquery())
        on_hand = func.coalesce(stock.c.on_hand, 0)
        reserved = func.coalesce(stock.c.reserved, 0)
        query = (select(t.Item, stock.c.on_hand, stock.c.reserved)
                 .outerjoin(stock, stock.c.item_id == t.Item.id)
                 .where(t.Item.tenant_id == tenant_id, t.Item.reorder_point > 0,
                        on_hand - reserved < t.Item.reorder_point)
                 .order_by(t.Item.id).limit(limit))
        if after is not None:
            query = query.where(t.Item.id > after)
        return list(self.session.execute(query).all())

    def location_locks(self, tenant_id: int, *, after: int | None, limit: int) -> list[Any]:
        """(count id, location id, code, name, opened at, document id) of the counts
        open now — the locations they lock — oldest first."""
        c = t.CountSession
        query = (select(c.id, c.location_id, t.Location.code, t.Location.name, c.opened_at,
                        c.document_id)
                 .join(t.Location, and_(t.Location.id == c.location_id,
                                        t.Location.tenant_id == c.tenant_id))
                 .where(c.tenant_id == tenant_id, c.state == "open")
                 .order_by(c.id).limit(limit))
        if after is not None:
            query = query.where(c.id > after)
        return list(self.session.execute(query).all())

    def valuation(self, tenant_id: int, *, item_ids: Collection[int] | None,
                  after: int | None, limit: int | None) -> list[Any]:
        query = (select(t.ValuationState, t.Item.code, t.Item.name, t.Item.valuation)
                 .join(t.Item, and_(t.Item.id == t.ValuationState.item_id,
                                    t.Item.tenant_id == t.ValuationState.tenant_id))
                 .where(t.ValuationState.tenant_id == tenant_id)
                 .order_by(t.ValuationState.item_id))
        if item_ids is not None:
            query = query.where(t.ValuationState.item_id.in_(list(item_ids)))
        if after is not None:
            query = query.where(t.ValuationState.item_id > after)
        if limit is not None:
            query = query.limit(limit)
        return list(self.session.execute(query).all())

    def cost_layers(self, tenant_id: int, item_ids: Collection[int]
                    ) -> dict[int, list[tuple[int, Decimal, Decimal]]]:
        out: dict[int, list[tuple[int, Decimal, Decimal]]] = {}
        if not item_ids:
            return out
        for item_id, seq, qty, value in self.session.execute(
            select(t.CostLayer.item_id, t.CostLayer.seq, t.CostLayer.qty, t.CostLayer.value)
            .where(t.CostLayer.tenant_id == tenant_id,
                   t.CostLayer.item_id.in_(list(item_ids)))
            .order_by(t.CostLayer.item_id, t.CostLayer.seq)):
            out.setdefault(item_id, []).append((seq, qty, value))
        return out

    def valued_on_hand(self, tenant_id: int, item_ids: Collection[int]) -> dict[int, Decimal]:
        if not item_ids:
            return {}
        found = self.session.execute(
            select(t.Balance.item_id, func.sum(t.Balance.on_hand))
            .join(t.Location, and_(t.Location.id == t.Balance.location_id,
                                   t.Location.tenant_id == t.Balance.tenant_id))
            .where(t.Balance.tenant_id == tenant_id, t.Location.kind.in_(VALUED),
                   t.Balance.item_id.in_(list(item_ids)))
            .group_by(t.Balance.item_id))
        return {i: q or ZERO for i, q in found}

    # audit ---------------------------------------------------------------------------
    def audit_events(self, tenant_id: int, *, object_type: str | None = None,
                     object_id: str | None = None, action: str | None = None,
                     actor_id: int | None = None, since: datetime | None = None,
                     until: datetime | None = None, before: int | None = None,
                     limit: int = 50) -> list[AuditEvent]:
        a = AuditEvent
        query = select(a).where(a.tenant_id == tenant_id).order_by(a.seq.desc()).limit(limit)
        for column, value in ((a.object_type, object_type), (a.object_id, object_id),
                              (a.action, action), (a.actor_id, actor_id)):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(a.occurred_at >= since)
        if until is not None:
            query = query.where(a.occurred_at < until)
        if before is not None:
            query = query.where(a.seq < before)
        return list(self.session.execute(query).scalars())

