"""What evaluation runs with: the context, the decimal context, the errors, the budget.

:class:`EvalContext` is everything from outside that an evaluation may see: the
date and time (never the clock), a ``lookup`` callback to read attributes of
referenced records (``line.item.category``) and a :class:`LedgerReader` for the
functions that read stock figures (``on_hand`` …). Functions and closures raise
:class:`Fault` (no position); the compiled node that catches it re-raises a
:class:`RuleRuntimeError` pointing at itself.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from engine.errors import EngineError

from . import problems
from .effects import Ref
from .limits import DEFAULT_LIMITS, Limits
from .nodes import Pos

# Division and every other operation round to 28 significant digits, half-even.
# This context is used through its methods (CTX.add, CTX.divide …): the global
# decimal context is never read or changed.
CTX = decimal.Context(
    prec=28, rounding=decimal.ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)  # fmt: skip


class Lookup(Protocol):
    """Reads attribute ``attr`` of the ``kind`` record ``ref``.

    Return None when the attribute is empty; raise LookupError when there is no
    such record. Must not do slow I/O per call (services pass a preloaded cache).
    """

    def __call__(self, *, kind: str, ref: object, attr: str) -> object: ...


class LedgerReader(Protocol):
    """Read-only stock figures for the ledger functions (``on_hand``, ``unit_cost`` …).

    ``item`` and ``location`` are the references a document holds (codes or ids).
    Every method returns an exact ``Decimal`` (an ``int`` is accepted) and must be
    deterministic for one evaluation: services pass a reader over a snapshot or a
    preloaded cache, never one that does slow I/O per call. Raise ``LookupError``
    for an unknown item or location (``rules.ledger_failed``).
    """

    def on_hand(self, item: Ref, location: Ref) -> Decimal:
        """Quantity on hand of ``item`` at ``location``."""

    def available(self, item: Ref, location: Ref) -> Decimal:
        """On hand minus open reservations."""

    def avg_daily_issue(self, item: Ref, location: Ref | None, days: int) -> Decimal:
        """Average quantity issued per day over the last ``days`` days (today included).

        ``location`` None means all internal locations.
        """

    def reorder_point(self, item: Ref) -> Decimal:
        """The item's reorder point (0 when it has none)."""

    def unit_cost(self, item: Ref) -> Decimal:
        """The item's current average unit cost."""


@dataclass(frozen=True, slots=True)
class EvalContext:
    """The outside world as one evaluation sees it.

    ``ledger`` serves the ledger functions; without it they fail with
    ``rules.no_ledger`` (formula fields, for instance, are computed without one).
    """

    today: date
    now: datetime
    lookup: Lookup | None = None
    limits: Limits = field(default=DEFAULT_LIMITS)
    ledger: LedgerReader | None = None


class RuleRuntimeError(EngineError):
    """A rule failed while evaluating (``rules.null_value``, ``rules.type_error`` …)."""

    status = 422


class StepLimitExceeded(RuleRuntimeError):
    """Evaluation went past :attr:`Limits.max_steps` (``rules.step_limit``)."""


class EffectLimitExceeded(RuleRuntimeError):
    """One event produced more than :attr:`Limits.max_effects` (``rules.effect_limit``)."""


class Fault(Exception):
    """A runtime problem that does not yet know where it happened."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def located(self, pos: Pos, env: Env) -> RuleRuntimeError:
        return RuleRuntimeError(
            problems.make(self.code, pos, rule=env.rule, form=env.form, **self.params)
        )


class Env:
    """The mutable state of one evaluation: values, bindings, budget, effects."""

    __slots__ = (
        "ctx", "effects", "form", "max_effects", "max_steps", "rows", "rule",
        "rule_index", "steps", "values", "vars",
    )  # fmt: skip

    def __init__(self, values: Mapping[str, Any], ctx: EvalContext,
                 rule: str | None = None, form: str | None = None) -> None:  # fmt: skip
        if type(values) is not dict and not isinstance(values, Mapping):
            raise RuleRuntimeError(problems.make(
                "rules.bad_document", None, rule=rule, form=form,
                what="The document", expected="a mapping of field names to values",
            ))  # fmt: skip
        self.values = values
        self.vars: dict[str, Any] = {}
        self.ctx = ctx
        self.steps = 0
        self.max_steps = ctx.limits.max_steps
        self.max_effects = ctx.limits.max_effects
        self.effects: list[object] = []
        self.rows: list[int] = []
        self.rule = rule
        self.form = form
        self.rule_index = -1

    def charge(self, cost: int, pos: Pos) -> None:
        self.steps += cost
        if self.steps > self.max_steps:
            raise StepLimitExceeded(problems.make(
                "rules.step_limit", pos, rule=self.rule, form=self.form, limit=self.max_steps
            ))  # fmt: skip

    def emit(self, effect: object, pos: Pos) -> None:
        if len(self.effects) >= self.max_effects:
            raise EffectLimitExceeded(problems.make(
                "rules.effect_limit", pos, rule=self.rule, form=self.form,
                limit=self.max_effects,
            ))  # fmt: skip
        self.effects.append(effect)


def kind_of(value: object) -> str:
    """A user-facing name for the type of a runtime value."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | decimal.Decimal):
        return "number"
    if isinstance(value, float):
        return "floating-point number (use Decimal)"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "record"
    return type(value).__name__


def number(value: object, what: str = "The value") -> decimal.Decimal | int:
    """``value`` if it is a number (Decimal or int, not bool), else a Fault."""
    if type(value) is decimal.Decimal:
        if value.is_finite():
            return value
        raise Fault("rules.type_error", expected="a finite number", found=str(value))
    if type(value) is int:
        return value
    if value is None:
        raise Fault("rules.null_value", what=what)
    raise Fault("rules.type_error", expected="a number", found=kind_of(value))


def reference(value: object, what: str) -> Ref:
    """``value`` if it is a reference (a code or an integer id), else a Fault."""
    if type(value) is str or type(value) is int:
        return value
    if value is None:
        raise Fault("rules.null_value", what=what)
    raise Fault("rules.bad_reference", what=what, found=kind_of(value))


def truth(value: object) -> bool:
    """Conditions: True is true; False and empty (null) are false; others are errors."""
    if value is True:
        return True
    if value is False or value is None:
        return False
    raise Fault("rules.type_error", expected="true or false", found=kind_of(value))


def rows_of(value: object, what: str) -> list[Any]:
    """The rows of a subform value (empty when absent)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise Fault("rules.bad_document", what=what, expected="a list of rows")
