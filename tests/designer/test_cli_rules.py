"""``flowledger rules check``, ``rules dry-run``, ``publish`` and ``tick``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from designer.cli import main
from engine.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine" / "services"))
from docworld import TRANSFER_FORM, TRANSFER_RULES, DocWorld


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    out = {"form": tmp_path / "transfer.form.json", "rules": tmp_path / "transfer.rules",
           "bad": tmp_path / "bad.rules", "doc": tmp_path / "doc.json"}
    out["form"].write_text(json.dumps(TRANSFER_FORM))
    out["rules"].write_text(TRANSFER_RULES)
    out["bad"].write_text("on transfer approved:\n    for line in lines:\n"
                          "        move line.qty of line.itme from from_store to to_store\n")
    out["doc"].write_text(json.dumps({"from_store": "S1", "to_store": "S2", "lines": [
        {"item": "A1", "qty": "3", "price": "10"}]}))
    return {k: str(v) for k, v in out.items()}


def test_rules_check_passes_good_rules_and_points_at_bad_ones(files: dict[str, str]) -> None:
    ok = CliRunner().invoke(main, ["rules", "check", files["rules"], "--form", files["form"]])
    assert ok.exit_code == 0, ok.output
    assert "0 error(s)" in ok.output
    bad = CliRunner().invoke(main, ["rules", "check", files["bad"], "--form", files["form"]])
    assert bad.exit_code == 1
    assert "rules.unknown_field" in bad.output and "item" in bad.output  # did you mean
    assert "^" in bad.output and "3:" in bad.output  # a caret under line 3
    zh = CliRunner().invoke(main, ["rules", "check", files["bad"], "--form", files["form"],
                                   "--lang", "zh"])
    assert "字段" in zh.output


def test_dry_run_publish_and_tick(store: Store, database_url: str, tmp_path: Path,
                                  files: dict[str, str]) -> None:
    world = DocWorld(store)
    world.receive("10 A1 @S1 cost 2")
    env = {"FLOWLEDGER_DATABASE_URL": database_url,
           "FLOWLEDGER_INSTANCE_PATH": str(tmp_path / "instance"), "FLOWLEDGER_REDIS_URL": ""}
    run = CliRunner(env=env)
    seen = run.invoke(main, ["rules", "dry-run", files["rules"], "--form", files["form"],
                             "--document", files["doc"], "--event", "approved",
                             "--tenant", "chain"])
    assert seen.exit_code == 0, seen.output
    assert "A1" in seen.output and "S1" in seen.output and "S2" in seen.output
    assert world.on_hand("A1", "S2") == 0  # a dry run keeps nothing
    published = run.invoke(main, ["publish", "rules", "transfer", files["rules"],
                                  "--tenant", "chain"])
    assert published.exit_code == 0 and "version 2" in published.output
    assert "fired 0 timer(s)" in run.invoke(main, ["tick"]).output


def test_rules_check_on_every_example_of_the_language_reference(tmp_path: Path) -> None:
    """The CLI agrees with the checker on every rules block of docs/rules.md."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine" / "rules"))
    from test_rules_docs import EXAMPLES

    from engine.rules import DictScope, check_rules
    from engine.rules.problems import is_error

    rules = [e for e in EXAMPLES if e.kind == "rules"]
    assert len(rules) >= 10
    for n, example in enumerate(rules):
        source, scope = tmp_path / f"{n}.rules", tmp_path / f"{n}.scope.json"
        source.write_text(example.text)
        scope.write_text(json.dumps(example.scope))
        result = CliRunner().invoke(main, ["rules", "check", str(source), "--form", str(scope)])
        spec = example.scope
        errors = [p for p in check_rules(
            example.text, DictScope.from_spec(spec["fields"], constants=spec.get("constants")),
            form=spec.get("form", ""), name=source.name) if is_error(p)]
        assert result.exit_code == (1 if errors else 0), (example.line, result.output)
        for p in errors:
            assert p.code in result.output, (example.line, p.code)


def test_rules_dry_run_on_every_example_with_effects(store: Store, database_url: str,
                                                     tmp_path: Path) -> None:
    """Every rules block of docs/rules.md that shows effects dry-runs against a shop
    stocked with what it names: the CLI exits 0 and lists each item it moves."""
    from datetime import date, timedelta
    from decimal import Decimal

    from engine.ledger.model import LocationKind, Tracking
    from engine.services import identity, posting, stock
    from engine.services.posting import Origin
    from engine.services.stock import LineSpec

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine" / "rules"))
    from test_rules_docs import EXAMPLES

    tid = identity.create_tenant(store, "docs").id
    for code, kind in (("SUP", LocationKind.SUPPLIER), ("CUS", LocationKind.CUSTOMER),
                       ("ADJ", LocationKind.ADJUSTMENT), ("SCRAP", LocationKind.SCRAP)):
        stock.create_location(store, tid, code, code, kind)
    examples = [e for e in EXAMPLES if e.kind == "rules" and "effects" in e.expect]
    assert len(examples) >= 8
    items: dict[str, bool] = {}  # item -> batch tracked
    batches: dict[str, set[str]] = {}
    places: set[str] = set()
    for e in examples:
        for eff in e.expect["effects"]:
            if "item" in eff:
                items[eff["item"]] = items.get(eff["item"], False) or "batch" in eff
                if "batch" in eff:
                    batches.setdefault(eff["item"], set()).add(eff["batch"])
            if "explode" in eff:
                items[eff["explode"]["item"]] = False
            places |= {eff[k] for k in ("location", "to_location") if eff.get(k)}
        places |= set((e.scope.get("constants") or {}).keys())
    for place in sorted(places):
        stock.create_location(store, tid, place, place, LocationKind.STORE)
    for item, tracked in sorted(items.items()):
        stock.create_item(store, tid, item, item, "piece",
                          tracking=Tracking.BATCH_EXPIRY if tracked else Tracking.NONE)
        stock.create_item(store, tid, f"{item}-PART", f"{item} part", "piece")
        stock.set_bom(store, tid, item, [LineSpec(f"{item}-PART", Decimal(2))],
                      kind=stock.BomKind.RECIPE)
    soon = date.today() + timedelta(days=30)
    n = 0
    for item, tracked in sorted(items.items()):
        for part in (item, f"{item}-PART"):
            codes = sorted(batches.get(part, {"SEED"})) if tracked and part == item else [None]
            for place in sorted(places):
                for code in codes:
                    n += 1
                    batch = {} if code is None else {
                        "batch_id": stock.ensure_batch(store, tid, part, code, expiry=soon)}
                    assert posting.post(store, tid, "receive", f"seed:{n}", Origin(10**9), {
                        "item_id": _item_id(store, tid, part), "qty": Decimal(1000),
                        "to_location_id": _location_id(store, tid, place), **batch}).ok
    run = CliRunner(env={"FLOWLEDGER_DATABASE_URL": database_url, "FLOWLEDGER_REDIS_URL": "",
                         "FLOWLEDGER_INSTANCE_PATH": str(tmp_path / "instance")})
    for k, e in enumerate(examples):
        rules, scope, doc = (tmp_path / f"{k}.rules", tmp_path / f"{k}.scope.json",
                             tmp_path / f"{k}.doc.json")
        rules.write_text(e.text)
        scope.write_text(json.dumps(e.scope))
        doc.write_text(json.dumps(e.scope["document"]))
        event = e.expect["event"] + (f"_at:{e.expect['node']}" if e.expect.get("node") else "")
        seen = run.invoke(main, ["rules", "dry-run", str(rules), "--form", str(scope),
                                 "--document", str(doc), "--event", event, "--tenant", "docs"])
        assert seen.exit_code == 0, (e.line, seen.output)
        for eff in e.expect["effects"]:
            if eff.get("type") == "stock":
                name = eff["explode"]["item"] + "-PART" if "explode" in eff else eff["item"]
                assert name in seen.output, (e.line, name, seen.output)


def _item_id(store: Store, tid: int, code: str) -> int:
    from engine.store.ledger_repo import LedgerRepo

    with store.session(write=False) as s:
        row = LedgerRepo(s).item_by_code(tid, code)
        assert row is not None
        return int(row.id)


def _location_id(store: Store, tid: int, code: str) -> int:
    from engine.store.ledger_repo import LedgerRepo

    with store.session(write=False) as s:
        row = LedgerRepo(s).location_by_code(tid, code)
        assert row is not None
        return int(row.id)
