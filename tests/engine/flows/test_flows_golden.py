"""Golden flow cases: every folder under golden/ is a flow, a script and its trace.

Set ``FLOWLEDGER_UPDATE_GOLDEN=1`` to rewrite ``expected.json`` from the current
engine; review the diff before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from flows_world import GOLDEN, load_case, run_script

from engine.flows.spec import ApproverKind, EmptyPolicy, Mode, NodeKind, TimeoutAction
from engine.flows.transitions import ActionKind, action_from_json

CASES = sorted(p for p in GOLDEN.iterdir() if (p / "flow.json").exists())
UPDATE = os.environ.get("FLOWLEDGER_UPDATE_GOLDEN") == "1"


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_golden_case(folder: Path) -> None:
    spec, script = load_case(folder)
    actual = run_script(spec, script)
    expected_file = folder / "expected.json"
    if UPDATE:
        text = json.dumps(actual, ensure_ascii=False, indent=2) + "\n"
        expected_file.write_text(text, encoding="utf-8")
    assert actual == json.loads(expected_file.read_text("utf-8"))


def _everything() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    flows, scripts = [], []
    for folder in CASES:
        flows.append(json.loads((folder / "flow.json").read_text("utf-8")))
        scripts.append(json.loads((folder / "script.json").read_text("utf-8")))
    return flows, scripts


def _nodes(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for node in nodes:
        out.append(node)
        for branch in node.get("branches", []):
            out += _nodes(branch["nodes"])
    return out


def test_the_cases_cover_the_format() -> None:
    flows, scripts = _everything()
    nodes = [n for flow in flows for n in _nodes(flow["nodes"])]
    assert {n["type"] for n in nodes} == {k.value for k in NodeKind}
    assert {a["kind"] for n in nodes for a in n.get("approvers", [])} == {
        k.value for k in ApproverKind}  # fmt: skip
    assert {n.get("mode", "sequential") for n in nodes if "mode" in n} == {m.value for m in Mode}
    assert {n["timeout"]["action"] for n in nodes if "timeout" in n} == {
        a.value for a in TimeoutAction}  # fmt: skip
    policies = {n["empty_approver_policy"] for n in nodes if "empty_approver_policy" in n}
    policies |= {f["settings"]["empty_approver_policy"] for f in flows
                 if "empty_approver_policy" in f.get("settings", {})}  # fmt: skip
    assert policies == {p.value for p in EmptyPolicy}
    assert any(f.get("settings", {}).get("auto_approve_same_approver") for f in flows)


def test_the_cases_cover_every_action() -> None:
    _, scripts = _everything()
    actions = [a for s in scripts for a in s.get("actions", [])]
    kinds = {action_from_json(a).kind for a in actions}
    assert kinds == set(ActionKind)
    assert any(a.get("return_to") for a in actions)
    assert any(a["action"] == "withdraw" and "refused" not in a for a in actions)
    assert any(a["action"] == "withdraw" and a.get("refused") == "flows.withdraw_not_allowed"
               for a in actions)  # fmt: skip
