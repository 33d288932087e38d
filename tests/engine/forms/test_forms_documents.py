"""Documents: the compiled JSON Schema, normalisation, computing, the pipeline."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine.forms import (
    TOTALS_KEY,
    check_document,
    compile_form,
    compute,
    document_schema,
    load_form,
    normalize,
    to_json,
    validate_document,
    with_defaults,
)
from engine.rules import EvalContext

GOLDEN = Path(__file__).parent / "golden"
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 9))
PURCHASE = load_form(json.loads((GOLDEN / "purchase_in.form.json").read_text("utf-8"))).require()
EVERY = load_form(json.loads((GOLDEN / "every_type.form.json").read_text("utf-8"))).require()
GOOD: dict[str, Any] = {
    "supplier": "S1", "warehouse": "WH-1", "received_on": "2026-01-15",
    "lines": [{"item": "MILK", "qty": "2", "price": "3.50"}],
}  # fmt: skip


def test_document_schema_is_a_valid_2020_12_schema_and_json() -> None:
    for spec in (PURCHASE, EVERY):
        schema = document_schema(spec)
        Draft202012Validator.check_schema(schema)
        assert json.loads(json.dumps(schema)) == schema


def test_document_schema_shape() -> None:
    schema = document_schema(PURCHASE)
    props = schema["properties"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["supplier", "warehouse", "received_on", "lines"]
    assert props["freight"]["type"] == ["string", "number", "null"]
    assert props["freight"]["maximum"] == 10000 and props["freight"]["minimum"] == 0
    assert props["received_on"]["format"] == "date"
    assert props["kind"]["anyOf"][1]["enum"] == ["normal", "return"]
    row = props["lines"]["items"]
    assert row["additionalProperties"] is False and row["required"] == ["item", "qty"]
    assert props["total"]["readOnly"] is True and props[TOTALS_KEY]["readOnly"] is True
    assert props["note"]["maxLength"] == 20
    assert "required" not in document_schema(PURCHASE, partial=True)


def test_the_schema_accepts_a_good_document_as_a_client_would_send_it() -> None:
    assert list(Draft202012Validator(document_schema(PURCHASE)).iter_errors(GOOD)) == []


def test_normalize_gives_typed_values_at_the_field_precision() -> None:
    parsed = normalize(PURCHASE, {**GOOD, "freight": 3})
    assert parsed.problems == []
    values = parsed.values
    assert values["received_on"] == date(2026, 1, 15)
    assert values["freight"] == Decimal("3.00") and str(values["freight"]) == "3.00"
    [line] = values["lines"]
    assert str(line["qty"]) == "2.000" and str(line["price"]) == "3.50"
    assert values["note"] is None and values["total"] is None


def test_decimals_from_json_parse_float_are_accepted() -> None:
    doc = json.loads(json.dumps(GOOD).replace('"3.50"', "3.50"), parse_float=Decimal)
    assert validate_document(PURCHASE, doc, ctx=CTX) == []


def test_floats_are_refused_with_a_clear_problem() -> None:
    [p] = validate_document(PURCHASE, {**GOOD, "freight": 0.1}, ctx=CTX)
    assert p.code == "forms.float_not_allowed" and p.source.path == "freight"
    assert "12.50" in p.message.en and "浮点数" in p.message.zh


def test_every_decimal_spelling_is_exact() -> None:
    values = normalize(EVERY, {"title": "t", "qty": "0.1", "price": Decimal("0.30")}).values
    assert values["qty"] + values["price"] == Decimal("0.40")


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e5", " 1", "+1", "1.", ".5", True, [], {}])
def test_bad_numbers(value: Any) -> None:
    [p] = validate_document(EVERY, {"title": "t", "qty": value}, ctx=CTX)
    assert p.code in {"forms.not_a_number", "forms.wrong_type"} and p.source.path == "qty"


def test_decimal_nan_and_huge_values_are_problems() -> None:
    assert [p.code for p in validate_document(EVERY, {"title": "t", "qty": Decimal("NaN")})] == [
        "forms.not_a_number"]
    assert [p.code for p in validate_document(EVERY, {"title": "t", "price": Decimal("1E+30")})] == [
        "forms.too_many_digits"]


def test_datetimes_are_local_and_dates_real() -> None:
    values = normalize(EVERY, {"title": "t", "at": "2026-01-15 08:30", "due": "2026-02-28"}).values
    assert values["at"] == datetime(2026, 1, 15, 8, 30) and values["due"] == date(2026, 2, 28)
    problems = validate_document(EVERY, {"title": "t", "at": "2026-01-15T08:30Z"})
    assert [p.code for p in problems] == ["forms.bad_datetime"]
    problems = validate_document(EVERY, {"title": "t", "at": "2025-12-31T23:59"})
    assert [(p.code, p.message.en) for p in problems] == [
        ("forms.too_small", "At must be at least 2026-01-01T00:00:00.")]


def test_not_an_object() -> None:
    [p] = validate_document(PURCHASE, ["x"], ctx=CTX)
    assert (p.code, p.source.path) == ("forms.not_an_object", "$")


def test_compute_fills_formulas_and_totals_and_ignores_submitted_values() -> None:
    parsed = normalize(PURCHASE, {**GOOD, "total": "1", TOTALS_KEY: {"x": 1}})
    values = compute(PURCHASE, parsed.values, CTX)
    assert values["total"] == Decimal("7.00") and values["lines"][0]["amount"] == Decimal("7.00")
    assert values[TOTALS_KEY] == {"lines": {"qty": Decimal("2.000"), "amount": Decimal("7.00")}}
    assert parsed.values["lines"][0]["amount"] is None  # the input is not changed


def test_a_formula_that_fails_is_empty_and_reported() -> None:
    data = json.loads((GOLDEN / "purchase_in.form.json").read_text("utf-8"))
    data["fields"][5]["fields"][4]["expression"] = "qty * price"
    spec = load_form(data).require()
    doc = {**GOOD, "lines": [{"item": "MILK", "qty": "2"}]}
    values = compute(spec, normalize(spec, doc).values, CTX)
    assert values["lines"][0]["amount"] is None
    [p] = validate_document(spec, doc, ctx=CTX)
    assert (p.code, p.source.path) == ("forms.formula_failed", "lines[0].amount")
    assert "Unit price" not in p.message.en and "empty" in p.message.en


def test_check_document_returns_computed_typed_values() -> None:
    checked = check_document(PURCHASE, GOOD, ctx=CTX)
    assert checked.ok and checked.values["total"] == Decimal("7.00")
    assert to_json(PURCHASE, checked.values)["lines"][0]["amount"] == "7.00"


def test_the_form_is_compiled_once_per_spec() -> None:
    assert compile_form(PURCHASE) is compile_form(PURCHASE)
    assert compile_form(PURCHASE, {"x": "location"}) is not compile_form(PURCHASE)


def test_validations_use_the_context() -> None:
    data = json.loads((GOLDEN / "purchase_in.form.json").read_text("utf-8"))
    data["validations"] = [{"condition": "received_on <= today()", "message": "不能是将来 / not in the future"}]
    spec = load_form(data).require()
    doc = {**GOOD, "received_on": "2026-01-16"}
    [p] = validate_document(spec, doc, ctx=CTX)
    assert (p.code, p.message.zh, p.message.en) == ("forms.validation_failed", "不能是将来", "not in the future")
    later = EvalContext(today=date(2026, 2, 1), now=datetime(2026, 2, 1))
    assert validate_document(spec, doc, ctx=later) == []


def test_a_validation_that_cannot_be_evaluated_is_a_problem() -> None:
    data = json.loads((GOLDEN / "purchase_in.form.json").read_text("utf-8"))
    data["validations"] = "validate freight > 0 else \"运费 / freight\""
    spec = load_form(data).require()
    [p] = validate_document(spec, GOOD, ctx=CTX)
    assert (p.code, p.source.path, p.source.line) == ("forms.validation_error", "validations", 1)


def test_partial_documents_skip_required_and_validations() -> None:
    assert validate_document(PURCHASE, {}, partial=True) == []
    assert [p.code for p in validate_document(PURCHASE, {"lines": [{}]}, partial=True)] == []
    assert {p.code for p in validate_document(PURCHASE, {})} == {"forms.required"}


def test_with_defaults_fills_missing_fields_only() -> None:
    filled = with_defaults(EVERY, {"title": "t", "urgent": True})
    assert filled["tags"] == ["a"] and filled["urgent"] is True
    assert validate_document(EVERY, filled, ctx=CTX) == []


def test_a_unique_column_refuses_a_value_two_rows_share() -> None:
    spec = load_form({
        "key": "counting", "version": 1, "labels": {"zh": "盘点", "en": "Count"},
        "fields": [{"key": "lines", "type": "subform", "label": {"zh": "明细", "en": "Lines"},
                    "fields": [
                        {"key": "item", "type": "item", "unique": True,
                         "label": {"zh": "物品", "en": "Item"}},
                        {"key": "qty", "type": "number", "label": {"zh": "数量", "en": "Qty"}},
                    ]}],
    }).require()  # fmt: skip
    rows = [{"item": "A1", "qty": "1"}, {"item": "B2", "qty": "1"}, {"item": None, "qty": "2"},
            {"item": None, "qty": "3"}, {"item": "A1", "qty": "4"}]  # fmt: skip
    problems = normalize(spec, {"lines": rows}).problems
    assert [(p.code, p.source.path) for p in problems] == \
        [("forms.repeated_in_rows", "lines[4].item")]
    assert problems[0].message.en == "Item (row 5 of Lines) repeats row 1: each row needs its own value."
    assert "第 1 行重复" in problems[0].message.zh
    assert normalize(spec, {"lines": rows[:4]}).problems == []
    assert validate_document(spec, {"lines": rows})[0].code == "forms.repeated_in_rows"


def test_stored_data_skips_the_shape_check_yet_finds_the_same_problems() -> None:
    """What the engine stored is not shape-checked again when an approver acts on it;
    parsing it still finds every problem the shape check would, where it would."""
    stored = to_json(PURCHASE, check_document(PURCHASE, GOOD, ctx=CTX).values)
    assert check_document(PURCHASE, stored, ctx=CTX, stored=True).ok
    line = stored["lines"][0]
    for bad in ({**stored, "not_a_field": 1},
                {k: v for k, v in stored.items() if k != "supplier"},
                {**stored, "freight": "lots"},
                {**stored, "note": "x" * 21},
                {**stored, "lines": [{**line, "qty": None}, {**line, "colour": "red"}]},
                {**stored, "kind": "gift"}):
        full = check_document(PURCHASE, bad, ctx=CTX).problems
        assert full, bad
        assert [p.source.path for p in check_document(PURCHASE, bad, ctx=CTX, stored=True)
                .problems] == [p.source.path for p in full]
