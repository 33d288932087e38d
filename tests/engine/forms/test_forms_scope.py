"""FormScope: the rules language checks rules against a form's own fields."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import ValidationError
from engine.forms import FormScope, load_form
from engine.rules import (
    EvalContext,
    Scope,
    StockEffect,
    check_rules,
    compile_expression,
    compile_rules,
)

GOLDEN = Path(__file__).parent / "golden"
SPEC = load_form(json.loads((GOLDEN / "purchase_in.form.json").read_text("utf-8"))).require()
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 9))


def test_form_scope_is_a_rules_scope() -> None:
    scope: Scope = FormScope.of(SPEC, constants={"main": "location"})
    assert list(scope.fields())[:3] == ["no", "supplier", "warehouse"]
    assert list(scope.constants()) == ["main"]
    supplier = scope.field("supplier")
    assert supplier is not None and (supplier.kind, supplier.target) == ("linked", "supplier")
    total = scope.field("total")
    assert total is not None and (total.kind, total.result) == ("formula", "number")
    lines = scope.field("lines")
    assert lines is not None and lines.children is not None
    qty = lines.children.field("qty")
    assert qty is not None and qty.kind == "number"
    assert scope.field("nope") is None
    assert scope.attribute("item", "category") is not None


def test_stock_rules_check_against_the_form() -> None:
    scope = FormScope.of(SPEC)
    text = ("on purchase_in approved:\n"
            "    for line in lines: receive line.qty of line.item into warehouse "
            "expires line.expiry cost line.price\n")  # fmt: skip
    rules = compile_rules(text, scope, form="purchase_in")
    doc = {"warehouse": "WH-1", "lines": [{"item": "MILK", "qty": Decimal(2), "price": Decimal("3.1"),
                                           "expiry": date(2026, 3, 1)}]}  # fmt: skip
    [effect] = rules.effects("purchase_in", "approved", None, doc, CTX)
    assert isinstance(effect, StockEffect) and effect.qty == 2
    problems = check_rules("validate lines.qtty > 0 else \"x\"", scope, form="purchase_in")
    assert [p.code for p in problems] == ["rules.unknown_field"]


def test_constants_and_attributes_come_from_the_caller() -> None:
    with pytest.raises(ValidationError):
        compile_expression("warehouse == kitchen", FormScope.of(SPEC))
    scope = FormScope.of(SPEC, constants={"kitchen": "location"},
                         attributes={"item": {"brand": "text"}})  # fmt: skip
    compile_expression("warehouse == kitchen", scope)
    compile_expression("supplier == \"S1\"", scope)
    assert scope.attribute("item", "brand") is not None


def test_hidden_fields_are_unknown() -> None:
    scope = FormScope.of(SPEC).without({"total"})
    assert scope.field("total") is None and "total" not in list(scope.fields())
