"""Functions that read the ledger through ``EvalContext.ledger`` (a LedgerReader)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from engine.errors import ValidationError
from engine.rules import (
    DEFAULT_LIMITS,
    DictLedger,
    DictScope,
    EvalContext,
    LedgerReader,
    RuleRuntimeError,
    StockEffect,
    check_rules,
    compile_expression,
    compile_rules,
    default_functions,
)

D = Decimal
TODAY = date(2026, 1, 15)
SCOPE = DictScope.from_spec(
    {"store": "location", "product": "item", "note": "text", "n": "number",
     "lines": {"item": "item", "qty": "number", "shelf": "location"}},
    constants={"warehouse": "location"},
)  # fmt: skip
DOC: dict[str, Any] = {
    "store": "SHOP-1", "product": "MILK", "note": "MILK", "n": D(7),
    "lines": [{"item": "MILK", "qty": D(30), "shelf": "S1"},
              {"item": "BREAD", "qty": D(4), "shelf": "S2"}],
}  # fmt: skip
LEDGER = DictLedger(
    TODAY,
    stock={("MILK", "SHOP-1"): D(40), ("BREAD", "SHOP-1"): D(6), ("MILK", "warehouse"): D(200),
           ("EGG", "SHOP-1"): D(-2)},
    reserved={("MILK", "SHOP-1"): D(12), ("BREAD", "SHOP-1"): D(6)},
    issues=(
        (TODAY, "MILK", "SHOP-1", D(8)),                       # today: inside every window
        (TODAY - timedelta(days=6), "MILK", "SHOP-1", D(13)),  # first day of a 7-day window
        (TODAY - timedelta(days=7), "MILK", "SHOP-1", D(99)),  # just outside it
        (TODAY + timedelta(days=1), "MILK", "SHOP-1", D(500)), # tomorrow: never counted
        (TODAY, "MILK", "warehouse", D(14)),
        (TODAY, "MILK", "customer", D(1000)),                  # not an internal location
        (TODAY, "BREAD", "SHOP-1", D(7)),
    ),
    reorder_points={"MILK": D(24)},
    unit_costs={"MILK": D("3.20"), "BREAD": D(250)},
    internal=frozenset({"SHOP-1", "warehouse"}),
)  # fmt: skip
CTX = EvalContext(TODAY, datetime(2026, 1, 15, 9), ledger=LEDGER)
NO_LEDGER = EvalContext(TODAY, datetime(2026, 1, 15, 9))


def ev(text: str, ctx: EvalContext = CTX, values: dict[str, Any] | None = None) -> Any:
    return compile_expression(text, SCOPE).evaluate(DOC if values is None else values, ctx)


def runtime_problem(text: str, ctx: EvalContext = CTX,
                    values: dict[str, Any] | None = None) -> tuple[str, int | None, int | None]:  # fmt: skip
    with pytest.raises(RuleRuntimeError) as info:
        ev(text, ctx, values)
    (problem,) = info.value.problems
    return problem.code, problem.source.line, problem.source.column


def check_codes(text: str) -> list[str]:
    return [p.code for p in check_rules(f'validate {text} else "x"\n', SCOPE, form="t")]


# ---- each function ----


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on_hand(product, store)", "40"),
        ("on_hand(product, warehouse)", "200"),
        ("on_hand(product, lines.shelf)", None),  # a column: see the column tests
        ("available(product, store)", "28"),
        ("reorder_point(product)", "24"),
        ("unit_cost(product)", "3.20"),
        ("avg_daily_issue(product, 1, store)", "8"),
        ("avg_daily_issue(product, 7, store)", "3"),
        ("avg_daily_issue(product, 8, store)", "15"),
        ("avg_daily_issue(product, 3, store)", "2.666666666666666666666666667"),
        ("avg_daily_issue(product, 3660, store)", "0.03278688524590163934426229508"),
        ("avg_daily_issue(product, 1)", "22"),  # shop + warehouse, not the customer
        ("avg_daily_issue(product, n)", "5"),
    ],
)
def test_ledger_functions(text: str, expected: str | None) -> None:
    if expected is None:
        assert check_codes(text + " > 0") == ["rules.column_not_aggregated"]
        return
    got = ev(text)
    assert type(got) is Decimal and str(got) == expected


def test_what_the_ledger_does_not_know_is_zero_and_negatives_pass_through() -> None:
    scope_doc = {**DOC, "product": "TEA", "store": "NOWHERE"}
    assert [str(ev(f, values=scope_doc)) for f in (
        "on_hand(product, store)", "available(product, store)", "reorder_point(product)",
        "unit_cost(product)", "avg_daily_issue(product, 30, store)", "avg_daily_issue(product, 30)",
    )] == ["0", "0", "0", "0", "0", "0"]  # fmt: skip
    egg = {**DOC, "product": "EGG"}
    assert ev("on_hand(product, store)", values=egg) == D(-2)
    assert ev("available(product, store) < 0", values=egg) is True


@pytest.mark.parametrize(
    ("days", "code"),
    [("0", "rules.type_error"), ("-1", "rules.type_error"), ("3661", "rules.type_error"),
     ("1.5", "rules.type_error"), ("null", "rules.null_value")],
)  # fmt: skip
def test_avg_daily_issue_days_must_be_whole_and_in_range(days: str, code: str) -> None:
    assert runtime_problem(f"avg_daily_issue(product, {days}, store)") == (code, 1, 1)


def test_all_internal_locations_when_the_reader_has_no_list() -> None:
    everywhere = DictLedger(TODAY, issues=LEDGER.issues)
    ctx = EvalContext(TODAY, CTX.now, ledger=everywhere)
    assert ev("avg_daily_issue(product, 1)", ctx) == D(1022)


# ---- errors ----


def test_without_a_ledger_the_functions_say_so() -> None:
    for name, args in [("on_hand", "product, store"), ("available", "product, store"),
                       ("avg_daily_issue", "product, 7"), ("reorder_point", "product"),
                       ("unit_cost", "product")]:  # fmt: skip
        with pytest.raises(RuleRuntimeError) as info:
            ev(f"1 + {name}({args})", NO_LEDGER)
        (problem,) = info.value.problems
        assert (problem.code, problem.source.line, problem.source.column) == (
            "rules.no_ledger", 1, 5)  # fmt: skip
        assert problem.message.en == f"{name}() reads the stock ledger, and there is none here."
        assert problem.message.zh == f"{name}() 需要读取库存账，但此处无法读取。"
        assert problem.hint is not None and "formula" in problem.hint.en


def test_positional_context_stays_compatible() -> None:
    old_style = EvalContext(TODAY, CTX.now, None, DEFAULT_LIMITS)
    assert old_style.ledger is None
    assert EvalContext(TODAY, CTX.now, None, DEFAULT_LIMITS, LEDGER).ledger is LEDGER
    assert runtime_problem("unit_cost(product)", old_style)[0] == "rules.no_ledger"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("on_hand(store, store)", "Argument 1 of on_hand() must be item reference, not location reference."),
        ("on_hand(product, product)", "Argument 2 of on_hand() must be location reference, not item reference."),
        ('available("MILK", store)', "Argument 1 of available() must be item reference, not text."),
        ("unit_cost(note)", "Argument 1 of unit_cost() must be item reference, not text."),
        ("reorder_point(n)", "Argument 1 of reorder_point() must be item reference, not number."),
        ("avg_daily_issue(product, note)", "Argument 2 of avg_daily_issue() must be number, not text."),
        ("avg_daily_issue(product, 7, product)", "Argument 3 of avg_daily_issue() must be location reference, not item reference."),
        ("unit_cost(lines)", "Argument 1 of unit_cost() must be item reference, not subform."),
    ],
)  # fmt: skip
def test_arguments_are_type_checked(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        compile_expression(text, SCOPE)
    (problem,) = info.value.problems
    assert problem.code == "rules.bad_argument"
    assert problem.message.en == message


def test_arity() -> None:
    assert check_codes("avg_daily_issue(product) > 0") == ["rules.arity"]
    assert check_codes("avg_daily_issue(product, 1, store, store) > 0") == ["rules.arity"]
    assert check_codes("on_hand(product) > 0") == ["rules.arity"]


def test_empty_and_bad_references_at_runtime() -> None:
    values = {**DOC, "product": None}
    assert runtime_problem("on_hand(product, store)", values=values) == ("rules.null_value", 1, 1)
    values = {**DOC, "store": 1.5}
    assert runtime_problem("on_hand(product, store)", values=values)[0] == "rules.bad_reference"
    # an empty optional location is "all internal locations"
    assert ev("avg_daily_issue(product, 1, store)", values={**DOC, "store": None}) == D(22)


@dataclass
class Recording:
    """A reader that records its calls, and can fail or answer oddly."""

    answer: object = Decimal(1)
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def _reply(self, *call: Any) -> Any:
        self.calls.append(call)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def on_hand(self, item: str | int, location: str | int) -> Decimal:
        return self._reply("on_hand", item, location)  # type: ignore[no-any-return]

    def available(self, item: str | int, location: str | int) -> Decimal:
        return self._reply("available", item, location)  # type: ignore[no-any-return]

    def avg_daily_issue(self, item: str | int, location: str | int | None, days: int) -> Decimal:
        return self._reply("avg_daily_issue", item, location, days)  # type: ignore[no-any-return]

    def reorder_point(self, item: str | int) -> Decimal:
        return self._reply("reorder_point", item)  # type: ignore[no-any-return]

    def unit_cost(self, item: str | int) -> Decimal:
        return self._reply("unit_cost", item)  # type: ignore[no-any-return]


def test_readers_are_a_protocol_and_get_plain_references() -> None:
    reader: LedgerReader = Recording()
    assert isinstance(LEDGER, DictLedger)
    typed: LedgerReader = LEDGER  # DictLedger satisfies the protocol (mypy checks this line)
    assert typed is LEDGER
    ctx = EvalContext(TODAY, CTX.now, ledger=reader)
    ev("avg_daily_issue(product, 7.0, store) + avg_daily_issue(product, 1)", ctx)
    assert reader.calls == [  # type: ignore[attr-defined]
        ("avg_daily_issue", "MILK", "SHOP-1", 7), ("avg_daily_issue", "MILK", None, 1),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "code", "result"),
    [
        (7, None, Decimal(7)),
        (LookupError("no item 'MILK'"), "rules.ledger_failed", None),
        (1.5, "rules.ledger_failed", None),
        (Decimal("NaN"), "rules.ledger_failed", None),
        (True, "rules.ledger_failed", None),
    ],
)
def test_what_the_reader_answers_is_checked(answer: object, code: str | None,
                                            result: Decimal | None) -> None:  # fmt: skip
    ctx = EvalContext(TODAY, CTX.now, ledger=Recording(answer))
    if code is None:
        got = ev("unit_cost(product)", ctx)
        assert (got, type(got)) == (result, Decimal)
        return
    with pytest.raises(RuleRuntimeError) as info:
        ev("unit_cost(product)", ctx)
    (problem,) = info.value.problems
    assert problem.code == code and problem.message.en.startswith("unit_cost() could not read")


# ---- columns, conditions, rules ----

CONDITION = "count(lines) > 0 and sum(lines.qty * unit_cost(lines.item)) > 1000"


def test_a_function_over_a_column_runs_row_by_row_inside_an_aggregate() -> None:
    reader = Recording(Decimal("2.5"))
    ctx = EvalContext(TODAY, CTX.now, ledger=reader)
    assert ev("sum(lines.qty * unit_cost(lines.item))", ctx) == D("85.0")
    assert reader.calls == [("unit_cost", "MILK"), ("unit_cost", "BREAD")]
    assert str(ev("sum(lines.qty * unit_cost(lines.item))")) == "1096.00"
    assert ev("sum(on_hand(lines.item, lines.shelf))") == D(0)
    assert ev("min(available(lines.item, store))") == D(0)


def test_branch_condition_on_the_document() -> None:
    condition = compile_expression(CONDITION, SCOPE)
    assert condition.type.kind == "boolean" and condition.type.column is None
    assert condition.evaluate(DOC, CTX) is True
    cheap = {**DOC, "lines": [{"item": "MILK", "qty": D(312), "shelf": "S1"}]}
    assert condition.evaluate(cheap, CTX) is False  # 312 * 3.20 = 998.40
    dear = {**DOC, "lines": [{"item": "MILK", "qty": D(313), "shelf": "S1"}]}
    assert condition.evaluate(dear, CTX) is True  # 1001.60
    empty = {**DOC, "lines": []}
    assert condition.evaluate(empty, NO_LEDGER) is False  # short-circuits: no ledger read
    spike = "max(lines.qty - 3 * avg_daily_issue(lines.item, 7, store)) > 0"
    assert ev(spike) is True
    assert ev(spike, values={**DOC, "lines": [{"item": "MILK", "qty": D(9), "shelf": "S1"}]}) is False


def test_an_unaggregated_call_over_a_column_is_reported() -> None:
    assert check_codes("unit_cost(lines.item) > 1") == ["rules.column_not_aggregated"]


def test_ledger_functions_in_rules_and_validations() -> None:
    text = (
        "on t submitted:\n"
        "    for line in lines:\n"
        "        when available(line.item, store) < line.qty:\n"
        "            move line.qty - available(line.item, store) of line.item from warehouse to store\n"
        "validate sum(lines.qty * unit_cost(lines.item)) <= 1000 else \"太贵 / too dear\"\n"
    )  # fmt: skip
    rules = compile_rules(text, SCOPE, form="t")
    effects = rules.effects("t", "submitted", None, DOC, CTX)
    assert [(e.item, e.qty) for e in effects if isinstance(e, StockEffect)] == [("MILK", D(2)),
                                                                               ("BREAD", D(4))]  # fmt: skip
    assert [p.code for p in rules.validate(DOC, CTX)] == ["rules.validation_failed"]
    assert [p.code for p in rules.validate(DOC, NO_LEDGER)] == ["rules.no_ledger"]


def test_the_functions_are_registered_with_signatures() -> None:
    registry = default_functions()
    params = {name: registry.get(name).signature.params  # type: ignore[union-attr]
              for name in ("on_hand", "available", "avg_daily_issue", "reorder_point", "unit_cost")}  # fmt: skip
    assert params == {
        "on_hand": ("ref:item", "ref:location"), "available": ("ref:item", "ref:location"),
        "avg_daily_issue": ("ref:item", "number", "ref:location"),
        "reorder_point": ("ref:item",), "unit_cost": ("ref:item",),
    }  # fmt: skip
    assert registry.get("avg_daily_issue").signature.optional == 1  # type: ignore[union-attr]


def test_dict_ledger_from_dict() -> None:
    ledger = DictLedger.from_dict(
        {"on_hand": {"A1@WH-1": "12"}, "reserved": {"A1@WH-1": "2.5"},
         "issues": [["2026-01-14", "A1", "WH-1", "6"]], "reorder_point": {"A1": "10"},
         "unit_cost": {"A1": "3.20"}, "internal": ["WH-1"]},
        today=TODAY,
    )  # fmt: skip
    assert ledger.available("A1", "WH-1") == D("9.5")
    assert ledger.avg_daily_issue("A1", None, 2) == D(3)
    assert ledger.avg_daily_issue("A1", None, 1) == D(0)
    assert (ledger.reorder_point("A1"), ledger.unit_cost("A1")) == (D(10), D("3.20"))
    assert DictLedger.from_dict({"today": "2026-01-14"}, today=TODAY).today == date(2026, 1, 14)
