"""Expressions → closures.

Each checked expression node becomes a Python closure ``fn(env) -> value``; no
tree is walked and nothing is parsed at evaluation time. Columns (values per
subform row) are lists and operations on them run row by row, charging one step
per row. Arithmetic goes through the private decimal context :data:`.runtime.CTX`.
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable, Mapping
from typing import Any

from engine.errors import EngineError

from . import nodes as n
from .check_expr import PathPlan, Step
from .functions import FunctionRegistry
from .runtime import CTX, Env, Fault, kind_of, number, rows_of, truth
from .types import VType

Fn = Callable[[Env], Any]
Scalar = Callable[[Env, list[Any]], Any]

_ARITH: Mapping[str, Callable[[Any, Any], decimal.Decimal]] = {
    "+": CTX.add, "-": CTX.subtract, "*": CTX.multiply, "/": CTX.divide,
}  # fmt: skip
_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def label(expr: n.Expr) -> str:
    return expr.dotted if isinstance(expr, n.Path) else "A value"


def _arith_fault(error: decimal.DecimalException) -> Fault:
    if isinstance(error, decimal.DivisionByZero):
        return Fault("rules.division_by_zero")
    if isinstance(error, decimal.DivisionUndefined):
        return Fault("rules.arithmetic_error", detail="0 / 0")
    return Fault("rules.arithmetic_error", detail=type(error).__name__)


def _get(value: object, name: str) -> object:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get(name)
    raise Fault("rules.bad_document", what=f"The value before '.{name}'", expected="a record")


def _lookup(env: Env, step: Step, ref: object) -> object:
    if ref is None:
        return None
    kind = step.kind or ""
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        raise Fault("rules.bad_reference", what=f"The {kind}", found=kind_of(ref))
    lookup = env.ctx.lookup
    if lookup is None:
        raise Fault("rules.lookup_unavailable", kind=kind, attr=step.name)
    try:
        return lookup(kind=kind, ref=ref, attr=step.name)
    except LookupError:
        raise Fault("rules.lookup_failed", kind=kind, ref=repr(ref), attr=step.name) from None


def _walk(env: Env, value: object, steps: tuple[Step, ...]) -> object:
    for step in steps:
        value = _get(value, step.name) if step.op == "get" else _lookup(env, step, value)
    return value


class ExprCompiler:
    def __init__(self, types: Mapping[int, VType], plans: Mapping[int, PathPlan],
                 functions: FunctionRegistry) -> None:  # fmt: skip
        self.types = types
        self.plans = plans
        self.functions = functions
        self.self_guarded: set[int] = set()

    def is_column(self, expr: n.Expr) -> bool:
        t = self.types.get(id(expr))
        return t is not None and t.column is not None

    def compile(self, expr: n.Expr) -> Fn:
        fn = self._compile(expr)
        if not self._may_fault(expr):
            return fn
        pos = expr.pos

        def guarded(env: Env) -> Any:
            try:
                return fn(env)
            except Fault as fault:
                raise fault.located(pos, env) from None

        return guarded

    def _may_fault(self, expr: n.Expr) -> bool:
        """Whether the node itself can raise a Fault (so it needs a position guard)."""
        if isinstance(expr, n.Literal) or id(expr) in self.self_guarded:
            return False
        if isinstance(expr, n.Path):
            plan = self.plans[id(expr)]
            return bool(plan.steps) or plan.split is not None
        return True

    def _compile(self, expr: n.Expr) -> Fn:
        match expr:
            case n.Literal():
                value = expr.value
                return lambda env: value
            case n.Path():
                return self._path(expr, self.plans[id(expr)])
            case n.Neg():
                return self._lifted(expr, [expr.operand], lambda env, a: CTX.minus(number(a[0])))
            case n.Arith():
                return self._arith(expr)
            case n.Compare():
                return self._compare(expr)
            case n.Logic():
                return self._logic(expr)
            case n.Not():
                operand = self.compile(expr.operand)
                return lambda env: not truth(operand(env))
            case n.InList():
                return self._in(expr)
            case n.Cond():
                test, then, other = (self.compile(e) for e in (expr.test, expr.then, expr.other))
                return lambda env: then(env) if truth(test(env)) else other(env)
            case n.Call():
                return self._call(expr)
        raise AssertionError(f"unknown node {expr!r}")

    # ---- paths ----
    def _path(self, expr: n.Path, plan: PathPlan) -> Fn:
        root = _root(plan)
        if plan.split is None:
            steps = plan.steps
            if not steps:
                return root
            if len(steps) == 1 and steps[0].op == "get" and plan.root != "const":
                self.self_guarded.add(id(expr))
                return _field_of(plan, steps[0].name, expr.pos)
            return lambda env: _walk(env, root(env), steps)
        head, tail, pos, what = plan.steps[: plan.split], plan.steps[plan.split :], expr.pos, plan.label

        def column(env: Env) -> list[Any]:
            rows = rows_of(_walk(env, root(env), head), what)
            env.charge(len(rows), pos)
            return [_walk(env, row, tail) for row in rows]

        return column

    # ---- operators ----
    def _lifted(self, expr: n.Expr, parts: list[n.Expr], op: Scalar) -> Fn:
        """Apply ``op`` to the operands' values, row by row when any is a column."""
        fns = [self.compile(p) for p in parts]
        columns = [self.is_column(p) for p in parts]
        if not any(columns):
            return lambda env: op(env, [f(env) for f in fns])
        pos = expr.pos

        def rowwise(env: Env) -> list[Any]:
            values = [f(env) for f in fns]
            size = min(len(v) for v, c in zip(values, columns, strict=True) if c)
            env.charge(size, pos)
            return [
                op(env, [v[i] if c else v for v, c in zip(values, columns, strict=True)])
                for i in range(size)
            ]

        return rowwise

    def _arith(self, expr: n.Arith) -> Fn:
        parts = [expr.first, *(e for _, e in expr.rest)]
        ops = [_ARITH[op] for op, _ in expr.rest]
        whats = [label(p) for p in parts]

        def fold(env: Env, values: list[Any]) -> decimal.Decimal:
            try:
                acc = number(values[0], whats[0])
                for i, op in enumerate(ops, start=1):
                    acc = op(acc, number(values[i], whats[i]))
            except decimal.DecimalException as error:
                raise _arith_fault(error) from None
            return decimal.Decimal(acc)

        if len(parts) == 2 and not self.is_column(expr):
            left, right, op = self.compile(parts[0]), self.compile(parts[1]), ops[0]
            lw, rw = whats

            def binary(env: Env) -> decimal.Decimal:
                try:
                    return op(number(left(env), lw), number(right(env), rw))
                except decimal.DecimalException as error:
                    raise _arith_fault(error) from None

            return binary
        return self._lifted(expr, parts, fold)

    def _compare(self, expr: n.Compare) -> Fn:
        op = _COMPARE[expr.op]
        ordering = expr.op not in {"==", "!="}

        def compare(env: Env, values: list[Any]) -> bool:
            left, right = values
            try:
                return op(left, right)
            except (TypeError, decimal.InvalidOperation):
                if left is None or right is None:
                    raise Fault("rules.null_value", what="A compared value") from None
                raise Fault("rules.type_error", expected=kind_of(left),
                            found=kind_of(right)) from None  # fmt: skip

        if self.is_column(expr):
            return self._lifted(expr, [expr.left, expr.right], compare)
        left, right = self.compile(expr.left), self.compile(expr.right)
        if not ordering:

            def equal(env: Env) -> bool:
                try:
                    return op(left(env), right(env))
                except decimal.InvalidOperation:
                    raise Fault("rules.type_error", expected="a number", found="NaN") from None

            return equal

        def ordered(env: Env) -> bool:
            return compare(env, [left(env), right(env)])

        return ordered

    def _logic(self, expr: n.Logic) -> Fn:
        fns = [self.compile(e) for e in expr.operands]
        if expr.op == "and":
            if len(fns) == 2:
                a, b = fns
                return lambda env: truth(a(env)) and truth(b(env))
            return lambda env: all(truth(f(env)) for f in fns)
        if len(fns) == 2:
            a, b = fns
            return lambda env: truth(a(env)) or truth(b(env))
        return lambda env: any(truth(f(env)) for f in fns)

    def _in(self, expr: n.InList) -> Fn:
        operand = self.compile(expr.operand)
        items = [self.compile(i) for i in expr.items]
        negate = expr.negate

        def member(env: Env) -> bool:
            value = operand(env)
            try:
                found = any(value == item(env) for item in items)
            except decimal.InvalidOperation:
                raise Fault("rules.type_error", expected="a number", found="NaN") from None
            return found is not negate

        return member

    # ---- calls ----
    def _call(self, expr: n.Call) -> Fn:
        fn = self.functions.get(expr.name)
        assert fn is not None, "the checker reports unknown functions"
        impl, name = fn.impl, expr.name
        arg_types = [self.types.get(id(a)) for a in expr.args]
        spread = fn.signature.aggregate and len(expr.args) == 1 and arg_types[0] is not None and (
            arg_types[0].column is not None or arg_types[0].kind == "subform"
        )  # fmt: skip

        def call(env: Env, values: list[Any]) -> Any:
            try:
                return impl(env.ctx, *values)
            except (Fault, EngineError):
                raise
            except (ArithmeticError, ValueError, TypeError) as error:
                raise Fault("rules.function_failed", name=name, detail=str(error)) from None

        if spread:
            arg, what = self.compile(expr.args[0]), label(expr.args[0])
            return lambda env: call(env, rows_of(arg(env), what))
        if not self.is_column(expr):
            args = [self.compile(a) for a in expr.args]
            return lambda env: call(env, [a(env) for a in args])
        return self._lifted(expr, list(expr.args), call)


def _root(plan: PathPlan) -> Fn:
    name = plan.name
    if plan.root == "field":
        return lambda env: env.values.get(name)
    if plan.root == "var":
        return lambda env: env.vars.get(name)
    return lambda env: name


def _field_of(plan: PathPlan, name: str, pos: n.Pos) -> Fn:
    """``row.name`` (a loop variable or a record field) in one closure, with its own guard."""
    head = plan.name

    def of(env: Env, record: object) -> Any:
        try:
            return _get(record, name)
        except Fault as fault:
            raise fault.located(pos, env) from None

    if plan.root == "var":

        def var_field(env: Env) -> Any:
            record = env.vars.get(head)
            return record.get(name) if type(record) is dict else of(env, record)

        return var_field

    def doc_field(env: Env) -> Any:
        record = env.values.get(head)
        return record.get(name) if type(record) is dict else of(env, record)

    return doc_field
