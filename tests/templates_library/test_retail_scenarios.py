"""The retail template's own scenarios, on SQLite and PostgreSQL: install it into a
fresh tenant without demo data, play each script, then compare exact balances per
location and batch, reservations, movement values, approvals, and run verify."""

from __future__ import annotations

from pathlib import Path

import pytest
from retail_play import Play, load, scenarios

from engine.services import identity, templates, verify
from engine.store import Store

SCENARIOS = scenarios("retail")


def test_the_retail_template_ships_scenarios() -> None:
    assert len(SCENARIOS) >= 2


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_retail_scenario(store: Store, path: Path) -> None:
    identity.create_tenant(store, "chain")
    report = templates.install(store, "chain", "retail", demo=False)
    assert report.demo == [] and "item COLA-330" in report.applied
    scenario = load(path)
    play = Play(store, "chain")
    play.run(scenario)
    play.compare(scenario["expect"], f"{scenario['name']} (end)")
    assert [r.violations for r in verify.verify(store, "chain")] == [()]
