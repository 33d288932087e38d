"""FormSpec JSON: the shipped schema, the meaning checks, building and migrations."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine.errors import ValidationError
from engine.forms import (
    CURRENT_SCHEMA_VERSION,
    MIGRATIONS,
    FieldKind,
    ResultKind,
    form_schema,
    load_form,
    upgrade_form,
    validate_spec,
)

GOLDEN = Path(__file__).parent / "golden"


def label(text: str) -> dict[str, str]:
    return {"zh": text, "en": text}


def form(*fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"key": "f", "version": 1, "labels": label("F"), "fields": list(fields), **extra}


def fld(key: str, kind: str, **options: Any) -> dict[str, Any]:
    return {"key": key, "type": kind, "label": label(key.upper()), **options}


def codes(data: Any) -> list[tuple[str, str | None]]:
    return [(p.code, p.source.path) for p in validate_spec(data)]


def test_the_schema_ships_in_the_package_and_is_a_valid_2020_12_schema() -> None:
    schema = form_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    kinds = schema["$defs"]["field"]["properties"]["type"]["enum"]
    assert sorted(kinds) == sorted(k.value for k in FieldKind)


@pytest.mark.parametrize("name", ["purchase_in.form.json", "every_type.form.json"])
def test_golden_forms_match_the_schema_and_load(name: str) -> None:
    data = json.loads((GOLDEN / name).read_text("utf-8"))
    assert list(Draft202012Validator(form_schema()).iter_errors(data)) == []
    assert load_form(data).ok


def test_every_field_type_builds() -> None:
    spec = load_form(json.loads((GOLDEN / "every_type.form.json").read_text("utf-8"))).require()
    assert {f.kind for f in spec.fields} == set(FieldKind)
    qty = spec.field("qty")
    assert qty is not None and qty.minimum == Decimal(0) and qty.precision == 2
    summary = spec.field("summary")
    assert summary is not None and summary.result is ResultKind.TEXT
    order = spec.field("order")
    assert order is not None and order.link is not None and order.link.display == ("no", "customer")


def test_the_spec_is_frozen_and_hashable() -> None:
    spec = load_form(json.loads((GOLDEN / "purchase_in.form.json").read_text("utf-8"))).require()
    with pytest.raises(AttributeError):
        spec.key = "x"  # type: ignore[misc]
    assert hash(spec) == hash(load_form(json.loads((GOLDEN / "purchase_in.form.json").read_text())).require())


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], [("forms.schema", "$")]),
        ({"key": "f"}, [("forms.schema", "version"), ("forms.schema", "labels"), ("forms.schema", "fields")]),
        (form(fld("a", "txt")), [("forms.unknown_type", "fields[0].type")]),
        (form(fld("A b", "text")), [("forms.schema", "fields[0].key")]),
        (form(fld("a", "text", colour=1)), [("forms.schema", "fields[0].colour")]),
        (form(fld("a", "subform")), [("forms.schema", "fields[0].fields")]),
        (form(fld("a", "formula")), [("forms.schema", "fields[0].expression")]),
    ],
)
def test_shape_problems_have_json_paths(data: Any, expected: list[tuple[str, str]]) -> None:
    assert sorted(codes(data)) == sorted(expected)


def test_unknown_type_suggests_the_closest() -> None:
    [p] = validate_spec(form(fld("a", "nmber")))
    assert p.hint is not None and "'number'" in p.hint.en and "number" in p.hint.zh
    assert p.message.zh and p.message.en and p.source.form == "f"


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (fld("s", "select"), ("forms.no_options", "fields[1].options")),
        (fld("s", "multiselect", options=[{"value": "a", "label": label("A")}] * 2),
         ("forms.duplicate_option", "fields[1].options[1].value")),
        (fld("a", "text"), ("forms.duplicate_key", "fields[1].key")),
        (fld("n", "number", min=5, max="4.99"), ("forms.min_above_max", "fields[1].min")),
        (fld("d", "date", min="2026-02-01", max="2026-01-31"), ("forms.min_above_max", "fields[1].min")),
        (fld("d", "date", min="2026-02-30"), ("forms.bad_bound", "fields[1].min")),
        (fld("n", "money", precision=11), ("forms.bad_precision", "fields[1].precision")),
        (fld("n", "money", precision=-1), ("forms.bad_precision", "fields[1].precision")),
        (fld("t", "text", precision=2), ("forms.not_applicable", "fields[1].precision")),
        (fld("f", "formula", expression="1", required=True), ("forms.not_applicable", "fields[1].required")),
        (fld("s", "serial", pattern="DB-{yyyyMMdd}"), ("forms.bad_serial_pattern", "fields[1].pattern")),
        (fld("s", "serial", pattern="DB-{date}-{seq:4}"), ("forms.bad_serial_pattern", "fields[1].pattern")),
        (fld("n", "number", default="abc"), ("forms.bad_default", "fields[1].default")),
        (fld("c", "select", default="z", options=[{"value": "a", "label": label("A")}]),
         ("forms.bad_default", "fields[1].default")),
        (fld("l", "subform", fields=[fld("x", "subform", fields=[fld("y", "text")])]),
         ("forms.nested_subform", "fields[1].fields[0].type")),
        (fld("l", "subform", fields=[fld("x", "text"), fld("x", "number")]),
         ("forms.duplicate_key", "fields[1].fields[1].key")),
        (fld("l", "subform", fields=[fld("x", "text")], totals=["x"]), ("forms.bad_total", "fields[1].totals[0]")),
        (fld("l", "subform", fields=[fld("x", "number")], totals=["y"]), ("forms.bad_total", "fields[1].totals[0]")),
    ],
)
def test_meaning_problems(field: dict[str, Any], expected: tuple[str, str]) -> None:
    found = codes(form(fld("a", "text"), field))
    assert found == [expected]
    [p] = validate_spec(form(fld("a", "text"), field))
    assert p.message.en != p.message.zh and p.source.form == "f"


def test_a_formula_that_does_not_compile_points_into_its_text() -> None:
    data = form(fld("n", "number"), fld("total", "formula", expression="n * 2 + nn"))
    [p] = validate_spec(data)
    assert (p.code, p.source.path, p.source.line, p.source.column) == (
        "forms.bad_formula", "fields[1].expression", 1, 9)
    assert p.hint is not None and "'n'" in p.hint.en


def test_a_formula_may_only_use_formulas_declared_above_it() -> None:
    data = form(fld("a", "formula", expression="b + 1"), fld("b", "formula", expression="1"))
    [p] = validate_spec(data)
    assert p.code == "forms.bad_formula" and p.hint is not None and "above" in p.hint.en


def test_a_formula_result_must_match_its_declared_kind() -> None:
    data = form(fld("t", "text"), fld("f", "formula", expression="t", result="number"))
    assert codes(data) == [("forms.formula_result", "fields[1].result")]


def test_row_formulas_see_their_row() -> None:
    rows = fld("lines", "subform", fields=[fld("q", "number"), fld("a", "formula", expression="q * 2")])
    assert codes(form(rows, fld("t", "formula", expression="sum(lines.a)"))) == []
    bad = fld("lines", "subform", fields=[fld("a", "formula", expression="t")])
    assert codes(form(fld("t", "number"), bad)) == [("forms.bad_formula", "fields[1].fields[0].expression")]


def test_validation_problems_are_located_in_the_list_or_the_text() -> None:
    listed = form(fld("n", "number"), validations=[
        {"condition": "n > 0", "message": "正数 / positive"},
        {"condition": "n > nn", "message": "x"},
    ])
    [p] = validate_spec(listed)
    assert (p.code, p.source.path, p.source.line, p.source.column) == (
        "forms.bad_validation", "validations[1].condition", 1, 5)
    text = form(fld("n", "number"), validations='validate n > 0 else "a"\nvalidate nn > 0 else "b"')
    [p] = validate_spec(text)
    assert (p.source.path, p.source.line, p.source.column) == ("validations", 2, 10)


def test_validations_hold_only_validate_lines() -> None:
    text = "on f approved:\n    release reservations\n"
    assert codes(form(fld("n", "number"), validations=text)) == [("forms.bad_validation", "validations")]


def test_a_linked_filter_must_parse() -> None:
    data = form(fld("l", "linked", form="supplier", filter="active = true"))
    [p] = validate_spec(data)
    assert (p.code, p.source.path, p.source.line) == ("forms.bad_filter", "fields[0].filter", 1)


def test_constants_are_known_to_formulas() -> None:
    data = form(fld("s", "location"), fld("f", "formula", expression="s == warehouse", result="boolean"))
    assert codes(data) != []
    assert load_form(data, constants={"warehouse": "location"}).ok


def test_require_raises_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        load_form(form(fld("a", "txt"))).require()
    assert caught.value.problems[0].code == "forms.unknown_type"


# -- migrations ------------------------------------------------------------------


V0 = {
    "key": "old", "version": 3, "title": "旧表单",
    "fields": [
        {"key": "qty", "kind": "number", "label": "数量"},
        {"key": "lines", "kind": "subform", "label": "明细",
         "fields": [{"key": "c", "kind": "select", "label": "颜色",
                     "options": [{"value": "r", "label": "红"}]}]},
    ],
}  # fmt: skip


def test_every_migration_is_named_and_documented() -> None:
    assert [m.from_version for m in MIGRATIONS] == list(range(CURRENT_SCHEMA_VERSION))
    for migration in MIGRATIONS:
        assert migration.name.startswith("form_v") and len(migration.description) > 40


def test_v0_upgrades_to_the_current_format() -> None:
    original = copy.deepcopy(V0)
    upgraded, problems = upgrade_form(V0)
    assert problems == [] and V0 == original
    assert upgraded["schema_version"] == CURRENT_SCHEMA_VERSION
    assert upgraded["labels"] == {"zh": "旧表单", "en": "旧表单"}
    assert upgraded["fields"][0] == {"key": "qty", "type": "number", "label": {"zh": "数量", "en": "数量"}}
    option = upgraded["fields"][1]["fields"][0]["options"][0]
    assert option["label"] == {"zh": "红", "en": "红"}
    spec = load_form(V0).require()
    assert spec.schema_version == CURRENT_SCHEMA_VERSION and spec.fields[1].fields[0].option_values == ("r",)


@pytest.mark.parametrize("version", [CURRENT_SCHEMA_VERSION + 1, -1, "1", True])
def test_unknown_schema_versions_are_refused(version: Any) -> None:
    data = {**form(fld("a", "text")), "schema_version": version}
    assert codes(data) == [("forms.unsupported_schema_version", "schema_version")]
