"""Property tests: whatever the input, only the language's own errors escape.

Three generators, about 2,300 inputs per run: valid rule sets mutated by
characters and tokens, random expression trees evaluated against random (often
ill-typed) documents, and arbitrary text. Compilation may only raise
``ValidationError``; evaluation only ``RuleRuntimeError`` (both EngineErrors).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import ValidationError
from engine.rules import (
    DictLedger,
    DictScope,
    EvalContext,
    RuleRuntimeError,
    check_rules,
    compile_expression,
    compile_rules,
)

FIELDS: dict[str, Any] = {
    "total": "money", "note": "text", "due": "date", "urgent": "checkbox", "tags": "multiselect",
    "from_store": "location", "to_store": "location", "store": "location",
    "location": "location", "buyer": "member",
    "lines": {"item": "item", "qty": "number", "price": "money", "batch": "text",
              "expiry": "date", "dish": "item", "counted": "number", "reason": "select",
              "product": "item", "levels": "number", "unit_cost": "money"},
}  # fmt: skip
SCOPE = DictScope.from_spec(
    FIELDS, constants={"warehouse": "location", "kitchen": "location", "workshop": "location"}
)


def _lookup(*, kind: str, ref: object, attr: str) -> object:
    if ref == "GONE":
        raise KeyError(ref)
    return {"category": "milk", "reorder_point": Decimal(5)}.get(attr)


LEDGER = DictLedger(date(2026, 1, 15), stock={("A1", "S1"): Decimal(3)},
                    unit_costs={"A1": Decimal("1.25")})  # fmt: skip
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 8), lookup=_lookup,
                  ledger=LEDGER)  # fmt: skip
GOLDEN = Path(__file__).parent / "golden"
CORPUS = [p.read_text("utf-8") for p in sorted(GOLDEN.glob("*/rules.rules"))] + [
    "on transfer submitted:\n    for line in lines: reserve line.qty of line.item at from_store\n"
    "on transfer rejected, withdrawn:\n    release reservations\n"
    'validate total >= 0 else "总金额不能为负 / total must not be negative"\n',
    "on t approved at boss:\n    let x = sum(lines.qty * lines.price) / 2\n"
    "    when x > 10 and note in ['a', 'b'] or not urgent:\n"
    "        for line in lines: decrement line.item at store by round(line.qty, 1) fefo\n"
    "    when line_count(lines) > 0: issue 1 of bom(lines.item, 2) from kitchen\n",
    "on stocktake submitted:\n    lock location\n"
    "    when sum(lines.qty * unit_cost(lines.item)) > on_hand(lines.item, store): unlock store\n"
    "validate avg_daily_issue(lines.product, 7) < 3 else 'x'\n",
]
TOKENS = [
    "on", "for", "in", "when", "let", "=", "==", ":", "\n", "    ", "\t", "(", ")", "[", "]",
    ",", ".", "of", "from", "to", "into", "at", "by", "as", "batch", "expires", "cost",
    "fefo", "recipe(", "bom(", "release", "reservations", "validate", "else", '"', "'", "#",
    "not", "and", "or", "if", "null", "true", 'date"2026-01-01"', 'date"2026-13-01"', "1e5",
    "-", "*", "/", "+", "lines", "line.qty", "sum(", "中", "\\", "\x00", "count", "move",
    "issue", "receive", "scrap", "x", "0", "99999999999999999999999999999999", "1/0",
    "line.item.category", "today()", "\r\n", "lock", "unlock", "on_hand(", "unit_cost(",
    "avg_daily_issue(",
]  # fmt: skip
SETTINGS = dict(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip


def document(values: dict[str, Any] | None = None) -> dict[str, Any]:
    row = {"item": "A1", "qty": Decimal("2.5"), "price": Decimal("3"), "batch": "B",
           "expiry": date(2026, 3, 1), "dish": "D1", "counted": Decimal(4), "reason": "expired",
           "product": "P", "levels": Decimal(2), "unit_cost": Decimal("1.5")}  # fmt: skip
    base: dict[str, Any] = {
        "total": Decimal(100), "note": "a", "due": date(2026, 2, 1), "urgent": False,
        "tags": ["x"], "from_store": "S1", "to_store": "S2", "store": "S3", "location": "L",
        "buyer": "u1", "lines": [row, {**row, "qty": Decimal(0), "item": "GONE"}],
    }  # fmt: skip
    base.update(values or {})
    return base


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 5))):
        pieces = re.findall(r"\w+|\s+|.", text, flags=re.S) or [""]
        index = draw(st.integers(0, len(pieces) - 1))
        action = draw(st.sampled_from(["drop", "dup", "swap", "token", "char", "cut"]))
        if action == "drop":
            del pieces[index]
        elif action == "dup":
            pieces.insert(index, pieces[index])
        elif action == "swap" and index + 1 < len(pieces):
            pieces[index], pieces[index + 1] = pieces[index + 1], pieces[index]
        elif action == "token":
            pieces[index] = draw(st.sampled_from(TOKENS))
        elif action == "char":
            pieces.insert(index, draw(st.characters(codec="utf-8")))
        else:
            pieces = pieces[:index]
        text = "".join(pieces)
    return text


def _form_of(text: str) -> str:
    found = re.search(r"\bon\s+(\w+)", text)
    return found.group(1) if found else "transfer"


def _evaluate_all(text: str) -> None:
    form = _form_of(text)
    try:
        compiled = compile_rules(text, SCOPE, form=form)
    except ValidationError as error:
        assert all(p.code.startswith("rules.") for p in error.problems)
        return
    for event in ("submitted", "approved", "rejected", "withdrawn", "cancelled", "timed_out"):
        for node in (None, "boss", "store_manager"):
            try:
                compiled.effects(form, event, node, document(), CTX)
            except RuleRuntimeError as error:
                assert error.code.startswith("rules.")
    try:
        compiled.validate(document(), CTX)
    except RuleRuntimeError as error:
        assert error.code.startswith("rules.")


@settings(max_examples=1400, **SETTINGS)  # type: ignore[arg-type]
@given(mutated())
def test_mutated_rule_sets_only_raise_language_errors(text: str) -> None:
    _evaluate_all(text)


# ---- random expression trees ----

LEAVES = st.sampled_from([
    "total", "note", "due", "urgent", "tags", "from_store", "store", "buyer", "warehouse",
    "lines", "lines.qty", "lines.price", "lines.item", "lines.item.category", "lines.expiry",
    "nope", "total.x", "0", "1", "2.5", "100000000000000000000000000000", '"a"', "'中'",
    'date"2026-01-31"', 'datetime"2026-01-31 08:00"', "true", "false", "null", "today()",
    "now()", "[1, 2]",
])  # fmt: skip
BINARY = st.sampled_from(["+", "-", "*", "/", "==", "!=", "<", ">=", "and", "or", "in", "not in"])
FUNCS = st.sampled_from(["sum", "count", "min", "max", "round", "abs", "if", "coalesce", "len",
                         "days_between", "add_days", "contains", "startswith", "concat",
                         "nosuch"])  # fmt: skip


def _expr_tree(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, BINARY, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        children.map(lambda c: f"not {c}"),
        children.map(lambda c: f"-{c}"),
        st.tuples(FUNCS, st.lists(children, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
    )


NUMBERS = st.sampled_from([
    "total", "1", "0", "2.5", "sum(lines.qty)", "count(lines)", "len(note)", "max(lines.price)",
    "days_between(due, today())", "coalesce(total, 0)", "sum(lines.qty * lines.price)",
])  # fmt: skip


def _numeric(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from("+-*/"), children).map(lambda t: f"({' '.join(t)})"),
        children.map(lambda c: f"round({c}, 1)"),
        children.map(lambda c: f"-abs({c})"),
        st.tuples(children, children).map(lambda t: f"if(urgent, {t[0]}, {t[1]})"),
    )


TYPED_NUMBERS = st.recursive(NUMBERS, _numeric, max_leaves=8)
TYPED_CONDITIONS = st.one_of(
    st.tuples(TYPED_NUMBERS, st.sampled_from(["<", "<=", "==", "!=", ">"]), TYPED_NUMBERS).map(
        " ".join
    ),
    st.sampled_from(["urgent", "note in ['a', 'b']", "contains(tags, 'x')", "due < today()",
                     "startswith(note, 'a')", "lines.item.category == 'milk'"]),  # fmt: skip
)
TYPED = st.one_of(
    TYPED_NUMBERS,
    st.recursive(TYPED_CONDITIONS, lambda c: st.tuples(c, st.sampled_from(["and", "or"]), c).map(
        lambda t: f"({' '.join(t)})") | c.map(lambda x: f"not {x}"), max_leaves=4),
)
EXPRESSIONS = st.one_of(st.recursive(LEAVES, _expr_tree, max_leaves=12), TYPED)
ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=True),
    st.decimals(allow_nan=True, allow_infinity=True, places=None), st.text(max_size=5),
    st.dates(), st.datetimes(), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip
ODD_DOCS = st.dictionaries(
    st.sampled_from(["total", "note", "due", "urgent", "tags", "from_store", "store", "lines"]),
    st.one_of(ODD_VALUES, st.lists(st.dictionaries(
        st.sampled_from(["qty", "price", "item", "expiry"]), ODD_VALUES, max_size=4), max_size=3)),
    max_size=6,
)  # fmt: skip


@settings(max_examples=700, **SETTINGS)  # type: ignore[arg-type]
@given(EXPRESSIONS, st.one_of(st.just({}), ODD_DOCS, st.just(document())))
def test_random_expressions_only_raise_language_errors(text: str, values: dict[str, Any]) -> None:
    try:
        compiled = compile_expression(text, SCOPE)
    except ValidationError as error:
        assert all(p.code.startswith("rules.") for p in error.problems)
        return
    try:
        compiled.evaluate({**document(), **values}, CTX)
    except RuleRuntimeError as error:
        assert error.code.startswith("rules.")


@settings(max_examples=250, **SETTINGS)  # type: ignore[arg-type]
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_arbitrary_text_is_checked_without_raising(text: str) -> None:
    for problem in check_rules(text, SCOPE, form="transfer"):
        assert problem.code.startswith("rules.")
        assert problem.source.line is not None
