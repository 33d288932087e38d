"""``flowledger verify`` reports each broken invariant and exits 1."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from designer.cli import main
from engine.ledger.model import LocationKind
from engine.services import identity, posting, stock
from engine.services.posting import Origin
from engine.store import Store


def test_verify_finds_a_tampered_balance(store: Store, database_url: str,
                                         tmp_path: Path) -> None:
    tid = identity.create_tenant(store, "shop").id
    item = stock.create_item(store, tid, "A1", "Apple", "piece")
    wh = stock.create_location(store, tid, "WH", "Warehouse", LocationKind.WAREHOUSE)
    stock.create_location(store, tid, "SUP", "Suppliers", LocationKind.SUPPLIER)
    assert posting.post(store, tid, "receive", "k1", Origin(1),
                        {"item_id": item, "qty": Decimal(5), "to_location_id": wh}).ok
    env = {"FLOWLEDGER_DATABASE_URL": database_url,
           "FLOWLEDGER_INSTANCE_PATH": str(tmp_path / "instance")}
    ok = CliRunner(env=env).invoke(main, ["verify"])
    assert ok.exit_code == 0 and "shop: 1 movements, invariants ok" in ok.output
    with store.session() as s:
        s.execute(text("UPDATE balances SET on_hand = on_hand + 1000000 WHERE location_id = :w"),
                  {"w": wh})
    broken = CliRunner(env=env).invoke(main, ["verify", "--tenant", "shop"])
    assert broken.exit_code == 1
    assert "[balance_equals_journal]" in broken.output
    assert "[conservation_per_item]" in broken.output
