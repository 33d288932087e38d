"""Template packages: install (twice), upgrade keeping a tenant's edit, and a broken
package that installs nothing and reports every error."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.errors import NotFound, ValidationError
from engine.services import definitions, identity, templates, verify
from engine.store import Store
from engine.store.doc_tables import Definition, Document
from engine.store.ledger_repo import LedgerRepo
from engine.store.ledger_tables import Item

MINI = Path(__file__).parent / "templates" / "mini"


def count(store: Store, table: type) -> int:
    with store.session(write=False) as s:
        return int(s.execute(select(func.count()).select_from(table)).scalar_one())


def stock_of(store: Store, tenant_id: int, item: str) -> D:
    with store.session(write=False) as s:
        repo = LedgerRepo(s)
        row = repo.item_by_code(tenant_id, item)
        assert row is not None
        return sum((ln.on_hand for ln in repo.stock(tenant_id, item_ids=[row.id])), D(0))


@pytest.fixture
def tenant(store: Store) -> int:
    return identity.create_tenant(store, "shop").id


def test_install_is_complete_and_idempotent(store: Store, tenant: int) -> None:
    report = templates.install(store, "shop", str(MINI))
    assert "item TEA" in report.applied and "form sale" in report.applied
    assert any("refused as expected" in line for line in report.demo)
    assert stock_of(store, tenant, "TEA") == D(43) and stock_of(store, tenant, "BUN") == D(20)
    before = (count(store, Item), count(store, Definition), count(store, Document))
    again = templates.install(store, "shop", str(MINI))
    assert again.applied == [] and again.demo == [] and again.unchanged == 5
    assert (count(store, Item), count(store, Definition), count(store, Document)) == before
    assert all(r.ok for r in verify.verify(store, "shop"))


def test_upgrade_applies_template_changes_and_keeps_the_tenants_edits(
        store: Store, tenant: int, tmp_path: Path) -> None:
    templates.install(store, "shop", str(MINI), demo=False)
    # the tenant edits its sale rules
    own = "on sale approved:\n    for line in lines: issue line.qty of line.item from SHOP\n"
    definitions.publish(store, tenant, "rules", "sale", body={"text": own})
    v2 = tmp_path / "mini"
    shutil.copytree(MINI, v2)
    manifest = json.loads((v2 / "manifest.json").read_text())
    manifest["version"] = "1.1.0"
    (v2 / "manifest.json").write_text(json.dumps(manifest))
    (v2 / "rules" / "sale.rules").write_text(
        "on sale approved:\n    for line in lines: decrement line.item at store by line.qty\n")
    form = json.loads((v2 / "forms" / "receipt.json").read_text())
    form["labels"]["en"] = "Goods receipt"
    (v2 / "forms" / "receipt.json").write_text(json.dumps(form))
    items = json.loads((v2 / "seed" / "items.json").read_text())
    items.append({"code": "MILK", "name": "牛奶 Milk", "unit": "carton"})
    (v2 / "seed" / "items.json").write_text(json.dumps(items))

    preview = templates.upgrade(store, "shop", str(v2), dry_run=True)
    assert "form receipt" in preview.applied and "rules sale" in preview.kept
    assert definitions.versions(store, tenant, "form").count(("form", "receipt", 2,
                                                              "published")) == 0
    done = templates.upgrade(store, "shop", str(v2))
    assert done.applied == ["item MILK", "form receipt"] and done.kept == ["rules sale"]
    published = definitions.versions(store, tenant)
    assert ("form", "receipt", 2, "published") in published
    assert ("rules", "sale", 3, "published") not in published  # the tenant's v2 stays newest


def test_a_broken_template_installs_nothing_and_reports_every_error(
        store: Store, tenant: int, tmp_path: Path) -> None:
    bad = tmp_path / "mini"
    shutil.copytree(MINI, bad)
    (bad / "rules" / "sale.rules").write_text(
        "on sale approved:\n    for line in lines: issue line.qty of line.itme from store\n")
    (bad / "forms" / "broken.json").write_text('{"key": "broken",\n  "fields": [}\n')
    locations = json.loads((bad / "seed" / "locations.json").read_text())
    locations.append({"code": "SHELF", "name": "货架", "kind": "shelf", "parent": "NOWHERE"})
    (bad / "seed" / "locations.json").write_text(json.dumps(locations))
    with pytest.raises(ValidationError) as exc:
        templates.install(store, "shop", str(bad))
    found = {(p.code, p.source.file) for p in exc.value.problems}
    assert ("template.bad_json", "forms/broken.json") in found
    assert ("rules.unknown_field", "rules/sale.rules") in found
    assert ("template.unknown_reference", "seed/locations.json") in found
    broken = next(p for p in exc.value.problems if p.source.file == "forms/broken.json")
    assert broken.source.line == 2
    rule = next(p for p in exc.value.problems if p.code == "rules.unknown_field")
    assert (rule.source.line, rule.source.column) == (2, 42)  # under "line.itme"
    assert count(store, Item) == 0 and count(store, Definition) == 0


def test_manifest_problems_name_the_field(store: Store, tenant: int, tmp_path: Path) -> None:
    bad = tmp_path / "mini"
    shutil.copytree(MINI, bad)
    manifest = json.loads((bad / "manifest.json").read_text())
    manifest["requires"]["engine"] = ">=9"
    del manifest["labels"]
    (bad / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValidationError) as exc:
        templates.install(store, "shop", str(bad))
    assert exc.value.problems[0].code == "template.schema"
    assert "labels" in exc.value.problems[0].message.en


def test_a_second_tenant_gets_its_own_staff_accounts(store: Store, tenant: int) -> None:
    """Users are shared across tenants: a template never hands another tenant's account
    (an admin, say) to the tenant installing it."""
    templates.install(store, "shop", str(MINI))
    identity.create_tenant(store, "shop-two")
    report = templates.install(store, "shop-two", str(MINI))
    assert "user mini-mgr.shop-two" in report.applied and report.demo  # the demo ran too
    assert identity.principal_named(store, "shop-two", "mini-mgr.shop-two").roles == (
        "manager",)
    with pytest.raises(NotFound):  # shop's manager did not become shop-two's
        identity.principal_named(store, "shop-two", "mini-mgr")
    assert templates.install(store, "shop-two", str(MINI)).applied == []
    assert all(r.ok for r in verify.verify(store))
