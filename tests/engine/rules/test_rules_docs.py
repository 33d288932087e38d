"""Every example in docs/rules.md runs: scope, rules, expect and expr blocks.

The format is described at the end of docs/rules.md ("How this page is tested").
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.errors import ValidationError
from engine.rules import (
    DictLedger,
    DictScope,
    EvalContext,
    check_rules,
    compile_expression,
    compile_rules,
)
from engine.rules.problems import CATALOG, is_error

DOC = Path(__file__).resolve().parents[3] / "docs" / "rules.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 9, 0))


@dataclass
class Example:
    kind: str  # rules | expr
    text: str
    line: int
    scope: dict[str, Any]
    expect: dict[str, Any] = field(default_factory=dict)


def typed(value: Any, spec: Any) -> Any:
    if isinstance(spec, dict) and "kind" not in spec:
        if isinstance(value, list):
            return [typed(row, spec) for row in value]
        return {k: typed(v, spec.get(k, "text")) for k, v in value.items()}
    kind = spec["kind"] if isinstance(spec, dict) else spec
    if value is None:
        return None
    if kind in {"number", "money"}:
        return Decimal(value)
    if kind == "date":
        return date.fromisoformat(value)
    return value


def examples() -> list[Example]:
    text = DOC.read_text("utf-8")
    found: list[Example] = []
    scope: dict[str, Any] = {}
    for match in FENCE.finditer(text):
        kind, body = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        if kind == "scope":
            scope = json.loads(body)
        elif kind in {"rules", "expr"}:
            found.append(Example(kind, body, line, scope))
        elif kind == "expect":
            assert found and found[-1].kind == "rules" and not found[-1].expect, line
            found[-1].expect = json.loads(body)
    return found


EXAMPLES = examples()


def build_scope(spec: dict[str, Any]) -> DictScope:
    return DictScope.from_spec(spec["fields"], constants=spec.get("constants"))


def context(spec: dict[str, Any]) -> EvalContext:
    """The docs' context, with a DictLedger when the scope has a ``ledger``."""
    if "ledger" not in spec:
        return CTX
    return dataclasses.replace(CTX, ledger=DictLedger.from_dict(spec["ledger"], today=CTX.today))


def document(spec: dict[str, Any]) -> dict[str, Any]:
    return typed(spec.get("document", {}), spec["fields"])  # type: ignore[no-any-return]


def test_the_page_has_examples_of_every_kind() -> None:
    kinds = {e.kind for e in EXAMPLES}
    assert kinds == {"rules", "expr"}
    assert sum(1 for e in EXAMPLES if e.kind == "rules") >= 12
    assert sum(1 for e in EXAMPLES if e.expect.get("effects")) >= 6
    assert any("ledger" in e.scope for e in EXAMPLES if e.kind == "expr")
    assert {"lock", "unlock"} <= {
        effect.get("type") for e in EXAMPLES for effect in e.expect.get("effects", [])
    }


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "rules"],
                         ids=lambda e: f"line{e.line}")  # fmt: skip
def test_rules_example(example: Example) -> None:
    scope, form = build_scope(example.scope), example.scope["form"]
    expected_codes = example.expect.get("problems")
    if expected_codes is not None:
        got = [p.code for p in check_rules(example.text, scope, form=form)]
        assert got == expected_codes
        return
    problems = check_rules(example.text, scope, form=form)
    assert [p for p in problems if is_error(p)] == []
    compiled = compile_rules(example.text, scope, form=form)
    if "event" in example.expect:
        effects = compiled.effects(form, example.expect["event"], example.expect.get("node"),
                                   document(example.scope), context(example.scope))  # fmt: skip
        got = [e.as_dict() for e in effects]
        want = example.expect["effects"]
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert {k: g.get(k) for k in w} == w
    if "validate" in example.expect:
        failed = compiled.validate(document(example.scope), context(example.scope))
        assert [p.code for p in failed] == example.expect["validate"]


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "expr"],
                         ids=lambda e: f"line{e.line}")  # fmt: skip
def test_expr_example(example: Example) -> None:
    scope, values, ctx = build_scope(example.scope), document(example.scope), context(example.scope)
    for line in example.text.splitlines():
        if not line.strip():
            continue
        text, expected = (part.strip() for part in line.split("==>"))
        got = compile_expression(text, scope).evaluate(values, ctx)
        want = compile_expression(expected, scope).evaluate(values, ctx)
        assert (got, type(got)) == (want, type(want)), line
        if isinstance(want, Decimal):
            assert str(got) == str(want), line


def test_every_problem_code_is_documented() -> None:
    text = DOC.read_text("utf-8")
    missing = [code for code in CATALOG if f"| `{code}` |" not in text]
    assert missing == []


def test_every_builtin_function_is_documented() -> None:
    from engine.rules.functions import BUILTINS

    text = DOC.read_text("utf-8")
    assert [f.name for f in BUILTINS if f"`{f.name}(" not in text] == []


def test_syntax_examples_raise_validation_errors() -> None:
    for example in EXAMPLES:
        codes = example.expect.get("problems")
        if codes and any(is_error_code(c) for c in codes):
            with pytest.raises(ValidationError):
                compile_rules(example.text, build_scope(example.scope), form=example.scope["form"])


def is_error_code(code: str) -> bool:
    return CATALOG[code].severity == "error"
