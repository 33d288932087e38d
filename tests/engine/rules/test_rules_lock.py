"""Stocktake locks: ``lock <location>`` / ``unlock <location>`` from text to LockEffect."""

from __future__ import annotations

import pickle
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from engine.errors import ValidationError
from engine.rules import (
    DictScope,
    EffectLimitExceeded,
    EvalContext,
    Limits,
    LockEffect,
    Origin,
    RuleRuntimeError,
    StepLimitExceeded,
    check_rules,
    compile_rules,
)
from engine.rules import nodes as n
from engine.rules.parser import parse_program

SCOPE = DictScope.from_spec(
    {"location": "location", "note": "text", "total": "money",
     "lines": {"item": "item", "counted": "number", "shelf": "location"}},
    constants={"warehouse": "location"},
)  # fmt: skip
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 9))
DOC: dict[str, Any] = {
    "location": "SHELF-A", "note": "x", "total": Decimal(1),
    "lines": [{"item": "A1", "counted": Decimal(12), "shelf": "S1"},
              {"item": "B2", "counted": Decimal(0), "shelf": "S2"}],
}  # fmt: skip
STOCKTAKE = """\
on stocktake submitted:
    lock location
on stocktake approved:
    for line in lines: count line.item at location as line.counted
    unlock location
on stocktake rejected, withdrawn:
    unlock location
"""


def effects(text: str, event: str, document: dict[str, Any] | None = None,
            ctx: EvalContext = CTX) -> list[Any]:  # fmt: skip
    rules = compile_rules(text, SCOPE, form="stocktake")
    return rules.effects("stocktake", event, None, DOC if document is None else document, ctx)


def codes(text: str) -> list[tuple[str, int | None, int | None]]:
    found = check_rules(text, SCOPE, form="stocktake", name="s.rules")
    return [(p.code, p.source.line, p.source.column) for p in found]


def test_lock_and_unlock_parse_to_lock_nodes() -> None:
    program = parse_program(STOCKTAKE)
    lock = program.rules[0].body[0]
    unlock = program.rules[1].body[1]
    assert isinstance(lock, n.Lock) and lock.locked and lock.pos == n.Pos(2, 5)
    assert isinstance(unlock, n.Lock) and not unlock.locked and unlock.pos == n.Pos(5, 5)
    assert isinstance(lock.location, n.Path) and lock.location.pos == n.Pos(2, 10)


def test_submitted_locks_approved_counts_then_unlocks() -> None:
    (lock,) = effects(STOCKTAKE, "submitted")
    assert lock == LockEffect("SHELF-A", True, Origin(0, 2, 5, ()))
    assert lock.as_dict() == {
        "type": "lock", "location": "SHELF-A",
        "origin": {"rule_index": 0, "line": 2, "column": 5, "rows": []},
    }  # fmt: skip
    *counts, unlock = effects(STOCKTAKE, "approved")
    assert [c.item for c in counts] == ["A1", "B2"]
    assert unlock == LockEffect("SHELF-A", False, Origin(1, 5, 5, ()))
    assert unlock.as_dict()["type"] == "unlock"
    assert effects(STOCKTAKE, "withdraw") == [LockEffect("SHELF-A", False, Origin(2, 7, 5, ()))]


def test_lock_effect_is_a_frozen_value_with_a_stable_key() -> None:
    effect = LockEffect("SHELF-A", True, Origin(0, 2, 5, (1,)))
    assert effect.key == "r0:2:5:1" and effect.line_index == 1
    assert effect == pickle.loads(pickle.dumps(effect))
    assert hash(effect) == hash(LockEffect("SHELF-A", True, Origin(0, 2, 5, (1,))))
    assert effect != LockEffect("SHELF-A", False, Origin(0, 2, 5, (1,)))
    with pytest.raises(AttributeError):
        effect.locked = False  # type: ignore[misc]


def test_constants_and_row_locations_can_be_locked() -> None:
    text = "on stocktake submitted:\n    lock warehouse\n    for line in lines: lock line.shelf\n"
    got = effects(text, "submitted")
    assert [(e.location, e.origin.rows) for e in got] == [("warehouse", ()), ("S1", (0,)),
                                                          ("S2", (1,))]  # fmt: skip
    assert len({e.key for e in got}) == 3


@pytest.mark.parametrize(
    ("stmt", "column", "found"),
    [
        ("lock note", 10, "text"),
        ("unlock total", 12, "number"),
        ("lock 5", 10, "number"),
        ('lock "SHELF-A"', 10, "text"),
        ("for line in lines: lock line.item", 29, "item reference"),
    ],
)
def test_lock_needs_a_location(stmt: str, column: int, found: str) -> None:
    text = f"on stocktake submitted:\n    {stmt}\n"
    assert codes(text) == [("rules.bad_lock", 2, column)]
    (problem,) = check_rules(text, SCOPE, form="stocktake")
    verb = stmt.split(": ")[-1].split()[0]
    assert problem.message.en == f"`{verb}` needs a location, not {found}."
    assert problem.message.zh == f"`{verb}` 需要库位，而不是 {found}。"
    assert problem.hint is not None and f"`{verb} location`" in problem.hint.en
    with pytest.raises(ValidationError):
        compile_rules(text, SCOPE, form="stocktake")


def test_lock_reports_unknown_names_and_columns() -> None:
    assert codes("on stocktake submitted:\n    lock shelf\n") == [("rules.unknown_field", 2, 10)]
    assert [c for c, *_ in codes("on stocktake submitted:\n    lock lines.shelf\n")] == [
        "rules.column_not_aggregated"
    ]


def test_lock_without_a_location_is_a_syntax_error() -> None:
    assert [c for c, *_ in codes("on stocktake submitted:\n    lock\n")] == ["rules.syntax"]


def test_lock_is_still_a_usable_name_elsewhere() -> None:
    scope = DictScope.from_spec({"lock": "checkbox", "unlock": "location"})
    text = "on t submitted:\n    when lock: unlock unlock\nvalidate lock or not lock else \"x\"\n"
    rules = compile_rules(text, scope, form="t")
    got = rules.effects("t", "submitted", None, {"lock": True, "unlock": "L1"}, CTX)
    assert got == [LockEffect("L1", False, Origin(0, 2, 16, ()))]


def test_an_empty_or_bad_location_is_a_runtime_error_at_the_statement() -> None:
    with pytest.raises(RuleRuntimeError) as info:
        effects(STOCKTAKE, "submitted", {**DOC, "location": None})
    (problem,) = info.value.problems
    assert (problem.code, problem.source.line, problem.source.column) == ("rules.null_value", 2, 5)
    with pytest.raises(RuleRuntimeError) as info:
        effects(STOCKTAKE, "submitted", {**DOC, "location": 1.5})
    assert info.value.problems[0].code == "rules.bad_reference"


def test_locks_count_against_the_effect_and_step_budgets() -> None:
    text = "on stocktake submitted:\n    for line in lines: lock line.shelf\n"
    tight = EvalContext(CTX.today, CTX.now, limits=Limits(max_effects=1))
    with pytest.raises(EffectLimitExceeded):
        effects(text, "submitted", ctx=tight)
    # for: 1 + 1 node, two iterations, two locks of 1 + 1 node each = 8 steps
    assert len(effects(text, "submitted", ctx=EvalContext(CTX.today, CTX.now,
                                                          limits=Limits(max_steps=8)))) == 2  # fmt: skip
    with pytest.raises(StepLimitExceeded):
        effects(text, "submitted", ctx=EvalContext(CTX.today, CTX.now, limits=Limits(max_steps=7)))
