"""Statements → closures that charge the step budget and emit effects.

Step costs (documented in docs/rules.md): a statement costs 1 plus the number of
nodes of its expressions; each loop iteration costs 1; an operation on a column
costs 1 per row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from . import nodes as n
from .compile_expr import ExprCompiler, Fn
from .effect_makers import make_count, origins, stock_maker
from .effects import CountEffect, Explode, LockEffect, Origin, ReleaseEffect, StockEffect
from .runtime import Env, Fault, kind_of, number, rows_of, truth
from .runtime import reference as _ref
from .verbs import Verb

Exec = Callable[[Env], None]


def _qty(value: object, what: str) -> Decimal:
    if type(value) is Decimal and value.is_finite() and value >= 0:
        return value
    qty = number(value, what)
    if type(qty) is not Decimal:
        qty = Decimal(qty)
    if qty < 0:
        raise Fault("rules.negative_quantity", qty=str(qty))
    return qty


def _date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise Fault("rules.type_error", expected="a date", found=kind_of(value))


def _depth(value: object) -> int | None:
    if value is None:
        return None
    num = number(value, "The BOM depth")
    if num != int(num) or num < 0:
        raise Fault("rules.type_error", expected="a whole number ≥ 0", found=str(num))
    return int(num)


class StmtCompiler:
    """Compiles checked statements; ``verbs`` are the checker's resolutions
    (``id(stock statement)`` → its :class:`~.verbs.Verb`)."""

    def __init__(self, exprs: ExprCompiler, verbs: Mapping[int, Verb]) -> None:
        self.exprs = exprs
        self.verbs = verbs

    def block(self, body: tuple[n.Stmt, ...]) -> Exec:
        execs = [self.statement(s) for s in body]
        if len(execs) == 1:
            return execs[0]

        def run(env: Env) -> None:
            for ex in execs:
                ex(env)

        return run

    def statement(self, stmt: n.Stmt) -> Exec:
        match stmt:
            case n.Let():
                return self._let(stmt)
            case n.When():
                return self._when(stmt)
            case n.For():
                return self._for(stmt)
            case n.Stock():
                return self._stock(stmt)
            case n.ReleaseAll():
                return self._release_all(stmt)
            case n.Lock():
                return self._lock(stmt)
        raise AssertionError(f"unknown statement {stmt!r}")

    def _let(self, stmt: n.Let) -> Exec:
        value, name, pos, cost = self.exprs.compile(stmt.value), stmt.name, stmt.pos, 1 + n.size(stmt.value)

        def let(env: Env) -> None:
            env.charge(cost, pos)
            env.vars[name] = value(env)

        return let

    def _when(self, stmt: n.When) -> Exec:
        test, body, pos = self.exprs.compile(stmt.test), self.block(stmt.body), stmt.pos
        cost = 1 + n.size(stmt.test)

        def when(env: Env) -> None:
            env.charge(cost, pos)
            try:
                ok = truth(test(env))
            except Fault as fault:
                raise fault.located(pos, env) from None
            if ok:
                body(env)

        return when

    def _for(self, stmt: n.For) -> Exec:
        source, body, pos, var = self.exprs.compile(stmt.source), self.block(stmt.body), stmt.pos, stmt.var
        cost, what = 1 + n.size(stmt.source), _label(stmt.source)

        def loop(env: Env) -> None:
            env.charge(cost, pos)
            try:
                rows = rows_of(source(env), what)
            except Fault as fault:
                raise fault.located(pos, env) from None
            names, trail = env.vars, env.rows
            for index, row in enumerate(rows):
                env.steps += 1
                if env.steps > env.max_steps:
                    env.charge(0, pos)
                if type(row) is not dict and not isinstance(row, Mapping):
                    bad = Fault("rules.bad_document", what=f"Row {index + 1} of {what}",
                                expected="a record")  # fmt: skip
                    raise bad.located(pos, env)
                names[var] = row
                trail.append(index)
                try:
                    body(env)
                finally:
                    trail.pop()

        return loop

    def _release_all(self, stmt: n.ReleaseAll) -> Exec:
        pos = stmt.pos

        def release(env: Env) -> None:
            env.charge(1, pos)
            origin = Origin(env.rule_index, pos.line, pos.column, tuple(env.rows))
            env.emit(ReleaseEffect(origin), pos)

        return release

    def _lock(self, stmt: n.Lock) -> Exec:
        location, pos, locked = self.exprs.compile(stmt.location), stmt.pos, stmt.locked
        cost = 1 + n.size(stmt.location)

        def lock(env: Env) -> None:
            env.charge(cost, pos)
            value = location(env)
            try:
                ref = _ref(value, "The location")
            except Fault as fault:
                raise fault.located(pos, env) from None
            origin = Origin(env.rule_index, pos.line, pos.column, tuple(env.rows))
            env.emit(LockEffect(ref, locked, origin), pos)

        return lock

    def _stock(self, stmt: n.Stock) -> Exec:
        c = stmt.clauses
        depth = stmt.explosion.depth if stmt.explosion else None
        parts = (stmt.qty, stmt.item, stmt.location, stmt.to_location, c.batch, c.expiry, c.cost,
                 depth)  # fmt: skip
        qty, item, location, to, *extra = (None if e is None else self.exprs.compile(e) for e in parts)
        assert qty is not None and item is not None and location is not None
        cost = 1 + sum(n.size(e) for e in parts if e is not None)
        optional = [(i, f) for i, f in enumerate(extra) if f is not None]
        operation = self.verbs[id(stmt)].operation
        if not optional and operation != "count" and stmt.explosion is None:
            return _plain_stock(stmt, operation, cost, qty, item, location, to)
        finish, pos = _finisher(stmt, operation), stmt.pos
        origin_of = origins(pos.line, pos.column)
        none4: list[Any] = [None, None, None, None]

        def stock(env: Env) -> None:
            env.steps += cost
            if env.steps > env.max_steps:
                env.charge(0, pos)
            q, i, where = qty(env), item(env), location(env)
            dest = to(env) if to is not None else None
            more = none4
            if optional:
                more = [None, None, None, None]
                for index, fn in optional:
                    more[index] = fn(env)
            try:
                effect = finish(origin_of(env.rule_index, env.rows), q, i, where, dest, *more)
            except Fault as fault:
                raise fault.located(pos, env) from None
            if len(env.effects) < env.max_effects:
                env.effects.append(effect)
            else:
                env.emit(effect, pos)

        return stock


def _label(expr: n.Expr) -> str:
    return expr.dotted if isinstance(expr, n.Path) else "the value"


_QTY = "The quantity"


def _plain_stock(stmt: n.Stock, operation: str, cost: int, qty: Fn, item: Fn, location: Fn,
                 to: Fn | None) -> Exec:  # fmt: skip
    """The common statement, without clauses or explosion: the general path, inlined."""
    pos = stmt.pos
    make, origin_of = stock_maker(operation, stmt.clauses.policy), origins(pos.line, pos.column)

    def stock(env: Env) -> None:
        env.steps += cost
        if env.steps > env.max_steps:
            env.charge(0, pos)
        q, i, where = qty(env), item(env), location(env)
        dest = None if to is None else to(env)
        try:
            amount = q if type(q) is Decimal and q.is_finite() and q >= 0 else _qty(q, _QTY)
            item_ref = i if type(i) is str else _ref(i, "The item")
            where_ref = where if type(where) is str else _ref(where, "The location")
            if to is not None and type(dest) is not str:
                dest = _ref(dest, "The destination")
        except Fault as fault:
            raise fault.located(pos, env) from None
        effect = make(amount, item_ref, where_ref, origin_of(env.rule_index, env.rows), dest,
                      None, None, None, None)  # fmt: skip
        if len(env.effects) < env.max_effects:
            env.effects.append(effect)
        else:
            env.emit(effect, pos)

    return stock


def _finisher(stmt: n.Stock, verb: str) -> Callable[..., Any]:
    """``finish(origin, qty, item, location, to, batch, expiry, cost, depth)`` → the effect.

    Checks the evaluated values (in this order: quantity, item, location, batch,
    cost, destination, depth, expiry) and builds the effect with :mod:`.effect_makers`.
    """
    explode_kind = stmt.explosion.kind if stmt.explosion else None

    def count(origin: Origin, qty: Any, item: Any, location: Any, to: Any, batch: Any,
              expiry: Any, cost: Any, depth: Any) -> CountEffect:  # fmt: skip
        amount = _qty(qty, "The counted quantity")
        item_ref, location_ref = _ref(item, "The item"), _ref(location, "The location")
        batch_ref = None if batch is None else _ref(batch, "The batch")
        price = None if cost is None else Decimal(number(cost, "The cost"))
        return make_count(item_ref, location_ref, amount, origin, batch_ref, _date(expiry), price)

    make = stock_maker(verb, stmt.clauses.policy)

    def stock(origin: Origin, qty: Any, item: Any, location: Any, to: Any, batch: Any,
              expiry: Any, cost: Any, depth: Any) -> StockEffect:  # fmt: skip
        amount = _qty(qty, "The quantity")
        item_ref, location_ref = _ref(item, "The item"), _ref(location, "The location")
        batch_ref = None if batch is None else _ref(batch, "The batch")
        price = None if cost is None else Decimal(number(cost, "The cost"))
        to_ref = None if to is None and verb != "move" else _ref(to, "The destination")
        explode = None if explode_kind is None else Explode(explode_kind, item_ref, _depth(depth))
        expires = None if expiry is None else _date(expiry)
        return make(amount, item_ref, location_ref, origin, to_ref, batch_ref, expires, price,
                    explode)  # fmt: skip

    return count if verb == "count" else stock
