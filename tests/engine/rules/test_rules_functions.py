"""Built-in functions and the function registry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from engine.errors import ValidationError
from engine.rules import (
    DictScope,
    EvalContext,
    FunctionRegistry,
    RuleRuntimeError,
    Signature,
    compile_expression,
    default_functions,
)

SCOPE = DictScope.from_spec(
    {"n": "number", "t": "text", "d": "date", "dt": "datetime", "tags": "multiselect",
     "lines": {"qty": "number", "name": "text"}}  # fmt: skip
)
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 9, 30))
D = Decimal
VAT = Decimal("0.13")
VALUES: dict[str, Any] = {
    "n": D("-2.5"), "t": "Apple pie", "d": date(2026, 1, 31), "dt": datetime(2026, 1, 1, 8),
    "tags": ["vip", "north"],
    "lines": [{"qty": D(1), "name": "a"}, {"qty": None, "name": "b"}, {"qty": D(4), "name": "c"}],
}  # fmt: skip


def ev(text: str, functions: FunctionRegistry | None = None) -> Any:
    return compile_expression(text, SCOPE, functions=functions).evaluate(VALUES, CTX)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sum(1, 2, 3)", D(6)),
        ("sum(lines.qty)", D(5)),
        ("count(lines)", D(3)),
        ("count(lines.qty)", D(2)),
        ("count(1, null, 3)", D(2)),
        ("min(lines.qty)", D(1)),
        ("max(lines.qty)", D(4)),
        ("max(3, 7, 5)", D(7)),
        ("min(lines.name)", "a"),
        ("max(d, date\"2026-02-01\")", date(2026, 2, 1)),
        ("round(2.345, 2)", D("2.35")),
        ("round(2.5)", D("3")),
        ("round(-2.5)", D("-3")),
        ("round(1234.5, -2)", D("1.2E+3")),
        ("abs(n)", D("2.5")),
        ("if(n < 0, 'neg', 'pos')", "neg"),
        ("coalesce(null, null, 3)", D(3)),
        ("coalesce(null)", None),
        ("len(t)", D(9)),
        ("len(tags)", D(2)),
        ("len(lines)", D(3)),
        ("today()", date(2026, 1, 15)),
        ("now()", datetime(2026, 1, 15, 9, 30)),
        ("days_between(today(), d)", D(16)),
        ("days_between(dt, d)", D(30)),
        ("add_days(d, 1)", date(2026, 2, 1)),
        ("add_days(d, -31)", date(2025, 12, 31)),
        ("add_days(dt, 2)", datetime(2026, 1, 3, 8)),
        ("contains(t, 'pie')", True),
        ("contains(tags, 'vip')", True),
        ("contains(tags, 'south')", False),
        ("startswith(t, 'App')", True),
        ("endswith(t, 'pie')", True),
        ("concat(t, ' x', 2, ' ', d)", "Apple pie x2 2026-01-31"),
        ("sum(round(coalesce(lines.qty, 0) / 3, 1))", D("1.6")),
        ("max(len(lines.name))", D(1)),
    ],
)
def test_builtins(text: str, expected: Any) -> None:
    result = ev(text)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("round(n, 0.5)", "rules.type_error"),
        ("add_days(d, 1.5)", "rules.type_error"),
        ("add_days(d, 100000000)", "rules.type_error"),
        ("add_days(d, -999999)", "rules.arithmetic_error"),
        ("days_between(null, d)", "rules.null_value"),
        ("startswith(t, null)", "rules.null_value"),
        ("round(10000000000000000000000000000000000, 2)", "rules.arithmetic_error"),
    ],
)
def test_builtin_runtime_errors(text: str, code: str) -> None:
    with pytest.raises(RuleRuntimeError) as info:
        ev(text)
    assert info.value.code == code


def test_registry_names_cover_the_required_set() -> None:
    required = {"sum", "count", "min", "max", "round", "abs", "if", "coalesce", "len", "today",
                "now", "days_between", "add_days", "contains", "startswith"}  # fmt: skip
    assert required <= set(default_functions().names())


def test_default_registry_is_fresh_each_time() -> None:
    a, b = default_functions(), default_functions()
    a.register("double", Signature(("number",), "number"), lambda ctx, x: x * 2)
    assert a.get("double") is not None and b.get("double") is None


def test_plugin_function_is_checked_and_called() -> None:
    registry = default_functions()
    registry.register("vat", Signature(("number", "number"), "number", optional=1),
                      lambda ctx, amount, rate=VAT: amount * rate)  # fmt: skip
    registry.freeze()
    assert ev("vat(100)", registry) == D("13.00")
    assert ev("sum(vat(coalesce(lines.qty, 0), 0.5))", registry) == D("2.5")
    with pytest.raises(ValidationError) as info:
        compile_expression("vat(t)", SCOPE, functions=registry)
    assert info.value.code == "rules.bad_argument"
    with pytest.raises(ValidationError):
        compile_expression("vat(1)", SCOPE)  # not in the default registry


def test_frozen_registry_and_bad_names() -> None:
    registry = default_functions().freeze()
    with pytest.raises(RuntimeError):
        registry.register("x", Signature((), "number"), lambda ctx: 1)
    fresh = default_functions()
    with pytest.raises(ValueError):
        fresh.register("sum", Signature((), "number"), lambda ctx: 1)
    with pytest.raises(ValueError):
        fresh.register("not a name", Signature((), "number"), lambda ctx: 1)


def test_a_failing_plugin_function_becomes_a_rules_error() -> None:
    def broken(ctx: EvalContext, value: object) -> object:
        raise ValueError("remote table missing")

    registry = default_functions()
    registry.register("broken", Signature(("any",), "number"), broken)
    with pytest.raises(RuleRuntimeError) as info:
        ev("broken(1) > 0", registry)
    assert info.value.code == "rules.function_failed"
    assert "remote table missing" in info.value.problems[0].message.en
