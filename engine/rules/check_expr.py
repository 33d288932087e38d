"""Static typing of expressions: names, paths, operators, functions, columns.

:class:`ExprChecker` infers a :class:`~.types.VType` for every expression node and
records it (``types``) together with how each path is read (``plans``); the
compiler uses both. Problems are collected, never raised; after an error the node
gets the type ``any`` so one mistake is reported once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.errors import Problem

from . import nodes as n
from . import problems
from .functions import FunctionRegistry, Signature
from .types import ANY, BOOLEAN, NUMBER, Scope, VType, vtype_of

_LITERAL_TYPES = {k: VType(k) for k in ("number", "text", "date", "datetime", "boolean", "null")}
_ORDERED = frozenset({"number", "date", "datetime", "text"})


@dataclass(frozen=True, slots=True)
class Step:
    op: str  # get (a key of a row) | lookup (an attribute of a referenced record)
    name: str
    kind: str | None = None  # referenced kind, for lookups


@dataclass(frozen=True, slots=True)
class PathPlan:
    """How to read a path: a root, then steps; rows are mapped from ``split`` on."""

    root: str  # field | var | const
    name: str
    steps: tuple[Step, ...]
    split: int | None  # index into steps where per-row reading starts (a column)
    label: str  # dotted path for messages


@dataclass(frozen=True, slots=True)
class Binding:
    kind: str  # let | loop
    type: VType


@dataclass
class ExprChecker:
    scope: Scope
    functions: FunctionRegistry
    rule: str | None = None
    form: str | None = None
    problems: list[Problem] = field(default_factory=list)
    types: dict[int, VType] = field(default_factory=dict)
    plans: dict[int, PathPlan] = field(default_factory=dict)
    names: list[dict[str, Binding]] = field(default_factory=lambda: [{}])

    # ---- helpers ----
    def report(self, code: str, pos: n.Pos, **params: object) -> None:
        self.problems.append(problems.make(code, pos, rule=self.rule, form=self.form, **params))

    def binding(self, name: str) -> Binding | None:
        for frame in reversed(self.names):
            if name in frame:
                return frame[name]
        return None

    def known_names(self) -> list[str]:
        bound = [name for frame in self.names for name in frame]
        return [*bound, *self.scope.fields(), *self.scope.constants()]

    def merge(self, pos: n.Pos, *types: VType) -> str | None:
        columns = {t.column for t in types if t.column}
        if len(columns) > 1:
            left, right = sorted(columns)[:2]
            self.report("rules.column_mismatch", pos, left=left, right=right)
        return min(columns) if columns else None

    def scalar(self, expr: n.Expr, t: VType) -> VType:
        """Report a column where one value is needed; return the scalar type."""
        if t.column:
            label = expr.dotted if isinstance(expr, n.Path) else "This value"
            self.report("rules.column_not_aggregated", expr.pos, path=label, column=t.column)
            return ANY
        return t

    def condition(self, expr: n.Expr) -> VType:
        t = self.scalar(expr, self.check(expr))
        if t.kind not in {"boolean", "any", "null"}:
            self.report("rules.not_a_condition", expr.pos, found=t.describe())
        return t

    # ---- dispatch ----
    def check(self, expr: n.Expr) -> VType:
        t = self._infer(expr)
        self.types[id(expr)] = t
        return t

    def _infer(self, expr: n.Expr) -> VType:
        match expr:
            case n.Literal():
                return _LITERAL_TYPES[expr.kind]
            case n.Path():
                return self._path(expr)
            case n.Neg():
                t = self.check(expr.operand)
                self._operands(expr.pos, "-", t, NUMBER)
                return NUMBER.with_column(t.column)
            case n.Arith():
                return self._arith(expr)
            case n.Compare():
                return self._compare(expr)
            case n.Logic():
                for operand in expr.operands:
                    self.condition(operand)
                return BOOLEAN
            case n.Not():
                self.condition(expr.operand)
                return BOOLEAN
            case n.InList():
                return self._in(expr)
            case n.Cond():
                self.condition(expr.test)
                then = self.scalar(expr.then, self.check(expr.then))
                other = self.scalar(expr.other, self.check(expr.other))
                return self._common(expr.pos, "if … else", [then, other])
            case n.Call():
                return self._call(expr)
        raise AssertionError(f"unknown node {expr!r}")

    # ---- paths ----
    def _path(self, expr: n.Path) -> VType:
        head = expr.parts[0]
        found = self._root(head)
        if found is None:
            self.report("rules.unknown_field", expr.pos, name=head,
                        **problems.suggestion(head, self.known_names()))  # fmt: skip
            return ANY
        root, t = found
        steps: list[Step] = []
        split: int | None = None
        for index, name in enumerate(expr.parts[1:], start=1):
            label = ".".join(expr.parts[:index])
            if t.kind == "subform" and split is None:
                split = len(steps)
                t = VType("row", scope=t.scope, column=label)
            if t.kind == "row":
                assert t.scope is not None
                ft = t.scope.field(name)
                if ft is None:
                    self.report("rules.unknown_field", expr.pos, name=f"{label}.{name}",
                                **problems.suggestion(name, t.scope.fields()))  # fmt: skip
                    return ANY
                t = vtype_of(ft).with_column(t.column)
                steps.append(Step("get", name))
            elif t.kind == "ref" and t.ref is not None:
                ft = self.scope.attribute(t.ref, name)
                if ft is None:
                    self.report("rules.unknown_attribute", expr.pos, kind=t.ref, name=name,
                                suggest_en="", suggest_zh="")  # fmt: skip
                    return ANY
                steps.append(Step("lookup", name, t.ref))
                t = vtype_of(ft).with_column(t.column)
            elif t.kind == "any":
                return ANY
            else:
                self.report("rules.not_a_record", expr.pos, path=label, type=t.describe(),
                            name=name)  # fmt: skip
                return ANY
            if t.kind == "subform" and t.column:
                self.report("rules.column_not_aggregated", expr.pos, path=expr.dotted,
                            column=t.column)  # fmt: skip
                return ANY
        self.plans[id(expr)] = PathPlan(root, head, tuple(steps), split, expr.dotted)
        if t.kind == "subform":
            return VType("subform", scope=t.scope)
        return t

    def _root(self, name: str) -> tuple[str, VType] | None:
        bound = self.binding(name)
        if bound is not None:
            return "var", bound.type
        ft = self.scope.field(name)
        if ft is not None:
            return "field", vtype_of(ft)
        ft = self.scope.constant(name)
        if ft is not None:
            return "const", vtype_of(ft)
        return None

    # ---- operators ----
    def _operands(self, pos: n.Pos, op: str, left: VType, right: VType) -> bool:
        ok = {left.kind, right.kind} <= {"number", "any", "null"}
        if not ok:
            hint = ("Use days_between() or add_days() for dates."
                    if {left.kind, right.kind} & {"date", "datetime"} else "")  # fmt: skip
            hint_zh = "日期请用 days_between() 或 add_days()。" if hint else ""
            self.report("rules.type_mismatch", pos, op=op, left=left.describe(),
                        right=right.describe(), hint_en=hint, hint_zh=hint_zh)  # fmt: skip
        return ok

    def _arith(self, expr: n.Arith) -> VType:
        acc = self.check(expr.first)
        columns = [acc]
        for op, operand in expr.rest:
            t = self.check(operand)
            columns.append(t)
            if not self._operands(expr.pos, op, acc.scalar(), t.scalar()):
                acc = ANY
            else:
                acc = NUMBER
        return acc.with_column(self.merge(expr.pos, *columns))

    def comparable(self, op: str, left: VType, right: VType) -> bool:
        kinds = {left.kind, right.kind}
        if kinds & {"any", "null"} and op in {"==", "!="}:
            return True
        if "any" in kinds:
            return True
        if op in {"==", "!="}:
            if left.kind == right.kind == "ref":
                return left.ref == right.ref
            return left.kind == right.kind or kinds == {"ref", "text"}
        return left.kind == right.kind and left.kind in _ORDERED

    def _compare(self, expr: n.Compare) -> VType:
        left, right = self.check(expr.left), self.check(expr.right)
        if not self.comparable(expr.op, left, right):
            self.report("rules.type_mismatch", expr.pos, op=expr.op, left=left.describe(),
                        right=right.describe(), hint_en="", hint_zh="")  # fmt: skip
        return BOOLEAN.with_column(self.merge(expr.pos, left, right))

    def _in(self, expr: n.InList) -> VType:
        left = self.scalar(expr.operand, self.check(expr.operand))
        for item in expr.items:
            t = self.scalar(item, self.check(item))
            if not self.comparable("==", left, t):
                self.report("rules.type_mismatch", item.pos, op="in", left=left.describe(),
                            right=t.describe(), hint_en="", hint_zh="")  # fmt: skip
        return BOOLEAN

    def _common(self, pos: n.Pos, op: str, types: Iterable[VType]) -> VType:
        present = [t for t in types if t.kind != "null"]
        if not present:
            return VType("null")
        first = present[0]
        for t in present[1:]:
            if t.kind == "any" or first.kind == "any":
                return ANY.with_column(first.column or t.column)
            if (t.kind, t.ref) != (first.kind, first.ref):
                self.report("rules.type_mismatch", pos, op=op, left=first.describe(),
                            right=t.describe(), hint_en="", hint_zh="")  # fmt: skip
                return ANY
        return first

    # ---- calls ----
    def _call(self, expr: n.Call) -> VType:
        fn = self.functions.get(expr.name)
        args = [self.check(a) for a in expr.args]
        if fn is None:
            self.report("rules.unknown_function", expr.pos, name=expr.name,
                        **problems.suggestion(expr.name, self.functions.names()))  # fmt: skip
            return ANY
        sig = fn.signature
        if not self._arity(expr, sig):
            return ANY
        spread = sig.aggregate and len(args) == 1 and (args[0].column or args[0].kind == "subform")
        column = None if spread else self.merge(expr.pos, *args)
        for index, t in enumerate(args):
            if not accepts(sig.param(index), t.scalar()):
                self.report("rules.bad_argument", expr.args[index].pos, index=index + 1,
                            name=expr.name, expected=describe_param(sig.param(index)),
                            found=t.describe())  # fmt: skip
                return ANY
        scalars = [t.scalar() for t in args]
        return self._result(expr, sig, scalars).with_column(column)

    def _arity(self, expr: n.Call, sig: Signature) -> bool:
        given, low, high = len(expr.args), sig.min_args, sig.max_args
        if given >= low and (high is None or given <= high):
            return True
        expected = f"{low}+" if high is None else (f"{low}" if low == high else f"{low}-{high}")
        self.report("rules.arity", expr.pos, name=expr.name, expected=expected, given=given)
        return False

    def _result(self, expr: n.Call, sig: Signature, args: list[VType]) -> VType:
        if sig.result == "first":
            return args[0] if args else ANY
        if sig.result in {"same", "same_tail"}:
            chosen = args[1:] if sig.result == "same_tail" else args
            if chosen and chosen[0].kind == "subform":
                return ANY
            return self._common(expr.pos, f"{expr.name}()", chosen)
        return VType(sig.result)


def accepts(spec: str, t: VType) -> bool:
    """Whether a parameter of kinds ``spec`` accepts a value of type ``t``."""
    if t.kind in {"any", "null"}:
        return True
    kinds = spec.split("|")
    if t.kind in {"subform", "row"}:
        return t.kind in kinds
    if t.kind == "ref" and f"ref:{t.ref}" in kinds:
        return True
    return "any" in kinds or t.kind in kinds


def describe_param(spec: str) -> str:
    """``"ref:item|text"`` → ``"item reference or text"`` (for messages)."""
    return " or ".join(f"{k[4:]} reference" if k.startswith("ref:") else k for k in spec.split("|"))
