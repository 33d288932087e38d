"""engine.ledger is pure: it imports nothing from the web, the database or the queue."""

from __future__ import annotations

import ast
from pathlib import Path

import engine.ledger

FORBIDDEN = (
    "flask",
    "sqlalchemy",
    "rq",
    "redis",
    "engine.store",
    "engine.services",
    "engine.forms",
    "engine.flows",
    "engine.rules",
    "designer",
)


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_ledger_imports_nothing_impure() -> None:
    package = Path(engine.ledger.__file__).parent
    files = sorted(package.glob("*.py"))
    assert len(files) > 10
    for path in files:
        for module in imported_modules(path):
            assert not any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN), (
                f"{path.name} imports {module}"
            )
