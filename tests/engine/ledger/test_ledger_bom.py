"""BOM and recipe explosion; cycle detection."""

from __future__ import annotations

from decimal import Decimal

from engine.errors import Problem
from engine.ledger.bom import Component, explode, find_cycle
from engine.ledger.model import Bom, BomKind, BomLine, Item, UnitConversion
from engine.ledger.units import UnitTable

D = Decimal
BIKE, FRAME, WHEEL, SPOKE, RIM, PAINT, KIT = 1, 2, 3, 4, 5, 6, 7
ITEMS = {
    i: Item(i, 1, f"I{i}", f"item {i}", unit)
    for i, unit in [
        (BIKE, "piece"),
        (FRAME, "piece"),
        (WHEEL, "piece"),
        (SPOKE, "piece"),
        (RIM, "piece"),
        (PAINT, "l"),
        (KIT, "piece"),
    ]
}
BOMS = {
    BIKE: Bom(BIKE, (BomLine(FRAME, D(1)), BomLine(WHEEL, D(2)), BomLine(KIT, D(1), phantom=True))),
    WHEEL: Bom(WHEEL, (BomLine(SPOKE, D(36), loss_pct=D(5)), BomLine(RIM, D(1)))),
    FRAME: Bom(FRAME, (BomLine(PAINT, D(250), unit="ml"),)),
    KIT: Bom(KIT, (BomLine(SPOKE, D(2)),)),
}


def as_pairs(result: list[Component] | Problem) -> list[tuple[int, Decimal]]:
    assert not isinstance(result, Problem), result
    return [(c.item_id, c.qty) for c in result]


def test_full_explosion_merges_per_item_in_first_met_order() -> None:
    result = explode(BIKE, D(2), BOMS, ITEMS)
    # spokes: 2 bikes × 2 wheels × 36 × 1.05 = 151.2, plus the phantom kit's 2 × 2 = 4
    assert as_pairs(result) == [(PAINT, D("0.5")), (SPOKE, D("155.2")), (RIM, D(4))]


def test_depth_limits_and_phantoms() -> None:
    assert as_pairs(explode(BIKE, D(1), BOMS, ITEMS, depth=1)) == [
        (FRAME, D(1)),
        (WHEEL, D(2)),
        (SPOKE, D(2)),
    ]  # the phantom kit is exploded anyway
    assert as_pairs(explode(BIKE, D(1), BOMS, ITEMS, depth=0)) == [(BIKE, D(1))]
    capped = dict(BOMS)
    capped[BIKE] = Bom(BIKE, (BomLine(WHEEL, D(2), max_depth=0), BomLine(FRAME, D(1))))
    assert as_pairs(explode(BIKE, D(1), capped, ITEMS)) == [(WHEEL, D(2)), (PAINT, D("0.25"))]


def test_yield_output_qty_and_units() -> None:
    items = {1: Item(1, 1, "SOUP", "Soup", "portion"), 2: Item(2, 1, "POT", "Potato", "kg")}
    recipe = Bom(
        1, (BomLine(2, D(600), unit="g", yield_pct=D(80)),), output_qty=D(4), kind=BomKind.RECIPE
    )
    # 6 portions: 600 g per 4 portions → 900 g edible → 1125 g raw at 80 % yield
    assert as_pairs(explode(1, D(6), {1: recipe}, items)) == [(2, D("1.125"))]
    thirds = Bom(1, (BomLine(2, D(1), yield_pct=D(30)),))
    assert as_pairs(explode(1, D(1), {1: thirds}, items)) == [(2, D("3.333333"))]


def test_item_units_from_a_table() -> None:
    items = {1: ITEMS[BIKE], 2: Item(2, 1, "NUT", "Nut", "piece")}
    units = UnitTable.of([UnitConversion(2, "box", D(100))])
    bom = Bom(1, (BomLine(2, D("0.05"), unit="box"),))
    assert as_pairs(explode(1, D(3), {1: bom}, items, units=units)) == [(2, D(15))]
    unknown = explode(1, D(3), {1: Bom(1, (BomLine(2, D(1), unit="crate"),))}, items)
    assert isinstance(unknown, Problem) and unknown.code == "ledger.unknown_unit"


def test_cycles_are_found_and_never_recurse() -> None:
    cyclic = dict(BOMS)
    cyclic[SPOKE] = Bom(SPOKE, (BomLine(BIKE, D(1)),))
    assert find_cycle(BOMS) is None
    assert find_cycle(cyclic) == [BIKE, WHEEL, SPOKE, BIKE]
    result = explode(BIKE, D(1), cyclic, ITEMS)
    assert isinstance(result, Problem) and result.code == "ledger.bom_cycle"
    assert "1 → 3 → 4 → 1" in result.message.en
    assert find_cycle({1: Bom(1, (BomLine(1, D(1)),))}) == [1, 1]


def test_deep_chains_do_not_hit_the_recursion_limit() -> None:
    n = 5000
    items = {i: Item(i, 1, str(i), str(i), "piece") for i in range(n + 1)}
    chain = {i: Bom(i, (BomLine(i + 1, D(1)),)) for i in range(n)}
    assert find_cycle(chain) is None
    assert as_pairs(explode(0, D(1), chain, items)) == [(n, D(1))]
    chain[n] = Bom(n, (BomLine(0, D(1)),))
    cycle = find_cycle(chain)
    assert cycle is not None and cycle[0] == cycle[-1] == 0 and len(cycle) == n + 2


def test_unknown_component_and_oversized_explosions() -> None:
    bad = {1: Bom(1, (BomLine(99, D(1)),))}
    result = explode(1, D(1), bad, {1: ITEMS[BIKE]})
    assert isinstance(result, Problem) and result.code == "ledger.unknown_item"
    items = {i: Item(i, 1, str(i), str(i), "piece") for i in range(30)}
    doubling = {i: Bom(i, (BomLine(i + 1, D(1)), BomLine(i + 1, D(1)))) for i in range(29)}
    big = explode(0, D(1), doubling, items)
    assert isinstance(big, Problem) and big.code == "ledger.bom_too_large"
