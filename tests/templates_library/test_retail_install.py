"""Installing the retail template: the package is clean, installs with its demo data
on both databases, verifies clean, and installing it again changes nothing."""

from __future__ import annotations

from decimal import Decimal

from retail_play import Play
from sqlalchemy import func, select

from engine.services import doc_queries, identity, templates, verify
from engine.store import Store
from engine.store import ledger_tables as t
from engine.store.doc_tables import Definition, DocTask, Document


def count(store: Store, table: type) -> int:
    with store.session(write=False) as s:
        return int(s.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_package_reads_without_problems() -> None:
    pkg, problems = templates.load_package("retail")
    assert problems == []
    assert set(pkg.forms) == set(pkg.manifest["forms"])
    assert set(pkg.rules) <= set(pkg.forms) and set(pkg.flows) == set(pkg.forms) - {"sales_out"}
    items = pkg.seed["items"]
    assert len(items) == 40 and len({i["code"] for i in items}) == 40
    assert {i["attributes"]["category"] for i in items} == {"drinks", "snacks", "daily", "fresh"}
    tracked = [i for i in items if i["tracking"] == "batch_expiry"]
    assert tracked and all("shelf_life_days" in i["attributes"] for i in tracked)
    assert all("shelf_life_days" not in i["attributes"] for i in items if i not in tracked)
    assert all(i["units"]["box"] and Decimal(i["reorder_point"]) > Decimal(i["safety_stock"])
               for i in items)
    assert {r["key"] for r in pkg.seed["roles"]} == {
        "clerk", "store_manager", "warehouse_keeper", "finance", "owner"}
    kinds = {loc["code"]: loc["kind"] for loc in pkg.seed["locations"]}
    assert {k for k, v in kinds.items() if v == "store"} == {"S1", "S2", "S3"}
    assert {kinds[c] for c in ("SUP", "CUS", "SCRAP", "ADJ", "TRANSIT")} == {
        "supplier", "customer", "scrap", "adjustment", "transit"}
    assert 40 <= len(pkg.demo) <= 60


def test_install_with_demo_data_verifies_and_a_second_install_changes_nothing(
        store: Store) -> None:
    identity.create_tenant(store, "chain")
    report = templates.install(store, "chain", "retail")
    assert len(report.demo) == 44 and "refused as expected" in report.demo[36]
    assert [r.violations for r in verify.verify(store, "chain")] == [()]
    play = Play(store, "chain")
    stock = play.stock()
    assert stock["WATER-550@TRANSIT"] == Decimal(48)  # waiting for store 2's receipt
    assert all(qty > 0 for qty in stock.values())
    assert play.reserved() == {} and play.locked() == []
    s2_manager = identity.principal_named(store, "chain", "s2-mgr")
    assert [(line.form_key, line.node) for line in doc_queries.box(store, s2_manager, "todo")] \
        == [("transfer", "receive")]
    head = identity.principal_named(store, "chain", "wh-head")
    assert [line.form_key for line in doc_queries.box(store, head, "todo")] == ["replenishment"]

    tables = (t.Item, t.Location, t.Movement, t.Balance, Definition, Document, DocTask)
    before = [count(store, table) for table in tables]
    again = templates.install(store, "chain", "retail")
    assert again.applied == [] and again.kept == [] and again.demo == []
    assert again.unchanged == 9 + 8 + 8  # forms, flows, rule sets
    assert [count(store, table) for table in tables] == before
    assert [r.violations for r in verify.verify(store, "chain")] == [()]
