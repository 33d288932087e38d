"""The public entry points: check, compile, evaluate.

* :func:`check_rules` returns every problem of a rule set (syntax, names, types,
  events, warnings) and never raises on user data: the editor and the publish
  checker call it.
* :func:`compile_rules` raises one :class:`~engine.errors.ValidationError` with all
  errors, or returns :class:`CompiledRules`; warnings stay on ``.warnings``.
* :func:`compile_expression` does the same for one formula or condition.

Compiled objects are immutable and hold closures only: evaluation never parses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import Message, Problem, Source, ValidationError

from . import events as ev
from . import nodes as n
from . import problems
from .check_expr import ExprChecker
from .checker import Checked, check_program
from .compile_expr import ExprCompiler
from .compile_stmt import Exec, StmtCompiler
from .effects import Effect
from .functions import FunctionRegistry, default_functions
from .limits import Limits
from .parser import parse_expression, parse_program
from .runtime import Env, EvalContext, Fault, RuleRuntimeError, StepLimitExceeded, truth
from .types import Scope, VType
from .verbs import VerbRegistry, default_verbs


@functools.cache
def _builtins() -> FunctionRegistry:
    return default_functions().freeze()


@functools.cache
def _builtin_verbs() -> VerbRegistry:
    return default_verbs().freeze()


def split_message(text: str) -> Message:
    """``"中文 / English"`` → Message(en, zh); a text without `` / `` serves both."""
    if " / " not in text:
        return Message(text, text)
    left, right = (part.strip() for part in text.split(" / ", 1))
    if _has_cjk(right) and not _has_cjk(left):
        return Message(left, right)
    return Message(right, left)


def _has_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    """A checked, compiled formula or condition."""

    text: str
    type: VType
    cost: int
    fn: Callable[[Any], Any]
    name: str | None = None

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Any:
        """The value of the expression for ``values`` (a document or one row)."""
        env = Env(values, ctx, self.name)
        env.charge(self.cost, _START)
        return self.fn(env)


_START = n.Pos(1, 1)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    index: int
    pos: n.Pos
    keys: frozenset[tuple[str, str | None]]
    run: Exec


@dataclass(frozen=True, slots=True)
class CompiledValidation:
    index: int
    pos: n.Pos
    cost: int
    test: Callable[[Any], Any]
    message: Message


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """A compiled rule set for one form."""

    name: str
    form: str
    rules: tuple[CompiledRule, ...]
    validations: tuple[CompiledValidation, ...]
    warnings: tuple[Problem, ...]

    def effects(self, form: str, event: str, node: str | None,
                document: Mapping[str, Any], ctx: EvalContext) -> list[Effect]:  # fmt: skip
        """The effects of ``event`` (at ``node``, or final when None) on ``document``.

        Rules run in file order and share one step and effect budget. Raises
        :class:`~.runtime.RuleRuntimeError` (or its limit subclasses).
        """
        canonical = ev.canonical(event)
        if canonical is None:
            raise RuleRuntimeError(problems.make("rules.unknown_event", None, rule=self.name,
                                   form=form, name=event, suggest_en="", suggest_zh=""))  # fmt: skip
        env = Env(document, ctx, self.name, self.form)
        if form != self.form:
            return []
        key = (canonical, node)
        for rule in self.rules:
            if key in rule.keys:
                env.rule_index = rule.index
                rule.run(env)
        return list(env.effects)  # type: ignore[arg-type]

    def validate(self, document: Mapping[str, Any], ctx: EvalContext) -> list[Problem]:
        """Problems for the validations that fail (or cannot be evaluated)."""
        env = Env(document, ctx, self.name, self.form)
        found: list[Problem] = []
        for check in self.validations:
            env.charge(check.cost, check.pos)
            try:
                ok = truth(check.test(env))
            except StepLimitExceeded:
                raise
            except Fault as fault:
                found.extend(fault.located(check.pos, env).problems)
                continue
            except RuleRuntimeError as error:
                found.extend(error.problems)
                continue
            if not ok:
                source = Source(form=self.form, rule=self.name, line=check.pos.line,
                                column=check.pos.column)  # fmt: skip
                found.append(Problem("rules.validation_failed", check.message, source))
        return found


def check_rules(text: str, scope: Scope, *, form: str, name: str = "rules",
                functions: FunctionRegistry | None = None, verbs: VerbRegistry | None = None,
                limits: Limits | None = None) -> list[Problem]:  # fmt: skip
    """Every problem of ``text`` for ``form`` (errors and warnings); never raises."""
    try:
        program = parse_program(text, rule=name, limits=limits)
    except ValidationError as error:
        return list(error.problems)
    checked = check_program(program, scope, form=form, functions=functions or _builtins(),
                            verbs=verbs or _builtin_verbs(), rule=name)  # fmt: skip
    return checked.problems


def compile_rules(text: str, scope: Scope, *, form: str, name: str = "rules",
                  functions: FunctionRegistry | None = None, verbs: VerbRegistry | None = None,
                  limits: Limits | None = None) -> CompiledRules:  # fmt: skip
    """Parse, check and compile ``text`` for ``form``; raise ValidationError on errors.

    ``functions`` and ``verbs`` default to the built-in (frozen) registries."""
    registry = functions or _builtins()
    program = parse_program(text, rule=name, limits=limits)
    checked = check_program(program, scope, form=form, functions=registry,
                            verbs=verbs or _builtin_verbs(), rule=name)  # fmt: skip
    if checked.errors:
        raise ValidationError(checked.errors)
    return _build(program, checked, registry, name, form)


def _build(program: n.Program, checked: Checked, registry: FunctionRegistry,
           name: str, form: str) -> CompiledRules:  # fmt: skip
    exprs = ExprCompiler(checked.types, checked.plans, registry)
    stmts = StmtCompiler(exprs, checked.verbs)
    rules = tuple(
        CompiledRule(b.rule.index, b.rule.pos, frozenset(b.keys), stmts.block(b.rule.body))
        for b in checked.rules
    )
    checks = tuple(
        CompiledValidation(v.index, v.pos, 1 + n.size(v.test), exprs.compile(v.test),
                           split_message(v.message))  # fmt: skip
        for v in program.validations
    )
    warnings = tuple(p for p in checked.problems if not problems.is_error(p))
    return CompiledRules(name, form, rules, checks, warnings)


def compile_expression(text: str, scope: Scope, *, name: str | None = None,
                       functions: FunctionRegistry | None = None,
                       limits: Limits | None = None) -> CompiledExpression:  # fmt: skip
    """Parse, check and compile one expression; raise ValidationError on errors."""
    registry = functions or _builtins()
    expr = parse_expression(text, rule=name, limits=limits)
    checker = ExprChecker(scope, registry, rule=name)
    vtype = checker.scalar(expr, checker.check(expr))
    errors = [p for p in checker.problems if problems.is_error(p)]
    if errors:
        raise ValidationError(errors)
    fn = ExprCompiler(checker.types, checker.plans, registry).compile(expr)
    return CompiledExpression(text, vtype, n.size(expr), fn, name)
