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
from .compile_expr import ExprCompiler
from .effects import CountEffect, Explode, Origin, ReleaseEffect, StockEffect
from .runtime import Env, Fault, kind_of, number, rows_of, truth

Exec = Callable[[Env], None]


def _ref(value: object, what: str) -> str | int:
    kind = type(value)
    if kind is str or kind is int:
        return value  # type: ignore[return-value]
    if value is None:
        raise Fault("rules.null_value", what=what)
    raise Fault("rules.bad_reference", what=what, found=kind_of(value))


def _qty(value: object, what: str) -> Decimal:
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
    def __init__(self, exprs: ExprCompiler) -> None:
        self.exprs = exprs

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
            for index, row in enumerate(rows):
                env.steps += 1
                if env.steps > env.max_steps:
                    env.charge(0, pos)
                if type(row) is not dict and not isinstance(row, Mapping):
                    bad = Fault("rules.bad_document", what=f"Row {index + 1} of {what}",
                                expected="a record")  # fmt: skip
                    raise bad.located(pos, env)
                env.vars[var] = row
                env.rows.append(index)
                try:
                    body(env)
                finally:
                    env.rows.pop()

        return loop

    def _release_all(self, stmt: n.ReleaseAll) -> Exec:
        pos = stmt.pos

        def release(env: Env) -> None:
            env.charge(1, pos)
            origin = Origin(env.rule_index, pos.line, pos.column, tuple(env.rows))
            env.emit(ReleaseEffect(origin), pos)

        return release

    def _stock(self, stmt: n.Stock) -> Exec:
        c = stmt.clauses
        depth = stmt.explosion.depth if stmt.explosion else None
        parts = (stmt.qty, stmt.item, stmt.location, stmt.to_location, c.batch, c.expiry, c.cost,
                 depth)  # fmt: skip
        qty, item, location, to, *extra = (None if e is None else self.exprs.compile(e) for e in parts)
        assert qty is not None and item is not None and location is not None
        cost = 1 + sum(n.size(e) for e in parts if e is not None)
        build, pos = _builder(stmt), stmt.pos
        optional = [(i, f) for i, f in enumerate(extra) if f is not None]

        def stock(env: Env) -> None:
            env.steps += cost
            if env.steps > env.max_steps:
                env.charge(0, pos)
            values = [qty(env), item(env), location(env), to(env) if to else None,
                      None, None, None, None]  # fmt: skip
            for index, fn in optional:
                values[4 + index] = fn(env)
            try:
                effect = build(env, *values)
            except Fault as fault:
                raise fault.located(pos, env) from None
            if len(env.effects) < env.max_effects:
                env.effects.append(effect)
            else:
                env.emit(effect, pos)

        return stock


def _label(expr: n.Expr) -> str:
    return expr.dotted if isinstance(expr, n.Path) else "the value"


def _builder(stmt: n.Stock) -> Callable[..., Any]:
    verb, policy, pos = stmt.verb, stmt.clauses.policy, stmt.pos
    explode_kind = stmt.explosion.kind if stmt.explosion else None
    qty_what = "The counted quantity" if verb == "count" else "The quantity"

    def build(env: Env, qty: Any, item: Any, location: Any, to: Any, batch: Any,
              expiry: Any, cost: Any, depth: Any) -> Any:  # fmt: skip
        origin = Origin(env.rule_index, pos.line, pos.column, tuple(env.rows))
        amount = _qty(qty, qty_what)
        item_ref = _ref(item, "The item")
        location_ref = _ref(location, "The location")
        batch_ref = None if batch is None else _ref(batch, "The batch")
        price = None if cost is None else Decimal(number(cost, "The cost"))
        if verb == "count":
            return CountEffect(item_ref, location_ref, amount, origin, batch_ref, _date(expiry),
                               price)  # fmt: skip
        to_ref = None if to is None and verb != "move" else _ref(to, "The destination")
        explode = None if explode_kind is None else Explode(explode_kind, item_ref, _depth(depth))
        return StockEffect(verb, amount, item_ref, location_ref, origin, to_ref, batch_ref,
                           _date(expiry), price, policy, explode)  # fmt: skip

    return build
