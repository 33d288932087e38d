"""What a document action needs from the store, behind the pure protocols: the
approver resolver, branch conditions, record lookups for rules, and the bridge from
rule effects (codes, recipes) to ledger effects (ids, components)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from engine.errors import Problem, Source, problem
from engine.forms import FormScope, FormSpec
from engine.ledger.bom import explode
from engine.ledger.model import BomKind
from engine.ledger.planning import CountLine
from engine.ledger.units import UnitTable
from engine.rules import (
    CompiledExpression,
    CountEffect,
    EvalContext,
    ReleaseEffect,
    StockEffect,
    compile_expression,
)
from engine.rules import Effect as RuleEffect
from engine.rules.effects import LockEffect
from engine.services.posting import Effect
from engine.store import ledger_figures as figures
from engine.store.ledger_repo import LedgerRepo
from engine.store.uow import UnitOfWork


@dataclass
class StoreResolver:
    """:class:`engine.flows.ApproverResolver` over one tenant's identity data."""

    uow: UnitOfWork
    tenant_id: int

    def users_with_role(self, role: str) -> list[str]:
        return self.uow.identity.usernames_with_role(self.tenant_id, role)

    def department_heads(self, submitter: str, levels: int) -> list[str]:
        return self.uow.identity.heads_above(self.tenant_id, submitter, levels)

    def admins(self) -> list[str]:
        return self.uow.identity.admin_usernames(self.tenant_id)

    def field_members(self, document: Mapping[str, Any], field: str) -> list[str]:
        value = document.get(field)
        members = value if isinstance(value, list) else [value] if value else []
        return [str(m) for m in members]

    def plugin(self, name: str, document: Mapping[str, Any], submitter: str) -> list[str]:
        # No approver plugins are registered yet: a plugin rule resolves nobody, and the
        # node's empty-approver policy decides (auto-pass, to the admin, or block).
        return []


class Conditions:
    """:class:`engine.flows.ConditionEvaluator` in the rules language. Each condition is
    compiled once per published bundle (``compiled`` is the bundle's own cache)."""

    def __init__(self, spec: FormSpec, constants: Mapping[str, str], ctx: EvalContext,
                 compiled: dict[str, Any] | None = None) -> None:
        self.spec, self.constants = spec, constants
        self.ctx = ctx
        self.compiled: dict[str, Any] = {} if compiled is None else compiled

    def __call__(self, condition: str, document: Mapping[str, Any]) -> bool:
        expr: CompiledExpression | None = self.compiled.get(condition)
        if expr is None:
            scope = FormScope.of(self.spec, self.constants)
            expr = self.compiled[condition] = compile_expression(condition, scope,
                                                                 name="condition")
        return bool(expr.evaluate(document, self.ctx))


def lookup_for(uow: UnitOfWork, tenant_id: int) -> Any:
    """Rules read ``line.item.category`` through this: item attributes by code."""
    repo = LedgerRepo(uow.session)
    cache: dict[str, Mapping[str, Any]] = {}

    def lookup(*, kind: str, ref: object, attr: str) -> object:
        if kind != "item":
            raise LookupError(f"no {kind} attributes")
        code = str(ref)
        if code not in cache:
            row = repo.item_by_code(tenant_id, code)
            if row is None:
                raise LookupError(code)
            cache[code] = {**(row.attributes or {}), "code": row.code, "name": row.name,
                           "unit": row.base_unit, "tracking": row.tracking,
                           "valuation": row.valuation, "reorder_point": row.reorder_point,
                           "safety_stock": row.safety_stock}
        return cache[code].get(attr)

    return lookup


class StoreLedger:
    """:class:`engine.rules.runtime.LedgerReader` over the tenant's ledger, read in the
    caller's transaction (so a document sees its own earlier postings) and cached for
    one evaluation."""

    def __init__(self, uow: UnitOfWork, tenant_id: int, now: datetime) -> None:
        self.session, self.tenant_id, self.now = uow.session, tenant_id, now
        self.repo = LedgerRepo(uow.session)
        self.cache: dict[tuple[Any, ...], Decimal] = {}

    def _id(self, kind: str, ref: object) -> int:
        row = (self.repo.item_by_code if kind == "item" else self.repo.location_by_code)(
            self.tenant_id, str(ref))
        if row is None:
            raise LookupError(f"no {kind} '{ref}'")
        return int(row.id)

    def _cached(self, key: tuple[Any, ...], read: Any) -> Decimal:
        if key not in self.cache:
            self.cache[key] = read()
        return self.cache[key]

    def on_hand(self, item: object, location: object) -> Decimal:
        return self._cached(("on_hand", item, location), lambda: figures.on_hand(
            self.session, self.tenant_id, self._id("item", item),
            self._id("location", location))[0])

    def available(self, item: object, location: object) -> Decimal:
        def read() -> Decimal:
            held, reserved = figures.on_hand(self.session, self.tenant_id,
                                             self._id("item", item),
                                             self._id("location", location))
            return held - reserved

        return self._cached(("available", item, location), read)

    def avg_daily_issue(self, item: object, location: object | None, days: int) -> Decimal:
        def read() -> Decimal:
            since = self.now - timedelta(days=days - 1)
            start = since.replace(hour=0, minute=0, second=0, microsecond=0)
            where = None if location is None else self._id("location", location)
            total = figures.issued_since(self.session, self.tenant_id,
                                         self._id("item", item), where, start)
            return (total / days).quantize(Decimal("0.000001"))

        return self._cached(("avg", item, location, days), read)

    def reorder_point(self, item: object) -> Decimal:
        row = self.repo.item_by_code(self.tenant_id, str(item))
        if row is None:
            raise LookupError(f"no item '{item}'")
        return Decimal(row.reorder_point)

    def unit_cost(self, item: object) -> Decimal:
        def read() -> Decimal:
            cost = figures.average_cost(self.session, self.tenant_id, self._id("item", item))
            return Decimal(0) if cost is None else cost.quantize(Decimal("0.000001"))

        return self._cached(("cost", item), read)


def eval_context(uow: UnitOfWork, tenant_id: int, now: datetime) -> EvalContext:
    """The rules' view of the world in this transaction: the clock, records, the ledger."""
    return EvalContext(now.date(), now.replace(tzinfo=None), lookup_for(uow, tenant_id),
                       ledger=StoreLedger(uow, tenant_id, now))


# rule effects → ledger effects -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Bridged:
    effects: list[Effect]
    problems: list[Problem]
    locks: list[tuple[int, bool]]  # (location id, lock or unlock), in rule order


class Bridge:
    """Turns the codes in rule effects into ids, exploding recipes and BOMs."""

    def __init__(self, uow: UnitOfWork, tenant_id: int, document_id: int, event: str,
                 *, create_batches: bool = True) -> None:
        self.repo = LedgerRepo(uow.session)
        self.tenant_id = tenant_id
        self.document_id = document_id
        self.event = event
        self.create_batches = create_batches
        self.problems: list[Problem] = []
        self._pending: dict[int, tuple[int, int]] | None = None
        self._consumed: set[int] = set()
        self._items: dict[str, int | None] = {}  # code → item id (None: no such item)
        self._locations: dict[str, int | None] = {}  # code → location id (None: none)
        self._boms: dict[BomKind, tuple[Any, Any, UnitTable]] = {}

    def convert(self, effects: Sequence[RuleEffect]) -> Bridged:
        out: list[Effect] = []
        locks: list[tuple[int, bool]] = []
        self._prefetch(effects)
        for effect in effects:
            if isinstance(effect, LockEffect):
                location = self._location(effect, effect.location)
                if location is not None:
                    locks.append((location, effect.locked))
                continue
            out.extend(self._one(effect))
        return Bridged(out, self.problems, locks)

    def key(self, effect: RuleEffect, part: int | None = None) -> str:
        tail = "" if part is None else f":c{part}"
        return f"doc:{self.document_id}:{self.event}:{effect.key}{tail}"

    def _one(self, effect: StockEffect | CountEffect | ReleaseEffect) -> list[Effect]:
        if isinstance(effect, ReleaseEffect):
            return [Effect(self.key(effect), "release", {})]
        if isinstance(effect, CountEffect):
            return self._count(effect)
        return self._stock(effect)

    def _where(self, effect: RuleEffect) -> Source:
        return Source(rule="rules", line=effect.line, column=effect.column,
                      path=None if effect.line_index is None else f"lines[{effect.line_index}]")

    def _prefetch(self, effects: Sequence[RuleEffect]) -> None:
        """Read, together, every item and location the effects name and, when one may
        take them, the document's pending reservations: all that converting looks up."""
        items: set[str] = set()
        places: set[str] = set()
        takes = False
        for e in effects:
            if isinstance(e, ReleaseEffect):
                continue
            places.add(str(e.location))
            if isinstance(e, StockEffect):
                items.add(str(e.explode.item if e.explode else e.item))
                takes = takes or e.verb in _TAKING
                if e.to_location:
                    places.add(str(e.to_location))
            elif isinstance(e, CountEffect):
                items.add(str(e.item))
        if not (items or places or takes):
            return
        found_items, found_places, pending = self.repo.codes_and_reservations(
            self.tenant_id, items, places, self.document_id if takes else None)
        self._items = {code: found_items.get(code) for code in items}
        self._locations = {code: found_places.get(code) for code in places}
        if pending is not None:
            self._pending = self._reserved_at(pending)

    def _item(self, effect: RuleEffect, code: object) -> int | None:
        found = self._items[str(code)]  # read by _prefetch
        if found is None:
            self.problems.append(problem(
                "rules.unknown_item", f"There is no item '{code}'", f"没有物料 '{code}'",
                self._where(effect)))
        return found

    def _location(self, effect: RuleEffect, code: object) -> int | None:
        found = self._locations[str(code)]  # read by _prefetch
        if found is None:
            self.problems.append(problem(
                "rules.unknown_location", f"There is no location '{code}'",
                f"没有库位 '{code}'", self._where(effect)))
        return found

    def _batch(self, effect: StockEffect | CountEffect, item: int) -> int | None:
        if effect.batch is None:
            return None
        code = str(effect.batch)
        row = self.repo.batch_by_code(self.tenant_id, item, code)
        if row is not None:
            return int(row.id)
        if not self.create_batches:
            return None
        from engine.store import ledger_tables as t

        new = t.Batch(tenant_id=self.tenant_id, item_id=item, code=code,
                      expiry_date=effect.expiry)
        self.repo.add(new)
        return int(new.id)

    def _count(self, effect: CountEffect) -> list[Effect]:
        item, location = self._item(effect, effect.item), self._location(effect, effect.location)
        if item is None or location is None:
            return []
        line = CountLine(item, location, effect.counted, self._batch(effect, item))
        return [Effect(self.key(effect), "count", {"lines": [line]})]

    def _stock(self, effect: StockEffect) -> list[Effect]:
        location = self._location(effect, effect.location)
        to = self._location(effect, effect.to_location) if effect.to_location else None
        parts = self._parts(effect)
        if location is None or (effect.to_location and to is None) or parts is None:
            return []
        if effect.verb == "release":
            return [self._release(effect, item, location) for item, _ in parts]
        out = []
        for n, (item, qty) in enumerate(parts):
            args = self._arguments(effect, item, qty, location, to)
            part = None if effect.explode is None else n
            out.append(Effect(self.key(effect, part), _OPERATIONS[effect.verb], args))
        return out

    def _held(self, item_id: int, location: int) -> list[int]:
        """The document's pending reservations of an item at a location."""
        assert self._pending is not None, "_prefetch reads them for every taking effect"
        return sorted(rid for rid, key in self._pending.items() if key == (item_id, location))

    def _reserved_at(self, ids: list[int]) -> dict[int, tuple[int, int]]:
        """The (item, location) of each of these pending reservations."""
        if not ids:  # most documents reserve nothing: no snapshot to read then
            return {}
        from engine.store.ledger_repo import Wanted

        snap = self.repo.snapshot(self.tenant_id, Wanted(reservations=frozenset(ids)))
        return {rid: (r.key.item_id, r.key.location_id) for rid, r in snap.reservations.items()}

    def _release(self, effect: StockEffect, item: int, location: int) -> Effect:
        """``release Q of X at L``: the document's pending reservations of X at L."""
        return Effect(self.key(effect), "release",
                      {"reservation_ids": self._held(item, location)})

    def _parts(self, effect: StockEffect) -> list[tuple[int, Decimal]] | None:
        """(item id, quantity) of each part the effect moves: the item, or its
        exploded components."""
        item = self._item(effect, effect.explode.item if effect.explode else effect.item)
        if item is None:
            return None
        if effect.explode is None:
            return [(item, effect.qty)]
        kind = BomKind.RECIPE if effect.explode.kind == "recipe" else BomKind.BOM
        boms, items, units = self._bom_data(kind)
        if item not in items:  # an item with no BOM of its own: explode says so
            items = {**items, **self.repo.items(self.tenant_id, {item})}
        found = explode(item, effect.qty, boms, items, depth=effect.explode.depth,
                        units=units)
        if isinstance(found, Problem):
            self.problems.append(found)
            return None
        return [(c.item_id, c.qty) for c in found]

    def _bom_data(self, kind: BomKind) -> tuple[Any, Any, UnitTable]:
        """The tenant's BOMs (or recipes), their items and unit conversions: read once per
        event however many lines explode."""
        cached = self._boms.get(kind)
        if cached is None:
            boms = self.repo.boms(self.tenant_id, kind.value)
            ids = {i for b in boms.values()
                   for i in (b.item_id, *(ln.component_id for ln in b.lines))}
            cached = self._boms[kind] = (
                boms, self.repo.items(self.tenant_id, ids),
                UnitTable.of(self.repo.unit_conversions(self.tenant_id)))
        return cached

    def _arguments(self, effect: StockEffect, item: int, qty: Decimal, location: int,
                   to: int | None) -> dict[str, Any]:
        args: dict[str, Any] = {"item_id": item, "qty": qty}
        batch = self._batch(effect, item) if effect.explode is None else None
        if batch is not None:
            args["batch_id"] = batch
        if effect.verb == "receive":
            args["to_location_id"] = location
            if effect.cost is not None:
                args["unit_cost"] = effect.cost
        elif effect.verb == "reserve":
            args["location_id"] = location
        elif effect.verb == "move":
            args |= {"from_location_id": location, "to_location_id": to}
        else:  # issue, scrap
            args["from_location_id"] = location
        if effect.verb in ("issue", "move", "scrap"):
            # What the document reserved earlier (on submit, say) is what it now takes.
            held = [r for r in self._held(item, location) if r not in self._consumed]
            if held:
                args["reservation_ids"] = held
                self._consumed.update(held)
        return args


_TAKING = frozenset({"issue", "move", "scrap", "release"})  # verbs that take reservations
_OPERATIONS = {"receive": "receive", "issue": "issue", "move": "move", "scrap": "scrap",
               "reserve": "reserve", "release": "release"}

