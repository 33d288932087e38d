"""Static checker: every problem code it reports, with positions and hints."""

from __future__ import annotations

import pytest

from engine.errors import Problem, ValidationError
from engine.rules import DictScope, check_rules, compile_expression, compile_rules
from engine.rules.problems import CATALOG, is_error

SCOPE = DictScope.from_spec(
    {
        "total": "money", "note": "text", "due": "date", "created": "datetime",
        "urgent": "checkbox", "status": "select", "tags": "multiselect",
        "from_store": "location", "to_store": "location", "store": "location",
        "buyer": "member", "supplier": {"kind": "linked", "target": "supplier"},
        "amount": {"kind": "formula", "result": "number"},
        "lines": {"item": "item", "qty": "number", "price": "money", "batch": "batch",
                  "expiry": "date", "code": "text",
                  "parts": {"item": "item", "qty": "number"}},
        "fees": {"amount": "money"},
    },
    constants={"warehouse": "location", "kitchen": "location"},
    attributes={"supplier": {"city": "text"}},
)  # fmt: skip


def problems(text: str, form: str = "t") -> list[Problem]:
    return check_rules(text, SCOPE, form=form, name="t.rules")


def codes(text: str, form: str = "t") -> list[str]:
    return [p.code for p in problems(text, form)]


def rule(*lines: str) -> str:
    return "on t approved:\n" + "".join(f"    {line}\n" for line in lines)


def expr_codes(text: str) -> list[str]:
    try:
        compile_expression(text, SCOPE)
    except ValidationError as error:
        return [p.code for p in error.problems]
    return []


def test_a_clean_rule_set_has_no_problems() -> None:
    text = rule(
        "let limit = 100",
        "for line in lines:",
        "    when line.qty > 0 and line.item.category in ['milk', 'eggs']:",
        "        receive line.qty of line.item into warehouse batch line.batch "
        "expires line.expiry cost line.price",
        "    for part in line.parts: issue part.qty * 2 of part.item from kitchen fefo",
        "when sum(lines.qty * lines.price) > limit: release reservations",
    )
    assert problems(text + 'validate total >= 0 else "zh / en"\n') == []


def test_unknown_field_with_did_you_mean() -> None:
    (p,) = problems(rule("for line in lines: issue line.qyt of line.item from store"))
    assert p.code == "rules.unknown_field"
    assert (p.source.line, p.source.column) == (2, 30)
    assert p.hint is not None and "'qty'" in p.hint.en and "'qty'" in p.hint.zh
    assert p.source.rule == "t.rules" and p.source.form == "t"


def test_bare_name_that_is_neither_field_nor_location() -> None:
    (p,) = problems(rule("for line in lines: issue line.qty of line.item from warehose"))
    assert p.code == "rules.unknown_field"
    assert p.hint is not None and "'warehouse'" in p.hint.en


def test_unknown_function_with_did_you_mean() -> None:
    (p,) = problems('validate summ(lines.qty) > 0 else "x"\n')
    assert p.code == "rules.unknown_function"
    assert p.hint is not None and "'sum'" in p.hint.en


def test_unknown_attribute_and_attribute_chains() -> None:
    assert expr_codes("lines.item.colour == 'red'") == ["rules.unknown_attribute"]
    assert expr_codes("buyer.department.head.name == 'Li'") == []
    assert expr_codes("supplier.city == 'Hangzhou'") == []
    assert expr_codes("total.value > 1") == ["rules.not_a_record"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("due + 'a' == due", "rules.type_mismatch"),
        ("due + 1 == due", "rules.type_mismatch"),
        ("note > 1", "rules.type_mismatch"),
        ("due < created", "rules.type_mismatch"),
        ("from_store == buyer", "rules.type_mismatch"),
        ("total in ['a', 'b']", "rules.type_mismatch"),
        ("total if urgent else note", "rules.type_mismatch"),
        ("total and urgent", "rules.not_a_condition"),
        ("not note", "rules.not_a_condition"),
        ("round(note) > 1", "rules.bad_argument"),
        ("days_between(due, 5) > 1", "rules.bad_argument"),
        ("sum(lines) > 1", "rules.bad_argument"),
        ("round(1, 2, 3) > 1", "rules.arity"),
        ("today(1) == due", "rules.arity"),
        ("if(urgent, 1) == 1", "rules.arity"),
        ("lines.qty > 0", "rules.column_not_aggregated"),
        ("sum(lines.qty * fees.amount) > 0", "rules.column_mismatch"),
        ("sum(lines.parts.qty) > 0", "rules.column_not_aggregated"),
    ],
)
def test_expression_type_errors(text: str, code: str) -> None:
    assert code in expr_codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "from_store != to_store", "store == 'WH-1'", "status in ['a', 'b']",
        "sum(lines.qty * lines.price) >= total", "count(lines) > 0", "len(lines) > 0",
        "max(lines.expiry) < due", "sum(lines.qty * 2) > 0", "sum(round(lines.price, 1)) > 0",
        "contains(tags, 'vip')", "contains(note, 'x')", "coalesce(total, 0) > 0",
        "days_between(created, due) > 3", "add_days(due, 3) > today()", "amount > 1",
        "now() > created", "total == null", "urgent or null", "startswith(note, 'A')",
    ],
)  # fmt: skip
def test_well_typed_expressions(text: str) -> None:
    assert expr_codes(text) == []


def test_loop_over_something_that_is_not_a_subform() -> None:
    assert codes(rule("for line in total: release reservations")) == ["rules.not_a_subform"]


@pytest.mark.parametrize(
    ("stmt", "code"),
    [
        ("issue line.item of line.item from store", "rules.not_a_quantity"),
        ("issue 'many' of line.item from store", "rules.not_a_quantity"),
        ("issue line.qty of store from store", "rules.not_an_item"),
        ("issue line.qty of line.item from line.item", "rules.not_a_location"),
        ("move line.qty of line.item from store to buyer", "rules.not_a_location"),
        ("receive line.qty of line.item into store expires line.code", "rules.bad_clause"),
        ("receive line.qty of line.item into store cost line.code", "rules.bad_clause"),
        ("receive line.qty of line.item into store batch line.item", "rules.bad_clause"),
        ("issue line.qty of line.item from store cost 1", "rules.bad_clause"),
        ("receive line.qty of line.item into store fefo", "rules.bad_clause"),
        ("issue 1 of bom(line.item, 'deep') from store", "rules.bad_clause"),
        ("receive 1 of line.item into store batch 'a' batch 'b'", "rules.duplicate_clause"),
        ("issue line.qty of line.item into store", "rules.bad_preposition"),
        ("receive line.qty of line.item from store", "rules.bad_preposition"),
        ("issue lines.qty of line.item from store", "rules.column_not_aggregated"),
    ],
)
def test_stock_verb_problems(stmt: str, code: str) -> None:
    assert codes(rule(f"for line in lines: {stmt}")) == [code]


def test_an_item_used_as_a_location_says_so() -> None:
    (p,) = problems(rule("for line in lines: issue line.qty of line.item from line.item"))
    assert "item reference" in p.message.en


def test_let_and_loop_names_must_be_new() -> None:
    assert codes(rule("let total = 1")) == ["rules.name_in_use"]
    assert codes(rule("let warehouse = 1")) == ["rules.name_in_use"]
    assert codes(rule("let x = 1", "let x = 2")) == ["rules.name_in_use"]
    assert codes(rule("for lines in lines: release reservations")) == ["rules.name_in_use"]


def test_let_is_block_scoped_and_ordered() -> None:
    assert codes(rule("when urgent:", "    let x = 1", "when x > 0: release reservations")) == [
        "rules.unknown_field"
    ]
    assert codes(rule("when y > 0: release reservations", "let y = 1")) == ["rules.unknown_field"]
    assert codes(rule("let z = 1", "when z > 0: release reservations")) == []


def test_events_aliases_unknown_and_nodes() -> None:
    assert codes("on t approve, reject, withdraw, cancel, timeout, submit: release reservations") == []
    (p,) = problems("on t aproved: release reservations")
    assert p.code == "rules.unknown_event" and p.hint is not None and "approved" in p.hint.en
    assert codes("on t approved at boss: release reservations") == []
    assert codes("on t submitted at boss: release reservations") == ["rules.node_not_allowed"]


def test_duplicate_rules() -> None:
    text = "on t approved: release reservations\non t approve:\n    release reservations\n"
    (p,) = problems(text)
    assert p.code == "rules.duplicate_rule" and p.source.line == 2
    assert "line 1" in p.message.en
    assert codes("on t approved, approved: release reservations") == ["rules.duplicate_rule"]
    same_node = "on t approved at a: release reservations\non t approved at a: release reservations"
    assert codes(same_node) == ["rules.duplicate_rule"]
    other_nodes = "on t approved at a: release reservations\non t approved: release reservations"
    assert codes(other_nodes) == []


def test_unreachable_block_is_a_warning() -> None:
    for cond in ("false", "not true", "urgent and false", "null"):
        (p,) = problems(rule(f"when {cond}: release reservations"))
        assert p.code == "rules.unreachable" and not is_error(p)


def test_rule_for_another_form_is_a_warning_and_ignored() -> None:
    text = "on other approved:\n    issue nothing of nowhere from nobody\n"
    (p,) = problems(text)
    assert p.code == "rules.other_form" and not is_error(p)
    compiled = compile_rules(text, SCOPE, form="t", name="t.rules")
    assert compiled.warnings == (p,) and compiled.rules == ()


def test_compile_rules_raises_all_errors_at_once() -> None:
    text = rule("issue 1 of nothing from store", "receive 'x' of store into buyer")
    with pytest.raises(ValidationError) as info:
        compile_rules(text, SCOPE, form="t")
    assert [p.code for p in info.value.problems] == [
        "rules.unknown_field", "rules.not_a_quantity", "rules.not_an_item", "rules.not_a_location",
    ]  # fmt: skip


def test_validation_condition_must_be_boolean() -> None:
    assert codes('validate total else "x"\n') == ["rules.not_a_condition"]


def test_every_problem_is_bilingual_with_position() -> None:
    text = rule("for line in total: issue 'x' of store from buyer", "let total = 1")
    found = problems(text)
    assert len(found) >= 4
    for p in found:
        assert p.code in CATALOG
        assert p.message.en and p.message.zh and p.message.en != p.message.zh
        assert p.source.line and p.source.column


def test_checker_never_raises_on_nonsense() -> None:
    for text in ("on t approved: for a in b: for c in a.d: issue c.e of c.f from c.g",
                 "validate lines.item.category.parent.x > total.y else 'q'",
                 "on t approved: when sum(sum(lines)) + count(1, lines) > max(): release reservations"):  # fmt: skip
        assert all(p.code.startswith("rules.") for p in problems(text))
