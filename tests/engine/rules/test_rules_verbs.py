"""The verb registry: built-in words, words a plugin adds, and what the checker says."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest

from engine.errors import ValidationError
from engine.rules import (
    DictScope,
    EvalContext,
    StockEffect,
    Verb,
    VerbRegistry,
    check_rules,
    compile_rules,
    default_verbs,
)
from engine.rules.verbs import CAPABILITIES, KEYWORDS, OPERATIONS

SCOPE = DictScope.from_spec(
    {"store": "location", "to_store": "location", "cost": "money", "expiry": "date",
     "lines": {"item": "item", "qty": "number", "price": "money"}},
)  # fmt: skip
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 9, 30))
DOC: dict[str, Any] = {
    "store": "S1", "to_store": "S2", "cost": Decimal("2.50"), "expiry": date(2026, 6, 1),
    "lines": [{"item": "A1", "qty": Decimal(3), "price": Decimal("1.10")}],
}  # fmt: skip


def trade_verbs() -> VerbRegistry:
    """What a plugin for a Chinese-speaking food producer might register."""
    verbs = default_verbs()
    verbs.register(Verb("入库", "receive", ("into", "at"), "采购入库"))
    verbs.register(Verb("出库", "issue", ("from",), "销售出库"))
    verbs.register(Verb("consume", "issue", ("from", "at"), "Production consumes material."))
    verbs.register(Verb("ship", "move", ("from",), "Goods leave for another store."))
    return verbs.freeze()


def effects(text: str, verbs: VerbRegistry | None = None) -> list[Any]:
    compiled = compile_rules(text, SCOPE, form="t", verbs=verbs)
    return compiled.effects("t", "approved", None, DOC, CTX)


def codes(text: str, verbs: VerbRegistry | None = None) -> list[str]:
    return [p.code for p in check_rules(text, SCOPE, form="t", verbs=verbs)]


def rule(line: str) -> str:
    return f"on t approved:\n    for line in lines: {line}\n"


@pytest.mark.parametrize(
    ("statement", "operation"),
    [("receive line.qty of line.item into store", "receive"),
     ("increment line.item at store by line.qty", "receive"),
     ("issue line.qty of line.item from store", "issue"),
     ("decrement line.item at store by line.qty", "issue"),
     ("reserve line.qty of line.item at store", "reserve"),
     ("release line.qty of line.item from store", "release"),
     ("scrap line.qty of line.item from store", "scrap"),
     ("move line.qty of line.item from store to to_store", "move"),
     ("move line.item from store to to_store by line.qty", "move")],
)  # fmt: skip
def test_built_in_words_perform_their_operation(statement: str, operation: str) -> None:
    (effect,) = effects(rule(statement))
    assert isinstance(effect, StockEffect)
    assert (effect.verb, effect.item, effect.location, effect.qty) == (operation, "A1", "S1", 3)
    assert effect.to_location == ("S2" if operation == "move" else None)


def test_a_plugin_word_does_exactly_what_its_operation_does() -> None:
    verbs = trade_verbs()
    mine = effects(rule("入库 line.qty of line.item into store cost line.price"), verbs)
    theirs = effects(rule("receive line.qty of line.item into store cost line.price"))
    assert mine == theirs and mine[0].cost == Decimal("1.10")
    assert effects(rule("consume line.qty of line.item from store fefo"), verbs) == \
        effects(rule("issue line.qty of line.item from store fefo"))
    (shipped,) = effects(rule("ship line.item from store to to_store by line.qty"), verbs)
    assert (shipped.verb, shipped.location, shipped.to_location) == ("move", "S1", "S2")


def test_a_plugin_word_is_unknown_where_the_plugin_is_not_loaded() -> None:
    problems = check_rules(rule("consum line.qty of line.item from store"), SCOPE, form="t",
                           verbs=trade_verbs())  # fmt: skip
    (problem,) = problems
    assert problem.code == "rules.unknown_verb"
    assert (problem.source.line, problem.source.column) == (2, 24)
    assert problem.hint is not None and "'consume'" in problem.hint.en
    assert "入库" in problem.hint.zh and "ship" in problem.hint.en
    assert codes(rule("consume line.qty of line.item from store")) == ["rules.unknown_verb"]
    with pytest.raises(ValidationError) as info:
        effects(rule("ship line.qty of line.item from store to to_store"))
    assert [p.code for p in info.value.problems] == ["rules.unknown_verb"]


def test_prepositions_come_from_the_verb() -> None:
    verbs = trade_verbs()
    assert codes(rule("出库 line.qty of line.item from store"), verbs) == []
    problems = check_rules(rule("出库 line.qty of line.item at store"), SCOPE, form="t",
                           verbs=verbs)  # fmt: skip
    assert [p.code for p in problems] == ["rules.bad_preposition"]
    assert problems[0].hint is not None and "出库 … from" in problems[0].hint.en


def test_the_operation_decides_destination_and_clauses() -> None:
    verbs = trade_verbs()
    assert codes(rule("ship line.qty of line.item from store"), verbs) == \
        ["rules.missing_destination"]
    assert codes(rule("move line.qty of line.item from store"), verbs) == \
        ["rules.missing_destination"]
    assert codes(rule("issue line.qty of line.item from store to to_store")) == \
        ["rules.unexpected_destination"]
    assert codes(rule("入库 line.qty of line.item into store pick fefo"), verbs) == \
        ["rules.bad_clause"]
    assert codes(rule("consume line.qty of line.item from store cost 1"), verbs) == \
        ["rules.bad_clause"]
    assert codes(rule("入库 line.qty of line.item into store expires expiry cost cost"),
                 verbs) == []  # fmt: skip


@pytest.mark.parametrize(
    ("verb", "message"),
    [(lambda: Verb("for", "issue", ("from",)), "keyword"),
     (lambda: Verb("lock", "issue", ("from",)), "keyword"),
     (lambda: Verb("1st", "issue", ("from",)), "not a name"),
     (lambda: Verb("pour", "drain", ("from",)), "unknown operation"),
     (lambda: Verb("pour", "issue", ("over",)), "prepositions"),
     (lambda: Verb("pour", "issue", ()), "prepositions"),
     (lambda: Verb("tally", "count", ("at",)), "count")],
)  # fmt: skip
def test_a_verb_that_could_not_work_is_refused_when_registered(verb: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        verb()


def test_the_registry_refuses_duplicates_and_changes_after_freezing() -> None:
    verbs = default_verbs()
    with pytest.raises(ValueError, match="duplicate"):
        verbs.register(Verb("issue", "issue", ("from",)))
    verbs.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        verbs.register(Verb("pour", "issue", ("from",)))


def test_every_operation_has_its_capabilities_and_a_built_in_word() -> None:
    assert set(CAPABILITIES) == set(OPERATIONS)
    assert {default_verbs().get(op).operation for op in OPERATIONS} == set(OPERATIONS)  # type: ignore[union-attr]


def test_the_reserved_words_are_the_grammar_keywords() -> None:
    grammar = resources.files("engine.rules").joinpath("grammar.lark").read_text("utf-8")
    named = set(re.findall(r'^_?[A-Z]+(?:\.\d+)?: "([a-z]+)"$', grammar, flags=re.M))
    anonymous = set(re.findall(r'(?<![A-Z]: )"([a-z]+)"', grammar))
    assert named | anonymous == KEYWORDS
