"""BOM and recipe explosion, and cycle detection. Pure and iterative (no recursion).

Conventions (docs/ledger.md, "BOM and recipes"):

* a line needs ``qty × parent_qty / output_qty`` of its component, in the line's unit,
  converted exactly to the component's base unit;
* loss inflates it: ``× (1 + loss_pct / 100)``; yield divides it: ``÷ (yield_pct / 100)``;
* everything is computed with exact rationals and each merged component is rounded
  once, to ``QTY_PLACES``, half to even;
* ``depth`` (``None``: unlimited) is how many levels may be exploded (``1``: the
  item's own lines only);
  a line's ``max_depth`` caps the levels left below its component (``0``: take the
  component as it is); phantom lines are exploded through whatever the depth; a
  component without a BOM is a leaf;
* components are merged per item in the order they are first met (depth first, line
  order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from engine.errors import Problem
from engine.ledger.model import Bom, BomLine, Item
from engine.ledger.numbers import QTY_PLACES, round_fraction
from engine.ledger.results import Result, result_problem
from engine.ledger.units import UnitTable

MAX_EXPANSIONS = 100_000


@dataclass(frozen=True, slots=True)
class Component:
    """``qty`` of ``item_id`` in the item's base unit."""

    item_id: int
    qty: Decimal


@dataclass(frozen=True, slots=True)
class _Work:
    item_id: int
    qty: Fraction
    path: tuple[int, ...]
    depth: int | None
    explode: bool


def find_cycle(boms: Mapping[int, Bom]) -> list[int] | None:
    """A path such as ``[A, B, C, A]`` when the BOMs refer to themselves, else ``None``.

    Iterative depth-first search from each parent in id order; call it when a BOM is
    saved and refuse the save with ``bom_cycle`` and the path.
    """
    done: set[int] = set()
    for root in sorted(boms):
        if root in done:
            continue
        path: list[int] = [root]
        on_path = {root}
        stack = [iter(_children(boms, root))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                done.add(_leave(path, on_path))
                continue
            if child in on_path:
                return [*path[path.index(child) :], child]
            if child in done or child not in boms:
                continue
            path.append(child)
            on_path.add(child)
            stack.append(iter(_children(boms, child)))
    return None


def _leave(path: list[int], on_path: set[int]) -> int:
    """Step back out of the deepest item on the path; return it."""
    last = path.pop()
    on_path.discard(last)
    return last


def _children(boms: Mapping[int, Bom], item_id: int) -> list[int]:
    bom = boms.get(item_id)
    return [line.component_id for line in bom.lines] if bom else []


def _line_qty(
    line: BomLine, parent_qty: Fraction, bom: Bom, item: Item, units: UnitTable
) -> Fraction | Problem:
    ratio = units.ratio(item, line.unit, item.base_unit) if line.unit else Fraction(1)
    if isinstance(ratio, Problem):
        return ratio
    need = Fraction(line.qty) * parent_qty / Fraction(bom.output_qty) * ratio
    need *= 1 + Fraction(line.loss_pct) / 100
    return need * 100 / Fraction(line.yield_pct)


def explode(
    item_id: int,
    qty: Decimal,
    boms: Mapping[int, Bom],
    items: Mapping[int, Item],
    *,
    depth: int | None = None,
    units: UnitTable | None = None,
) -> list[Component] | Problem:
    """Components needed for ``qty`` of ``item_id`` (base units), merged per item.

    Returns a ``bom_cycle`` Problem (with the path) instead of looping, an
    ``unknown_item`` / ``unknown_unit`` Problem for bad references, and
    ``bom_too_large`` past :data:`MAX_EXPANSIONS` lines.
    """
    table = units or UnitTable.of()
    totals: dict[int, Fraction] = {}
    stack = [_Work(item_id, Fraction(qty), (), depth, depth is None or depth > 0)]
    expansions = 0
    while stack:
        work = stack.pop()
        if work.item_id in work.path:
            path = " → ".join(map(str, (*work.path, work.item_id)))
            return result_problem(Result.BOM_CYCLE, {"path": path})
        bom = boms.get(work.item_id)
        if bom is None or not work.explode:
            totals[work.item_id] = totals.get(work.item_id, Fraction(0)) + work.qty
            continue
        children = _expand(work, bom, items, table)
        if isinstance(children, Problem):
            return children
        expansions += len(children)
        if expansions > MAX_EXPANSIONS:
            return result_problem(Result.BOM_TOO_LARGE, {"item": str(item_id)})
        stack.extend(reversed(children))
    return [Component(i, round_fraction(q, QTY_PLACES)) for i, q in totals.items()]


def _expand(
    work: _Work, bom: Bom, items: Mapping[int, Item], units: UnitTable
) -> list[_Work] | Problem:
    children: list[_Work] = []
    below = None if work.depth is None else work.depth - 1  # levels left for children
    for line in bom.lines:
        item = items.get(line.component_id)
        if item is None:
            return result_problem(Result.UNKNOWN_ITEM, {"item": str(line.component_id)})
        need = _line_qty(line, work.qty, bom, item, units)
        if isinstance(need, Problem):
            return need
        limit = below if line.max_depth is None else _min_depth(below, line.max_depth)
        explode = line.phantom or limit is None or limit > 0
        path = (*work.path, work.item_id)
        children.append(_Work(line.component_id, need, path, limit, explode))
    return children


def _min_depth(a: int | None, b: int) -> int:
    return b if a is None else min(a, b)
