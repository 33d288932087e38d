"""The layering of DESIGN.md §2, checked on the import statements themselves."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PURE_CORE = ["forms", "flows", "rules", "ledger"]
WEB_AND_QUEUE = {"flask", "flask_smorest", "flask_wtf", "flask_babel", "werkzeug", "rq", "redis"}
SQL = {"sqlalchemy", "alembic", "psycopg", "sqlite3"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module)
    return roots


def is_forbidden(name: str, forbidden: set[str]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def offenders(folder: Path, forbidden: set[str], base: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for name in sorted(imported_roots(path)):
            if is_forbidden(name, forbidden):
                found.append(f"{path.relative_to(base)} imports {name}")
    return found


def test_pure_core_imports_no_web_queue_sql_or_store() -> None:
    forbidden = WEB_AND_QUEUE | SQL | {"engine.store", "engine.services", "engine.jobs"}
    for part in PURE_CORE:
        assert offenders(ROOT / "engine" / part, forbidden) == []


def test_engine_never_imports_flask_rq_or_redis() -> None:
    assert offenders(ROOT / "engine", WEB_AND_QUEUE) == []


def test_only_the_store_speaks_sql() -> None:
    outside = [p for p in (ROOT / "engine").iterdir() if p.is_dir() and p.name != "store"]
    for folder in outside:
        assert offenders(folder, SQL) == []
    for module in (ROOT / "engine").glob("*.py"):
        assert not (imported_roots(module) & SQL), module


def test_designer_does_not_speak_sql() -> None:
    assert offenders(ROOT / "designer", SQL) == []


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    """The checker itself must be able to fail."""
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlalchemy.orm import Session\nimport redis\n")
    assert offenders(tmp_path, SQL | WEB_AND_QUEUE, base=tmp_path) == [
        "bad.py imports redis", "bad.py imports sqlalchemy.orm"]


def test_no_eval_or_exec_anywhere() -> None:
    calls = []
    for folder in ("engine", "designer", "plugins", "templates_library"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                        and node.func.id in {"eval", "exec", "compile"}:
                    calls.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.id}")
    assert calls == []
