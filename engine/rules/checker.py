"""The static checker: rules, events, statements and stock verbs.

:func:`check_program` walks a parsed :class:`~.nodes.Program` for one form and
returns a :class:`Checked` holding every problem (errors and warnings), the
inferred types and path plans, and the rules that apply to the form. It never
raises on user data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import Problem

from . import events, problems
from . import nodes as n
from .check_expr import Binding, ExprChecker, PathPlan
from .functions import FunctionRegistry
from .types import Scope, VType
from .verbs import Verb, VerbRegistry


@dataclass(frozen=True, slots=True)
class BoundRule:
    """A rule that applies to the checked form, with its canonical (event, node) keys."""

    rule: n.Rule
    keys: tuple[tuple[str, str | None], ...]


@dataclass
class Checked:
    problems: list[Problem]
    types: dict[int, VType]
    plans: dict[int, PathPlan]
    rules: list[BoundRule] = field(default_factory=list)
    verbs: dict[int, Verb] = field(default_factory=dict)  # id(stock statement) → its verb

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if problems.is_error(p)]


class RuleChecker:
    def __init__(self, scope: Scope, functions: FunctionRegistry, verbs: VerbRegistry,
                 form: str, rule: str | None) -> None:  # fmt: skip
        self.form = form
        self.verbs = verbs
        self.resolved: dict[int, Verb] = {}
        self.x = ExprChecker(scope, functions, rule=rule, form=form)
        self.seen: dict[tuple[str, str | None], int] = {}
        self.bound: list[BoundRule] = []

    def report(self, code: str, pos: n.Pos, **params: object) -> None:
        self.x.report(code, pos, **params)

    # ---- top level ----
    def program(self, program: n.Program) -> Checked:
        for rule in program.rules:
            self.rule(rule)
        for check in program.validations:
            self.x.condition(check.test)
        return Checked(self.x.problems, self.x.types, self.x.plans, self.bound, self.resolved)

    def rule(self, rule: n.Rule) -> None:
        if rule.form != self.form:
            self.report("rules.other_form", rule.form_pos, rule_form=rule.form, expected=self.form)
            return
        keys = self.events(rule)
        self.bound.append(BoundRule(rule, keys))
        self.block(rule.body)

    def events(self, rule: n.Rule) -> tuple[tuple[str, str | None], ...]:
        keys: list[tuple[str, str | None]] = []
        for name in rule.events:
            event = events.canonical(name.name)
            if event is None:
                self.report("rules.unknown_event", name.pos, name=name.name,
                            **problems.suggestion(name.name, events.ALIASES))  # fmt: skip
                continue
            if rule.node is not None and event not in events.NODE_EVENTS:
                self.report("rules.node_not_allowed", name.pos, event=event)
                continue
            key = (event, rule.node)
            if key in self.seen:
                node = f" at {rule.node}" if rule.node else ""
                self.report("rules.duplicate_rule", name.pos, rule_form=rule.form, event=event,
                            node=node, first=self.seen[key])  # fmt: skip
                continue
            self.seen[key] = name.pos.line
            keys.append(key)
        return tuple(keys)

    # ---- statements ----
    def block(self, body: tuple[n.Stmt, ...], bindings: dict[str, Binding] | None = None) -> None:
        self.x.names.append(dict(bindings or {}))
        try:
            for stmt in body:
                self.statement(stmt)
        finally:
            self.x.names.pop()

    def statement(self, stmt: n.Stmt) -> None:
        match stmt:
            case n.Let():
                t = self.x.scalar(stmt.value, self.x.check(stmt.value))
                if self.free(stmt.name, stmt.pos):
                    self.x.names[-1][stmt.name] = Binding("let", t)
            case n.When():
                self.x.condition(stmt.test)
                if _always_false(stmt.test):
                    self.report("rules.unreachable", stmt.pos)
                self.block(stmt.body)
            case n.For():
                self.loop(stmt)
            case n.Stock():
                self.stock(stmt)
            case n.ReleaseAll():
                pass
            case n.Lock():
                self.lock(stmt)

    def free(self, name: str, pos: n.Pos) -> bool:
        used = None
        if self.x.binding(name) is not None:
            used = "variable"
        elif self.x.scope.field(name) is not None:
            used = "field"
        elif self.x.scope.constant(name) is not None:
            used = "tenant name"
        if used:
            self.report("rules.name_in_use", pos, name=name, used=used)
        return used is None

    def loop(self, stmt: n.For) -> None:
        t = self.x.check(stmt.source)
        row = VType("any")
        if t.kind == "subform":
            row = VType("row", scope=t.scope)
        elif t.kind != "any":
            label = stmt.source.dotted if isinstance(stmt.source, n.Path) else "this value"
            self.report("rules.not_a_subform", stmt.source.pos, path=label, found=t.describe())
        self.free(stmt.var, stmt.pos)
        self.block(stmt.body, {stmt.var: Binding("loop", row)})

    def stock(self, stmt: n.Stock) -> None:
        qty = self.value(stmt.qty)
        if qty.kind not in {"number", "any"}:
            self.report("rules.not_a_quantity", stmt.qty.pos, found=qty.describe())
        item = self.value(stmt.item)
        if not (item.kind == "any" or (item.kind == "ref" and item.ref == "item")):
            self.report("rules.not_an_item", stmt.item.pos, found=item.describe())
        if stmt.explosion and stmt.explosion.depth is not None:
            depth = self.value(stmt.explosion.depth)
            if depth.kind not in {"number", "any"}:
                self.report("rules.bad_clause", stmt.explosion.depth.pos, clause="bom depth",
                            problem="must be a number", problem_zh="必须是数字")  # fmt: skip
        for location in (stmt.location, stmt.to_location):
            if location is not None:
                self.location(location)
        verb = self.verbs.get(stmt.word)
        if verb is None:
            self.report("rules.unknown_verb", stmt.pos, name=stmt.word,
                        verbs=", ".join(self.verbs.words()),
                        **problems.suggestion(stmt.word, self.verbs.words()))  # fmt: skip
            return
        self.resolved[id(stmt)] = verb
        if stmt.prep not in verb.prepositions:
            self.report("rules.bad_preposition", stmt.prep_pos, verb=stmt.word, prep=stmt.prep,
                        allowed=verb.prepositions[0])  # fmt: skip
        if verb.can.destination and stmt.to_location is None:
            self.report("rules.missing_destination", stmt.location.pos, verb=stmt.word)
        elif stmt.to_location is not None and not verb.can.destination:
            self.report("rules.unexpected_destination", stmt.to_location.pos, verb=stmt.word)
        self.clauses(stmt, verb)

    def lock(self, stmt: n.Lock) -> None:
        t = self.value(stmt.location)
        if not (t.kind == "any" or (t.kind == "ref" and t.ref == "location")):
            self.report("rules.bad_lock", stmt.location.pos,
                        verb="lock" if stmt.locked else "unlock", found=t.describe())  # fmt: skip

    def value(self, expr: n.Expr) -> VType:
        return self.x.scalar(expr, self.x.check(expr))

    def location(self, expr: n.Expr) -> None:
        t = self.value(expr)
        if not (t.kind == "any" or (t.kind == "ref" and t.ref == "location")):
            self.report("rules.not_a_location", expr.pos, found=t.describe())

    def clauses(self, stmt: n.Stock, verb: Verb) -> None:
        c, can = stmt.clauses, verb.can
        for name, pos in c.repeated:
            self.report("rules.duplicate_clause", pos, clause=name)
        checks = (
            ("batch", c.batch, {"ref", "text"}, True, "a batch or a text"),
            ("expires", c.expiry, {"date"}, can.expiry, "a date"),
            ("cost", c.cost, {"number"}, can.cost, "a number"),
        )
        for name, expr, kinds, allowed, wanted in checks:
            if expr is None:
                continue
            t = self.value(expr)
            if not allowed:
                self.report("rules.bad_clause", expr.pos, clause=name,
                            problem=f"cannot be used with {stmt.word}",
                            problem_zh=f"不能用于 {stmt.word}")  # fmt: skip
            elif t.kind not in kinds | {"any", "null"} or (t.kind == "ref" and t.ref != "batch"):
                self.report("rules.bad_clause", expr.pos, clause=name,
                            problem=f"must be {wanted}, not {t.describe()}",
                            problem_zh=f"必须是{wanted}，而不是 {t.describe()}")  # fmt: skip
        if c.policy and not can.pick_policy:
            self.report("rules.bad_clause", stmt.pos, clause=c.policy,
                        problem=f"cannot be used with {stmt.word}",
                        problem_zh=f"不能用于 {stmt.word}")  # fmt: skip


def _always_false(expr: n.Expr) -> bool:
    if isinstance(expr, n.Literal):
        return expr.value is False or expr.value is None
    if isinstance(expr, n.Not):
        return isinstance(expr.operand, n.Literal) and expr.operand.value is True
    if isinstance(expr, n.Logic) and expr.op == "and":
        return any(_always_false(e) for e in expr.operands)
    return False


def check_program(program: n.Program, scope: Scope, *, form: str, functions: FunctionRegistry,
                  verbs: VerbRegistry, rule: str | None = None) -> Checked:  # fmt: skip
    """Check ``program`` for ``form`` against ``scope``; see :class:`Checked`."""
    return RuleChecker(scope, functions, verbs, form, rule).program(program)
