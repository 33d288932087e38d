"""Field permissions: what an actor sees, and which edits are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.forms import TOTALS_KEY, Access, apply_permissions, edits_allowed, load_form

GOLDEN = Path(__file__).parent / "golden"
SPEC = load_form(json.loads((GOLDEN / "purchase_in.form.json").read_text("utf-8"))).require()
BEFORE: dict[str, Any] = {
    "supplier": "S1", "warehouse": "WH-1", "freight": "5.00", "total": "12.00",
    "lines": [{"item": "MILK", "qty": "2", "price": "3.50", "amount": "7.00"}],
    TOTALS_KEY: {"lines": {"qty": "2.000", "amount": "7.00"}},
}  # fmt: skip


def test_hidden_fields_and_columns_are_removed() -> None:
    seen = apply_permissions(SPEC, BEFORE, {"freight": "hidden", "lines.price": Access.HIDDEN,
                                            "lines.amount": "hidden"})  # fmt: skip
    assert "freight" not in seen and seen["supplier"] == "S1"
    assert seen["lines"] == [{"item": "MILK", "qty": "2"}]
    assert seen[TOTALS_KEY] == {"lines": {"qty": "2.000"}}
    assert apply_permissions(SPEC, BEFORE, {"lines": "hidden"}).get("lines") is None


def test_unlisted_fields_are_read_only() -> None:
    after = {**BEFORE, "supplier": "S2"}
    [p] = edits_allowed(SPEC, BEFORE, after, {})
    assert (p.code, p.source.path) == ("forms.field_not_editable", "supplier")
    assert "Supplier" in p.message.en and "供应商" in p.message.zh
    assert edits_allowed(SPEC, BEFORE, after, {"supplier": "edit"}) == []


def test_same_value_spelled_differently_is_not_a_change() -> None:
    after = {**BEFORE, "freight": "5", "lines": [{**BEFORE["lines"][0], "qty": 2}]}
    assert edits_allowed(SPEC, BEFORE, after, {}) == []


def test_absent_and_computed_fields_are_not_compared() -> None:
    after = {"total": "99", TOTALS_KEY: {}, "supplier": "S1"}
    assert edits_allowed(SPEC, BEFORE, after, {}) == []


def test_cells_of_read_only_columns_are_refused_with_their_row() -> None:
    lines = [{**BEFORE["lines"][0], "qty": "3"}, {"item": "EGG", "qty": "1", "price": "9"}]
    perms = {"lines": "edit", "lines.price": "read"}
    problems = edits_allowed(SPEC, BEFORE, {"lines": lines}, perms)
    assert [(p.code, p.source.path) for p in problems] == [("forms.field_not_editable", "lines[1].price")]
    assert "row 2" in problems[0].message.en


def test_a_read_only_subform_refuses_any_row_change() -> None:
    problems = edits_allowed(SPEC, BEFORE, {"lines": []}, {"lines": "read"})
    assert [p.source.path for p in problems] == ["lines"]
