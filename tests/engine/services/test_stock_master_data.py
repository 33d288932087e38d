"""Items, units, locations, batches, BOMs and recipes through the services."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import event

from engine.errors import Conflict, NotFound, ValidationError
from engine.ledger.model import BomKind, LocationKind
from engine.services import identity, stock
from engine.services.stock import LineSpec
from engine.store import Store
from engine.store.ledger_repo import LedgerRepo


@pytest.fixture
def tid(store: Store) -> int:
    return identity.create_tenant(store, "kitchen").id


def test_items_refuse_duplicate_codes_and_bad_units(store: Store, tid: int) -> None:
    stock.create_item(store, tid, "COLA", "可乐", "piece", units={"box": D(24)})
    with pytest.raises(Conflict):
        stock.create_item(store, tid, "COLA", "可乐", "piece")
    with pytest.raises(ValidationError) as exc:
        stock.create_item(store, tid, "FANTA", "芬达", "piece", units={"box": D(0)})
    assert exc.value.problems[0].source.path == "units.box"


def test_locations_form_a_tree_under_internal_parents(store: Store, tid: int) -> None:
    stock.create_location(store, tid, "CO", "公司", LocationKind.COMPANY)
    stock.create_location(store, tid, "WH", "总仓", LocationKind.WAREHOUSE, parent="CO")
    stock.create_location(store, tid, "WH-A", "A 区", LocationKind.ZONE, parent="WH")
    stock.create_location(store, tid, "SUP", "供应商", LocationKind.SUPPLIER)
    with pytest.raises(ValidationError):
        stock.create_location(store, tid, "X", "x", LocationKind.SHELF, parent="SUP")
    with pytest.raises(NotFound):
        stock.create_location(store, tid, "Y", "y", LocationKind.SHELF, parent="NOPE")


def test_batches_are_created_once_and_keep_their_expiry(store: Store, tid: int) -> None:
    from datetime import date

    stock.create_item(store, tid, "MILK", "牛奶", "l")
    first = stock.ensure_batch(store, tid, "MILK", "L1", expiry=date(2026, 12, 1))
    assert stock.ensure_batch(store, tid, "MILK", "L1") == first
    with pytest.raises(Conflict):
        stock.ensure_batch(store, tid, "MILK", "L1", expiry=date(2027, 1, 1))


def test_recipe_explodes_with_loss_and_units(store: Store, tid: int) -> None:
    stock.create_item(store, tid, "NOODLE", "牛肉面", "bowl")
    stock.create_item(store, tid, "BEEF", "牛肉", "g", units={"kg": D(1000)})
    stock.create_item(store, tid, "FLOUR", "面粉", "g")
    stock.set_bom(store, tid, "NOODLE", [
        LineSpec("BEEF", D("0.1"), unit="kg", loss_pct=D(10)),
        LineSpec("FLOUR", D(150)),
    ], kind=BomKind.RECIPE)
    components = stock.explode_item(store, tid, "NOODLE", D(3), kind=BomKind.RECIPE)
    with store.session(write=False) as s:
        repo = LedgerRepo(s)
        beef = repo.item_by_code(tid, "BEEF")
        flour = repo.item_by_code(tid, "FLOUR")
    assert beef and flour
    assert {(c.item_id, c.qty) for c in components} == {(beef.id, D(330)), (flour.id, D(450))}


def test_a_bom_cycle_is_refused_with_its_path(store: Store, tid: int) -> None:
    for code in ("BIKE", "FRAME", "TUBE"):
        stock.create_item(store, tid, code, code, "piece")
    stock.set_bom(store, tid, "BIKE", [LineSpec("FRAME", D(1))])
    stock.set_bom(store, tid, "FRAME", [LineSpec("TUBE", D(3))])
    with pytest.raises(ValidationError) as exc:
        stock.set_bom(store, tid, "TUBE", [LineSpec("BIKE", D(1))])
    problem = exc.value.problems[0]
    assert problem.code == "bom.cycle"
    assert "TUBE → BIKE → FRAME → TUBE" in problem.message.en or \
        "BIKE → FRAME → TUBE → BIKE" in problem.message.en
    stock.set_bom(store, tid, "FRAME", [LineSpec("TUBE", D(2))])  # replacing is fine
    assert {c.qty for c in stock.explode_item(store, tid, "BIKE", D(2))} == {D(4)}


def test_stock_report_reads_balances_not_the_journal(store: Store, tid: int) -> None:
    """A report over many items and locations never touches the movements table."""
    from engine.services import posting
    from engine.services.posting import Effect, Origin

    stock.create_location(store, tid, "SUP", "Suppliers", LocationKind.SUPPLIER)
    locations = [stock.create_location(store, tid, f"S{n}", f"S{n}", LocationKind.STORE)
                 for n in range(5)]
    items = [stock.create_item(store, tid, f"I{n}", f"I{n}", "piece") for n in range(40)]
    effects = [Effect(f"seed:{i}:{loc}", "receive", {"item_id": i, "qty": D(3),
                                                     "to_location_id": loc})
               for i in items for loc in locations]
    assert posting.post_event(store, tid, Origin(1), effects).ok
    statements: list[str] = []

    def spy(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", spy)
    try:
        with store.session(write=False) as s:
            lines = LedgerRepo(s).stock(tid)
    finally:
        event.remove(store.engine, "before_cursor_execute", spy)
    assert len(lines) == 200 and all(ln.on_hand == D(3) for ln in lines)
    assert not any("movements" in sql for sql in statements)
