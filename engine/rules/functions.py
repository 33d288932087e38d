"""The function registry and the built-in functions.

A function has a :class:`Signature` (parameter kinds, result kind, variadic,
optional and aggregate flags) the checker uses, and an implementation
``impl(ctx, *args)`` the evaluator calls with plain values. Implementations are
pure: they read the clock only through ``ctx``. Plugins add functions with
:meth:`FunctionRegistry.register` before the registry is frozen; the default
registry is built fresh by :func:`default_functions`.

Aggregates (``sum``, ``count``, ``min``, ``max``) called with one column or one
subform receive its values spread as arguments; every other function applied to
columns runs row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, DecimalException
from typing import Any

from . import ledger_functions as lf
from .runtime import CTX, EvalContext, Fault, kind_of, number

Impl = Callable[..., object]


@dataclass(frozen=True, slots=True)
class Signature:
    """Parameter kinds are value kinds joined by ``|`` (``"number|date"``) or ``any``;
    ``ref`` is any reference and ``ref:<kind>`` a reference to one kind (``ref:item``).

    ``result`` is a value kind, ``first`` (the type of the first argument), ``same``
    (the common type of the arguments) or ``same_tail`` (the common type of all
    arguments but the first).
    """

    params: tuple[str, ...]
    result: str
    variadic: bool = False  # the last parameter repeats
    optional: int = 0  # how many trailing parameters may be left out
    aggregate: bool = False  # one column/subform argument is spread into the call
    doc: str = ""

    @property
    def min_args(self) -> int:
        return len(self.params) - self.optional

    @property
    def max_args(self) -> int | None:
        return None if self.variadic else len(self.params)

    def param(self, index: int) -> str:
        return self.params[min(index, len(self.params) - 1)]


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    signature: Signature
    impl: Impl


class FunctionRegistry:
    """Named functions. Register, then :meth:`freeze`, then pass it in."""

    __slots__ = ("_frozen", "_functions")

    def __init__(self, functions: Iterable[Function] = ()) -> None:
        self._functions: dict[str, Function] = {}
        self._frozen = False
        for fn in functions:
            self.register(fn.name, fn.signature, fn.impl)

    def register(self, name: str, signature: Signature, impl: Impl) -> None:
        if self._frozen:
            raise RuntimeError("the function registry is frozen")
        if not name.isidentifier() or name in self._functions:
            raise ValueError(f"bad or duplicate function name {name!r}")
        self._functions[name] = Function(name, signature, impl)

    def freeze(self) -> FunctionRegistry:
        self._frozen = True
        return self

    def get(self, name: str) -> Function | None:
        return self._functions.get(name)

    def names(self) -> list[str]:
        return sorted(self._functions)


# ---- implementations ----


def _sum(ctx: EvalContext, *values: object) -> Decimal:
    total = Decimal(0)
    for value in values:
        if value is not None:
            total = CTX.add(total, number(value))
    return total


def _count(ctx: EvalContext, *values: object) -> Decimal:
    return Decimal(sum(1 for v in values if v is not None))


def _extreme(pick: Callable[[list[Any]], object]) -> Impl:
    def impl(ctx: EvalContext, *values: object) -> object:
        present = [v for v in values if v is not None]
        if not present:
            return None
        try:
            return pick(present)
        except TypeError:
            raise Fault("rules.type_error", expected="values of one kind",
                        found=", ".join(sorted({kind_of(v) for v in present}))) from None  # fmt: skip

    return impl


def _least(values: list[Any]) -> object:
    return min(values)


def _greatest(values: list[Any]) -> object:
    return max(values)


def _integer(value: object, what: str) -> int:
    num = number(value, what)
    if isinstance(num, Decimal):
        if num != num.to_integral_value() or abs(num) > 1_000_000:
            raise Fault("rules.type_error", expected="a whole number", found=str(num))
        return int(num)
    return num


def _round(ctx: EvalContext, value: object, digits: object = 0) -> Decimal:
    places = _integer(digits, "The number of digits")
    num = Decimal(number(value, "The value"))
    try:
        return num.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=CTX)
    except DecimalException:
        raise Fault("rules.arithmetic_error", detail=f"cannot round {num} to {places} places") from None


def _abs(ctx: EvalContext, value: object) -> Decimal:
    return CTX.abs(Decimal(number(value, "The value")))


def _coalesce(ctx: EvalContext, *values: object) -> object:
    return next((v for v in values if v is not None), None)


def _if(ctx: EvalContext, test: object, then: object, other: object) -> object:
    return then if test is True else other


def _len(ctx: EvalContext, value: object) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, str | list | tuple):
        return Decimal(len(value))
    raise Fault("rules.type_error", expected="text or a list", found=kind_of(value))


def _day(value: object, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value is None:
        raise Fault("rules.null_value", what=what)
    raise Fault("rules.type_error", expected="a date", found=kind_of(value))


def _days_between(ctx: EvalContext, start: object, end: object) -> Decimal:
    return Decimal((_day(end, "The end date") - _day(start, "The start date")).days)


def _add_days(ctx: EvalContext, value: object, days: object) -> object:
    _day(value, "The date")
    assert isinstance(value, date)
    try:
        return value + timedelta(days=_integer(days, "The number of days"))
    except OverflowError:
        raise Fault("rules.arithmetic_error", detail="the date is out of range") from None


def _text(value: object, what: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise Fault("rules.null_value", what=what)
    raise Fault("rules.type_error", expected="text", found=kind_of(value))


def _contains(ctx: EvalContext, haystack: object, needle: object) -> bool:
    if haystack is None:
        return False
    if isinstance(haystack, str):
        return _text(needle, "The text to look for") in haystack
    if isinstance(haystack, list | tuple):
        return needle in haystack
    raise Fault("rules.type_error", expected="text or a list", found=kind_of(haystack))


def _startswith(ctx: EvalContext, value: object, prefix: object) -> bool:
    return value is not None and _text(value, "The text").startswith(_text(prefix, "The prefix"))


def _endswith(ctx: EvalContext, value: object, suffix: object) -> bool:
    return value is not None and _text(value, "The text").endswith(_text(suffix, "The suffix"))


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _concat(ctx: EvalContext, *values: object) -> str:
    return "".join(_display(v) for v in values)


def _today(ctx: EvalContext) -> date:
    return ctx.today


def _now(ctx: EvalContext) -> datetime:
    return ctx.now


_NUM, _ORD = "number", "number|date|datetime|text"
_ITEM, _LOC = "ref:item", "ref:location"

BUILTINS: tuple[Function, ...] = (
    Function("sum", Signature((_NUM,), _NUM, variadic=True, aggregate=True, doc="Sum; empty values are skipped."), _sum),
    Function("count", Signature(("any|subform",), _NUM, variadic=True, aggregate=True, doc="Number of non-empty values (or rows)."), _count),
    Function("min", Signature((_ORD,), "same", variadic=True, aggregate=True, doc="Smallest non-empty value."), _extreme(_least)),
    Function("max", Signature((_ORD,), "same", variadic=True, aggregate=True, doc="Largest non-empty value."), _extreme(_greatest)),
    Function("round", Signature((_NUM, _NUM), _NUM, optional=1, doc="Round half up to N decimal places (default 0)."), _round),
    Function("abs", Signature((_NUM,), _NUM, doc="Absolute value."), _abs),
    Function("if", Signature(("boolean", "any", "any"), "same_tail", doc="if(c, a, b) is `a if c else b`; only the chosen branch is evaluated."), _if),
    Function("coalesce", Signature(("any",), "same", variadic=True, doc="The first non-empty value."), _coalesce),
    Function("len", Signature(("text|list|subform",), _NUM, doc="Length of a text, a list or a subform."), _len),
    Function("today", Signature((), "date", doc="Today's date, from the evaluation context."), _today),
    Function("now", Signature((), "datetime", doc="The current date-time, from the evaluation context."), _now),
    Function("days_between", Signature(("date|datetime", "date|datetime"), _NUM, doc="Whole days from the first date to the second."), _days_between),
    Function("add_days", Signature(("date|datetime", _NUM), "first", doc="The date N days later (N may be negative)."), _add_days),
    Function("contains", Signature(("text|list", "any"), "boolean", doc="Whether a text contains a text, or a list an element."), _contains),
    Function("startswith", Signature(("text", "text"), "boolean", doc="Whether a text starts with another."), _startswith),
    Function("endswith", Signature(("text", "text"), "boolean", doc="Whether a text ends with another."), _endswith),
    Function("concat", Signature(("any",), "text", variadic=True, doc="Join values as text."), _concat),
    # ---- reading the ledger (through ctx.ledger) ----
    Function("on_hand", Signature((_ITEM, _LOC), _NUM, doc="Quantity on hand of an item at a location."), lf.on_hand),
    Function("available", Signature((_ITEM, _LOC), _NUM, doc="On hand minus reserved, of an item at a location."), lf.available),
    Function("avg_daily_issue", Signature((_ITEM, _NUM, _LOC), _NUM, optional=1, doc="Average quantity issued per day over the last N days (at a location, or all internal ones)."), lf.avg_daily_issue),
    Function("reorder_point", Signature((_ITEM,), _NUM, doc="The item's reorder point."), lf.reorder_point),
    Function("unit_cost", Signature((_ITEM,), _NUM, doc="The item's current average unit cost."), lf.unit_cost),
)  # fmt: skip


def default_functions() -> FunctionRegistry:
    """A new, unfrozen registry with the built-in functions."""
    return FunctionRegistry(BUILTINS)
