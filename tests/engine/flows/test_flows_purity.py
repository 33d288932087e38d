"""engine.flows is pure: no web, database, queue, store, services, forms or rules imports."""

from __future__ import annotations

import ast
from pathlib import Path

import engine.flows

FORBIDDEN = (
    "flask", "sqlalchemy", "rq", "redis", "designer",
    "engine.store", "engine.services", "engine.jobs", "engine.forms", "engine.rules",
)  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_flows_import_nothing_impure() -> None:
    files = sorted(Path(engine.flows.__file__).parent.glob("*.py"))
    assert len(files) > 10
    bad = [
        f"{path.name} imports {module}"
        for path in files
        for module in sorted(imported_modules(path))
        if any(module == f or module.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert bad == []


def test_modules_stay_small_and_documented() -> None:
    for path in Path(engine.flows.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 400, path.name
        assert ast.get_docstring(ast.parse(text)), path.name
