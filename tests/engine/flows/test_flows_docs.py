"""docs/flows.md: every example loads, every refusal code and table row matches the code.

Fences: ``json flow`` (a whole flow, must load), ``json node`` (one node, wrapped in a
flow, must load), ``json flow-bad`` followed by ``json problems`` (must be refused with
exactly those codes), ``json action`` (must parse), ``python`` (runs in one namespace).
"""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path
from typing import Any

import pytest

from engine.flows.loading import load_flow
from engine.flows.outcomes import Refusal
from engine.flows.transitions import TRANSITIONS, action_from_json

DOC = Path(__file__).resolve().parents[3] / "docs" / "flows.md"
FENCE = re.compile(r"^```(json [a-z-]+|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(kind: str) -> list[str]:
    return [body for tag, body in FENCE.findall(DOC.read_text("utf-8")) if tag == kind]


def wrap(node: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "key": "doc", "version": 1,
            "labels": {"zh": "文档", "en": "Doc"}, "nodes": [node]}  # fmt: skip


def test_the_doc_has_examples() -> None:
    assert len(blocks("json flow")) >= 1 and len(blocks("json node")) >= 5
    assert len(blocks("json action")) >= 3 and len(blocks("python")) >= 1


@pytest.mark.parametrize("index", range(len(blocks("json flow"))))
def test_flow_examples_load(index: int) -> None:
    loaded = load_flow(json.loads(blocks("json flow")[index]))
    assert loaded.ok, [str(p) for p in loaded.problems]


@pytest.mark.parametrize("index", range(len(blocks("json node"))))
def test_node_examples_load(index: int) -> None:
    loaded = load_flow(wrap(json.loads(blocks("json node")[index])))
    assert loaded.ok, [str(p) for p in loaded.problems]


def test_bad_examples_give_the_listed_problems() -> None:
    bad, expected = blocks("json flow-bad"), blocks("json problems")
    assert bad and len(bad) == len(expected)
    for flow, codes in zip(bad, expected, strict=True):
        assert [p.code for p in load_flow(json.loads(flow)).problems] == json.loads(codes)


def test_action_examples_parse() -> None:
    for text in blocks("json action"):
        action_from_json(json.loads(text))


def test_python_examples_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {}
    for index, code in enumerate(blocks("python")):
        script = tmp_path / f"flows_doc_block_{index}.py"
        script.write_text(code, encoding="utf-8")
        namespace = runpy.run_path(str(script), init_globals=namespace)
    assert "keepers.1.2 approved" in capsys.readouterr().out


def test_the_transition_table_in_the_doc_is_the_table_in_the_code() -> None:
    text = DOC.read_text("utf-8")
    rows = [line for line in text.splitlines() if re.match(r"^\| (running|approved|rejected|withdrawn|cancelled) \|", line)]
    expected = [
        f"| {s.value} | {t.value if t else '—'} | {k.value} | {r.label} | "
        f"{r.task_to.value if r.task_to else '—'} |"
        for (s, t, k), r in TRANSITIONS.items()
    ]
    assert rows == expected


def test_every_refusal_code_is_documented() -> None:
    text = DOC.read_text("utf-8")
    assert [r.code for r in Refusal if f"`{r.code}`" not in text] == []
