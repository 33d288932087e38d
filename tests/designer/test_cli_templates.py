"""``flowledger templates …`` driven as an operator would."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from designer.cli import main
from engine.services import identity
from engine.store import Store

MINI = str(Path(__file__).resolve().parents[1] / "engine" / "services" / "templates" / "mini")


def test_show_install_twice_and_upgrade_dry_run(store: Store, database_url: str,
                                               tmp_path: Path) -> None:
    identity.create_tenant(store, "shop")
    run = CliRunner(env={"FLOWLEDGER_DATABASE_URL": database_url, "FLOWLEDGER_REDIS_URL": "",
                         "FLOWLEDGER_INSTANCE_PATH": str(tmp_path / "instance")})
    shown = run.invoke(main, ["templates", "show", MINI])
    assert shown.exit_code == 0 and "forms: receipt, sale" in shown.output
    first = run.invoke(main, ["templates", "install", MINI, "--tenant", "shop"])
    assert first.exit_code == 0, first.output
    assert "+ item TEA" in first.output and "refused as expected" in first.output
    second = run.invoke(main, ["templates", "install", MINI, "--tenant", "shop"])
    assert "applied 0, unchanged 5" in second.output
    dry = run.invoke(main, ["templates", "upgrade", MINI, "--tenant", "shop", "--dry-run"])
    assert dry.exit_code == 0 and "would apply 0" in dry.output
    missing = run.invoke(main, ["templates", "install", "nope", "--tenant", "shop"])
    assert missing.exit_code == 1 and "template.not_found" in missing.output
