"""Golden cases: a rules file + a form scope + a document + an event → expected effects.

Each folder under ``golden/`` holds ``rules.rules``, ``scope.json`` (form key,
fields, tenant constants), ``document.json`` (numbers as strings, dates as ISO
text) and ``expected.json`` (event, node, effects as ``as_dict()``). To rewrite the
expectations after an intended change, run with ``FLOWLEDGER_REGEN_GOLDEN=1`` and
review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.rules import DictScope, EvalContext, compile_rules

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 10, 30))


def typed(value: Any, spec: Any) -> Any:
    """Turn JSON text values into Decimal/date following the field spec."""
    if isinstance(spec, dict) and "kind" not in spec:
        if isinstance(value, list):
            return [typed(row, spec) for row in value]
        return {k: typed(v, spec.get(k, "text")) for k, v in value.items()}
    kind = spec["kind"] if isinstance(spec, dict) else spec
    if value is None:
        return None
    if kind in {"number", "money"}:
        return Decimal(value)
    if kind == "date":
        return date.fromisoformat(value)
    return value


def load(name: str) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    folder = GOLDEN / name
    rules = (folder / "rules.rules").read_text("utf-8")
    scope = json.loads((folder / "scope.json").read_text("utf-8"))
    document = json.loads((folder / "document.json").read_text("utf-8"))
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    return rules, scope, typed(document, scope["fields"]), expected


def test_enough_cases_cover_every_verb() -> None:
    texts = " ".join((GOLDEN / c / "rules.rules").read_text("utf-8") for c in CASES)
    assert len(CASES) >= 8
    for word in ("receive", "issue", "move", "reserve", "release", "count", "scrap",
                 "increment", "decrement", "recipe(", "bom(", "release reservations",
                 "lock", "unlock"):  # fmt: skip
        assert word in texts, word


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    rules, scope_spec, document, expected = load(name)
    scope = DictScope.from_spec(scope_spec["fields"], constants=scope_spec.get("constants"))
    compiled = compile_rules(rules, scope, form=scope_spec["form"], name=name)
    effects = compiled.effects(scope_spec["form"], expected["event"], expected.get("node"),
                               document, CTX)  # fmt: skip
    got = [e.as_dict() for e in effects]
    if os.environ.get("FLOWLEDGER_REGEN_GOLDEN") == "1":
        expected["effects"] = got
        text = json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
        (GOLDEN / name / "expected.json").write_text(text, "utf-8")
    assert got == expected["effects"]
    assert got, "a golden case must produce effects"
    # Same input, same output: evaluation is deterministic.
    again = compiled.effects(scope_spec["form"], expected["event"], expected.get("node"),
                             document, CTX)  # fmt: skip
    assert [e.as_dict() for e in again] == got
    assert len({e.key for e in effects}) == len(effects), "idempotency keys are unique"
