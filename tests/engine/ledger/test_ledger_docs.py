"""Every ```python block in docs/ledger.md runs, top to bottom, in one namespace."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "ledger.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_doc_has_examples() -> None:
    assert len(blocks()) >= 6


def test_every_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {}
    for index, code in enumerate(blocks()):
        script = tmp_path / f"ledger_doc_block_{index}.py"
        script.write_text(code, encoding="utf-8")
        try:
            namespace = runpy.run_path(str(script), init_globals=namespace)
        except Exception as error:  # report which block broke
            line = DOC.read_text(encoding="utf-8").split(code)[0].count("\n") + 1
            pytest.fail(f"docs/ledger.md block {index} (line {line}) failed: {error!r}")
    assert "guarded" in capsys.readouterr().out
