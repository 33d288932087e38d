"""Golden cases: golden/cases/*.json hold a form (by file name), a document and what
validation must answer — the problems (code, path, message in both languages) and,
for a clean document, the computed values.

Set ``FLOWLEDGER_UPDATE_GOLDEN=1`` to rewrite the ``expected`` parts after a
deliberate change, then review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.forms import FormSpec, check_document, load_form, to_json
from engine.rules import EvalContext

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted((GOLDEN / "cases").glob("*.json"))
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 9, 0))
UPDATE = os.environ.get("FLOWLEDGER_UPDATE_GOLDEN") == "1"


def form(name: str) -> FormSpec:
    return load_form(json.loads((GOLDEN / name).read_text("utf-8"))).require()


def answer(case: dict[str, Any]) -> dict[str, Any]:
    spec = form(case["form"])
    checked = check_document(spec, case["document"], partial=case.get("partial", False), ctx=CTX)
    problems = []
    for p in checked.problems:
        entry: dict[str, Any] = {"code": p.code, "path": p.source.path, "en": p.message.en, "zh": p.message.zh}
        if p.source.line is not None:
            entry["line"] = p.source.line
        if p.hint is not None:
            entry["hint"] = p.hint.en
        problems.append(entry)
    out: dict[str, Any] = {"problems": problems}
    if not problems:
        out["values"] = to_json(spec, checked.values)
    return out


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 8


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_case(path: Path) -> None:
    case = json.loads(path.read_text("utf-8"))
    got = answer(case)
    if UPDATE:
        case["expected"] = got
        path.write_text(json.dumps(case, ensure_ascii=False, indent=1) + "\n", "utf-8")
    assert got == case["expected"]
