"""Evaluator: effects, columns, exact decimals, nulls, lookups, runtime errors."""

from __future__ import annotations

import decimal
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from engine.errors import EngineError
from engine.rules import (
    CountEffect,
    DictScope,
    EvalContext,
    ReleaseEffect,
    RuleRuntimeError,
    StockEffect,
    compile_expression,
    compile_rules,
)

SCOPE = DictScope.from_spec(
    {
        "total": "money", "note": "text", "due": "date", "urgent": "checkbox",
        "from_store": "location", "to_store": "location", "store": "location",
        "lines": {"item": "item", "qty": "number", "price": "money", "batch": "batch",
                  "expiry": "date", "depth": "number",
                  "parts": {"item": "item", "qty": "number"}},
    },
    constants={"warehouse": "location", "kitchen": "location"},
)  # fmt: skip
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 9, 30))
D = Decimal


def doc(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "total": D("120.50"), "note": "rush", "due": date(2026, 1, 20), "urgent": True,
        "from_store": "WH-1", "to_store": "SHOP-2", "store": "SHOP-2",
        "lines": [
            {"item": "A1", "qty": D("2"), "price": D("10.25"), "batch": "B1",
             "expiry": date(2026, 3, 1), "parts": [{"item": "P1", "qty": D(1)}]},
            {"item": "B2", "qty": 3, "price": D("33.50"), "batch": None, "expiry": None,
             "parts": []},
        ],
    }  # fmt: skip
    base.update(extra)
    return base


def ev(text: str, values: dict[str, Any] | None = None, ctx: EvalContext = CTX) -> Any:
    return compile_expression(text, SCOPE).evaluate(doc() if values is None else values, ctx)


def run(text: str, event: str = "approved", node: str | None = None, **extra: Any) -> list[Any]:
    return compile_rules(text, SCOPE, form="t").effects("t", event, node, doc(**extra), CTX)


def runtime_error(fn: Any) -> RuleRuntimeError:
    with pytest.raises(RuleRuntimeError) as info:
        fn()
    return info.value


# ---- effects ----


def test_effects_carry_everything_the_ledger_needs() -> None:
    text = (
        "on t approved:\n"
        "    for line in lines:\n"
        "        receive line.qty of line.item into warehouse batch line.batch "
        "expires line.expiry cost line.price\n"
    )
    first, second = run(text)
    assert first == StockEffect(
        "receive", D(2), "A1", "warehouse", first.origin, None, "B1", date(2026, 3, 1),
        D("10.25"), None, None,
    )  # fmt: skip
    assert (first.rule_index, first.line, first.column, first.line_index) == (0, 3, 9, 0)
    assert second.qty == D(3) and isinstance(second.qty, Decimal) and second.line_index == 1
    assert second.batch is None and second.expiry is None
    assert first.key != second.key


def test_events_nodes_and_aliases() -> None:
    text = "on t approved: release reservations\non t approved at boss:\n    for l in lines: move l.qty of l.item from from_store to to_store\n"
    compiled = compile_rules(text, SCOPE, form="t")
    (final,) = compiled.effects("t", "approve", None, doc(), CTX)
    assert isinstance(final, ReleaseEffect) and final.rule_index == 0
    moves = compiled.effects("t", "approved", "boss", doc(), CTX)
    assert [(m.verb, m.location, m.to_location) for m in moves] == [("move", "WH-1", "SHOP-2")] * 2
    assert compiled.effects("t", "approved", "someone_else", doc(), CTX) == []
    assert compiled.effects("t", "rejected", None, doc(), CTX) == []
    assert compiled.effects("another_form", "approved", None, doc(), CTX) == []
    err = runtime_error(lambda: compiled.effects("t", "exploded", None, doc(), CTX))
    assert err.code == "rules.unknown_event"


def test_count_and_explosions() -> None:
    text = (
        "on t approved:\n"
        "    for line in lines:\n"
        "        count line.item at store as line.qty batch line.batch\n"
        "        issue line.qty of recipe(line.item) from kitchen\n"
        "        issue 1 of bom(line.item, line.depth) from kitchen\n"
    )
    effects = run(text, lines=[{"item": "A", "qty": D(4), "batch": "B", "depth": D(2)}])
    count, recipe, bom = effects
    assert isinstance(count, CountEffect) and count.counted == D(4) and count.batch == "B"
    assert isinstance(recipe, StockEffect) and recipe.explode is not None
    assert (recipe.explode.kind, recipe.explode.item, recipe.explode.depth) == ("recipe", "A", None)
    assert isinstance(bom, StockEffect) and bom.explode is not None
    assert (bom.explode.kind, bom.explode.depth) == ("bom", 2)
    err = runtime_error(lambda: run(text, lines=[{"item": "A", "qty": D(1), "depth": D("1.5")}]))
    assert err.code == "rules.type_error"


def test_nested_loops_record_all_row_indexes() -> None:
    text = "on t approved:\n    for line in lines:\n        for part in line.parts: issue part.qty of part.item from store\n"
    (effect,) = run(text)
    assert effect.origin.rows == (0, 0) and effect.item == "P1"


def test_when_let_and_conditions() -> None:
    text = (
        "on t approved:\n"
        "    let big = sum(lines.qty * lines.price) > 100\n"
        "    for line in lines:\n"
        "        when big and line.qty >= 3: issue line.qty of line.item from store fifo\n"
    )
    (effect,) = run(text)
    assert (effect.item, effect.policy) == ("B2", "fifo")
    assert run(text, lines=[{"item": "A", "qty": D(3), "price": D(1)}]) == []


def test_release_all_and_word_orders() -> None:
    text = "on t withdrawn:\n    release reservations\n    for line in lines: decrement line.item at store by line.qty\n"
    release, first, _ = run(text, event="withdraw")
    assert isinstance(release, ReleaseEffect) and release.line_index is None
    assert (first.verb, first.qty, first.item, first.location) == ("issue", D(2), "A1", "SHOP-2")


# ---- expressions ----


def test_exact_decimal_arithmetic() -> None:
    assert ev("0.1 + 0.2 == 0.3") is True
    assert ev("sum(lines.qty * lines.price)") == D("121.00")
    assert ev("1 / 3") == D("0.3333333333333333333333333333")
    assert ev("2 / 3 * 3") == D("2.000000000000000000000000000")
    assert ev("-total + 1") == D("-119.50")


def test_global_decimal_context_is_neither_used_nor_changed() -> None:
    before = decimal.getcontext().copy()
    with decimal.localcontext() as local:
        local.prec = 3
        assert ev("1 / 3") == D("0.3333333333333333333333333333")
    assert decimal.getcontext().prec == before.prec
    assert decimal.getcontext().traps == before.traps


def test_columns_and_aggregates() -> None:
    assert ev("count(lines)") == 2
    assert ev("count(lines.batch)") == 1
    assert ev("max(lines.price)") == D("33.50")
    assert ev("min(lines.expiry)") == date(2026, 3, 1)
    assert ev("sum(lines.qty * 2 + 1)") == D(12)
    assert ev("sum(lines.qty)", doc(lines=[])) == 0
    assert ev("max(lines.qty)", doc(lines=[])) is None
    assert ev("count(lines)", doc(lines=None)) == 0


def test_nulls() -> None:
    assert ev("coalesce(total, 0) + 1", doc(total=None)) == 1
    assert ev("total == null", doc(total=None)) is True
    assert ev("urgent", doc(urgent=None)) is None
    assert ev("not urgent", doc(urgent=None)) is True
    assert ev("1 if urgent else 2", doc(urgent=None)) == 2
    err = runtime_error(lambda: ev("total + 1", doc(total=None)))
    assert err.code == "rules.null_value"
    assert (err.problems[0].source.line, err.problems[0].source.column) == (1, 7)
    assert "coalesce" in (err.problems[0].hint.en if err.problems[0].hint else "")
    assert runtime_error(lambda: ev("total > 1", doc(total=None))).code == "rules.null_value"


def test_missing_fields_read_as_null() -> None:
    assert ev("coalesce(note, 'none')", {}) == "none"


def test_runtime_type_errors() -> None:
    assert runtime_error(lambda: ev("total + 1", doc(total="12"))).code == "rules.type_error"
    assert runtime_error(lambda: ev("total + 1", doc(total=1.5))).code == "rules.type_error"
    assert runtime_error(lambda: ev("total + 1", doc(total=D("NaN")))).code == "rules.type_error"
    assert runtime_error(lambda: ev("total > 1", doc(total="x"))).code == "rules.type_error"
    assert runtime_error(lambda: ev("urgent and true", doc(urgent="yes"))).code == "rules.type_error"


def test_division_by_zero_points_at_the_operator() -> None:
    err = runtime_error(lambda: ev("total / (total - total)"))
    assert err.code == "rules.division_by_zero"
    assert err.problems[0].source.column == 7
    assert ev("if(total > 0, 1 / total, 0)", doc(total=D(0))) == 0
    assert ev("1 / total if total != 0 else 0", doc(total=D(0))) == 0


def test_bad_documents() -> None:
    assert runtime_error(lambda: ev("total", [])).code == "rules.bad_document"  # type: ignore[arg-type]
    assert runtime_error(lambda: ev("count(lines)", doc(lines="x"))).code == "rules.bad_document"
    text = "on t approved: for line in lines: issue line.qty of line.item from store"
    assert runtime_error(lambda: run(text, lines=["x"])).code == "rules.bad_document"
    assert runtime_error(lambda: run(text, lines=[{"qty": D(-1), "item": "A"}])).code == (
        "rules.negative_quantity"
    )
    assert runtime_error(lambda: run(text, lines=[{"qty": D(1)}])).code == "rules.null_value"
    assert runtime_error(lambda: run(text, lines=[{"qty": D(1), "item": ["A"]}])).code == (
        "rules.bad_reference"
    )
    assert runtime_error(lambda: run(text, lines=[{"qty": D(1), "item": True}])).code == (
        "rules.bad_reference"
    )


def test_lookup_through_the_context() -> None:
    calls: list[tuple[str, object, str]] = []

    def lookup(*, kind: str, ref: object, attr: str) -> object:
        calls.append((kind, ref, attr))
        if ref == "GONE":
            raise KeyError(ref)
        return {"A1": "milk", "B2": "eggs"}.get(str(ref))

    ctx = EvalContext(today=CTX.today, now=CTX.now, lookup=lookup)
    text = "on t approved:\n    for line in lines:\n        when line.item.category == 'milk': issue line.qty of line.item from store\n"
    compiled = compile_rules(text, SCOPE, form="t")
    (effect,) = compiled.effects("t", "approved", None, doc(), ctx)
    assert effect.item == "A1"
    assert calls == [("item", "A1", "category"), ("item", "B2", "category")]
    assert ev("count(lines.item.category)", ctx=ctx) == 2
    err = runtime_error(lambda: compiled.effects("t", "approved", None, doc(lines=[{"item": "GONE"}]), ctx))
    assert err.code == "rules.lookup_failed"
    err = runtime_error(lambda: compiled.effects("t", "approved", None, doc(), CTX))
    assert err.code == "rules.lookup_unavailable"


def test_today_and_now_come_from_the_context() -> None:
    assert ev("today()") == date(2026, 1, 15)
    assert ev("now()") == datetime(2026, 1, 15, 9, 30)
    later = EvalContext(today=date(2030, 1, 1), now=datetime(2030, 1, 1))
    assert ev("days_between(today(), due)", ctx=later) == -1442


def test_expression_type_and_purity() -> None:
    compiled = compile_expression("total >= 5000 and from_store != to_store", SCOPE)
    assert compiled.type.kind == "boolean"
    values = doc(total=D(6000))
    snapshot = repr(values)
    assert compiled.evaluate(values, CTX) is True
    assert compiled.evaluate(doc(to_store="WH-1", total=D(6000)), CTX) is False
    assert repr(values) == snapshot, "evaluation never mutates the document"


def test_in_lists() -> None:
    assert ev("note in ['rush', 'slow']") is True
    assert ev("note not in ['rush']") is False
    assert ev("total in [120.5, 1]") is True


# ---- validations ----


def test_validate_returns_failed_messages_in_both_languages() -> None:
    text = (
        'validate total >= 0 else "总金额不能为负 / total must not be negative"\n'
        'validate count(lines) > 0 else "at least one line / 至少一行"\n'
        'validate note != "" else "note required"\n'
        'validate total / sum(lines.qty) > 0 else "x"\n'
    )
    compiled = compile_rules(text, SCOPE, form="t")
    assert compiled.validate(doc(), CTX) == []
    found = compiled.validate(doc(total=D(-1), lines=[], note=""), CTX)
    assert [p.code for p in found] == ["rules.validation_failed"] * 3 + ["rules.division_by_zero"]
    assert found[0].message.en == "total must not be negative"
    assert found[0].message.zh == "总金额不能为负"
    assert found[1].message.en == "at least one line" and found[1].message.zh == "至少一行"
    assert found[2].message.en == found[2].message.zh == "note required"
    assert (found[0].source.line, found[0].source.form) == (1, "t")


def test_runtime_errors_are_engine_errors_with_status() -> None:
    err = runtime_error(lambda: ev("total + 1", doc(total=None)))
    assert isinstance(err, EngineError) and err.status == 422
    assert err.as_dict()["code"] == "rules.null_value"
