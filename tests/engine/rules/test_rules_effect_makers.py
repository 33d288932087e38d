"""The evaluator's fast effect constructors build exactly the public values."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import date, datetime
from decimal import Decimal

import pytest

from engine.rules import (
    CountEffect,
    DictScope,
    EvalContext,
    Explode,
    Origin,
    StockEffect,
    compile_rules,
)
from engine.rules import effect_makers as fast

D = Decimal
ORIGIN = Origin(2, 3, 9, (0, 4))


def same(made: object, built: object) -> None:
    """Indistinguishable: type, fields, equality, hash, repr, key, as_dict, pickling."""
    assert type(made) is type(built)
    assert made == built and built == made
    assert hash(made) == hash(built)
    assert repr(made) == repr(built)
    assert dataclasses.astuple(made) == dataclasses.astuple(built)  # type: ignore[call-overload]
    assert made.key == built.key  # type: ignore[attr-defined]
    assert made.as_dict() == built.as_dict()  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(made)) == built
    assert copy.deepcopy(made) == built
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.origin = ORIGIN  # type: ignore[attr-defined]


def test_origin() -> None:
    made = fast.make_origin(2, 3, 9, (0, 4))
    assert type(made) is Origin and made == ORIGIN and hash(made) == hash(ORIGIN)
    assert made.key == ORIGIN.key and made.as_dict() == ORIGIN.as_dict()


@pytest.mark.parametrize(
    "args",
    [
        (D(5), "A1", "WH-1", ORIGIN, "SHOP-2", None, None, None, None),
        (D("2.5"), 7, 8, ORIGIN, None, "B1", date(2026, 3, 1), D("3.20"), Explode("bom", 7, 2)),
    ],
)
def test_stock(args: tuple[object, ...]) -> None:
    qty, item, location, origin, to, batch, expiry, cost, explode = args
    made = fast.stock_maker("move", "fefo")(*args)  # type: ignore[arg-type]
    built = StockEffect("move", qty, item, location, origin, to, batch, expiry, cost,  # type: ignore[arg-type]
                        "fefo", explode)  # type: ignore[arg-type]  # fmt: skip
    same(made, built)


def test_count() -> None:
    made = fast.make_count("A1", "SHELF-A", D(12), ORIGIN, "B-9", date(2026, 2, 1), D(1))
    same(made, CountEffect("A1", "SHELF-A", D(12), ORIGIN, "B-9", date(2026, 2, 1), D(1)))


def test_a_field_the_makers_do_not_know_is_caught_at_import() -> None:
    with pytest.raises(AssertionError, match="out of date"):
        fast._setters(StockEffect, ("verb", "qty"))


def test_origins_are_shared_per_statement_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    origin_of = fast.origins(3, 9)
    first = origin_of(0, [1, 2])
    assert first == Origin(0, 3, 9, (1, 2)) and origin_of(0, [1, 2]) is first
    assert origin_of(1, [1, 2]) == Origin(1, 3, 9, (1, 2))
    monkeypatch.setattr(fast, "ORIGIN_CACHE_LIMIT", 0)
    unbounded = fast.origins(3, 9)
    assert unbounded(0, [1]) == unbounded(0, [1]) and unbounded(0, [1]) is not unbounded(0, [1])


def test_compiled_effects_equal_public_constructors_for_every_path() -> None:
    scope = DictScope.from_spec(
        {"a": "location", "b": "location",
         "lines": {"item": "item", "qty": "number", "batch": "text", "expiry": "date"}}
    )  # fmt: skip
    text = (
        "on t approved:\n"
        "    for line in lines:\n"
        "        move line.qty of line.item from a to b\n"
        "        issue line.qty of line.item from a batch line.batch fifo\n"
        "        count line.item at b as line.qty expires line.expiry\n"
    )
    document = {"a": "WH", "b": 9, "lines": [{"item": "X", "qty": D(2), "batch": "L1",
                                              "expiry": datetime(2026, 5, 1, 8)}]}  # fmt: skip
    ctx = EvalContext(date(2026, 1, 15), datetime(2026, 1, 15, 9))
    got = compile_rules(text, scope, form="t").effects("t", "approved", None, document, ctx)
    want = [
        StockEffect("move", D(2), "X", "WH", Origin(0, 3, 9, (0,)), 9),
        StockEffect("issue", D(2), "X", "WH", Origin(0, 4, 9, (0,)), batch="L1", policy="fifo"),
        CountEffect("X", 9, D(2), Origin(0, 5, 9, (0,)), expiry=date(2026, 5, 1)),
    ]
    for made, built in zip(got, want, strict=True):
        same(made, built)
