"""Limits, each at the limit and one past it: size, depth, steps, effects."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from engine.errors import ValidationError
from engine.rules import (
    DEFAULT_LIMITS,
    DictScope,
    EffectLimitExceeded,
    EvalContext,
    Limits,
    StepLimitExceeded,
    compile_expression,
    compile_rules,
)

SCOPE = DictScope.from_spec(
    {"total": "money", "store": "location", "lines": {"item": "item", "qty": "number"}}
)
CTX = EvalContext(today=date(2026, 1, 1), now=datetime(2026, 1, 1))


def test_documented_defaults() -> None:
    assert DEFAULT_LIMITS == Limits(16 * 1024, 32, 10_000, 500)


# ---- size: 16 KiB of UTF-8 ----


def padded(size: int, filler: str = "a") -> str:
    head = 'validate total >= 0 else "x"\n# '
    text = head + filler * ((size - len(head.encode())) // len(filler.encode()))
    assert len(text.encode("utf-8")) == size
    return text


@pytest.mark.parametrize("filler", ["a", "中"])
def test_source_size_at_the_limit_compiles(filler: str) -> None:
    size = 16 * 1024 - (16 * 1024 - 31) % len(filler.encode())
    compile_rules(padded(size, filler), SCOPE, form="t")
    assert size == 16 * 1024 or filler == "中"


def test_source_size_one_past_the_limit_is_rejected() -> None:
    compile_rules(padded(16 * 1024), SCOPE, form="t")
    with pytest.raises(ValidationError) as info:
        compile_rules(padded(16 * 1024 + 1), SCOPE, form="t")
    assert info.value.code == "rules.too_large"
    with pytest.raises(ValidationError) as info:
        compile_expression("1" * (16 * 1024 + 1), SCOPE)
    assert info.value.code == "rules.too_large"


# ---- depth: 32 nested levels ----


def nested_calls(levels: int) -> str:
    # `validate <compare>` is one level; each abs( … ) adds one.
    inner = "abs(" * (levels - 1) + "1" + ")" * (levels - 1)
    return f'validate {inner} > 0 else "x"\n'


def nested_blocks(levels: int) -> str:
    lines = ["on t approved:"]
    for depth in range(1, levels + 1):
        lines.append("  " * depth + "when true:")
    lines.append("  " * (levels + 1) + "release reservations")
    return "\n".join(lines) + "\n"


def test_expression_depth_at_the_limit_compiles() -> None:
    compile_rules(nested_calls(32), SCOPE, form="t")


def test_expression_depth_one_past_the_limit_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        compile_rules(nested_calls(33), SCOPE, form="t")
    assert info.value.code == "rules.too_deep"
    assert info.value.problems[0].source.line == 1


def test_block_depth_at_the_limit_and_one_past() -> None:
    compiled = compile_rules(nested_blocks(32), SCOPE, form="t")
    assert len(compiled.effects("t", "approved", None, {}, CTX)) == 1
    with pytest.raises(ValidationError) as info:
        compile_rules(nested_blocks(33), SCOPE, form="t")
    assert info.value.code == "rules.too_deep"


def test_parentheses_alone_do_not_nest_and_long_chains_are_flat() -> None:
    compile_expression("(" * 200 + "1" + ")" * 200 + " > 0", SCOPE)
    compile_expression(" + ".join(["total"] * 2000), SCOPE)


def test_very_deep_input_is_a_problem_not_a_crash() -> None:
    with pytest.raises(ValidationError) as info:
        compile_expression("-" * 5000 + "1", SCOPE)
    assert info.value.code == "rules.too_deep"
    with pytest.raises(ValidationError) as info:
        compile_expression("abs(" * 3000 + "1" + ")" * 3000, SCOPE)
    assert info.value.code == "rules.too_deep"


# ---- steps: 10,000 per evaluation ----
# Cost model (docs/rules.md): a statement costs 1 + the nodes of its expressions,
# a loop iteration 1. Here: `let pad = …` costs 3 (`-1`) or 4 (`-(-1)`); the loop
# statement 2; each row 1 + `when` (1 + 3 nodes) = 5. With 1,999 rows:
# 3 + 2 + 5 × 1,999 = 10,000, and 4 + 2 + 5 × 1,999 = 10,001.


def steps_rules(pad: str) -> str:
    return (
        "on t approved:\n"
        f"    let pad = {pad}\n"
        "    for line in lines:\n"
        "        when line.qty > 100: release reservations\n"
    )


def many_rows(count: int) -> dict[str, object]:
    return {"lines": [{"item": "A", "qty": Decimal(1)} for _ in range(count)]}


def test_steps_at_the_limit() -> None:
    compiled = compile_rules(steps_rules("-1"), SCOPE, form="t")
    assert compiled.effects("t", "approved", None, many_rows(1999), CTX) == []


def test_steps_one_past_the_limit() -> None:
    compiled = compile_rules(steps_rules("-(-1)"), SCOPE, form="t")
    with pytest.raises(StepLimitExceeded) as info:
        compiled.effects("t", "approved", None, many_rows(1999), CTX)
    assert info.value.code == "rules.step_limit"
    assert info.value.problems[0].source.line == 4  # the `when` of the last row


def test_expression_steps_at_and_past_the_limit() -> None:
    # `sum(lines.qty)`: 2 nodes + 1 per row read.
    compiled = compile_expression("sum(lines.qty)", SCOPE)
    assert compiled.evaluate(many_rows(9_998), CTX) == 9_998
    with pytest.raises(StepLimitExceeded):
        compiled.evaluate(many_rows(9_999), CTX)


def test_validations_share_one_step_budget() -> None:
    compiled = compile_rules('validate sum(lines.qty) >= 0 else "x"\n', SCOPE, form="t")
    # 1 (statement) + 4 nodes + 1 per row.
    assert compiled.validate(many_rows(9_995), CTX) == []
    with pytest.raises(StepLimitExceeded):
        compiled.validate(many_rows(9_996), CTX)


def test_stricter_limits_come_from_the_context() -> None:
    ctx = EvalContext(today=CTX.today, now=CTX.now, limits=Limits(max_steps=5))
    compiled = compile_expression("sum(lines.qty)", SCOPE)
    assert compiled.evaluate(many_rows(3), ctx) == 3
    with pytest.raises(StepLimitExceeded):
        compiled.evaluate(many_rows(4), ctx)


# ---- effects: 500 per event ----

ISSUE = "on t approved:\n    for line in lines: issue line.qty of line.item from store\n"


def test_effects_at_the_limit() -> None:
    compiled = compile_rules(ISSUE, SCOPE, form="t")
    document = {"store": "S", **many_rows(500)}
    assert len(compiled.effects("t", "approved", None, document, CTX)) == 500


def test_effects_one_past_the_limit() -> None:
    compiled = compile_rules(ISSUE, SCOPE, form="t")
    document = {"store": "S", **many_rows(501)}
    with pytest.raises(EffectLimitExceeded) as info:
        compiled.effects("t", "approved", None, document, CTX)
    assert info.value.code == "rules.effect_limit"
    assert info.value.problems[0].source.line == 2
