"""Safety properties of the code itself: no eval/exec, no reflection on user data,
the grammar loaded from the package, no imports of forms or I/O layers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import engine
from engine.rules.parser import lark_parser

ENGINE = Path(engine.__file__).parent
RULES = ENGINE / "rules"


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "migrations" not in p.parts)


def test_no_eval_or_exec_anywhere_in_engine() -> None:
    pattern = re.compile(r"\b(eval|exec)\s*\(")
    offenders = [
        f"{path.relative_to(ENGINE)}:{number}"
        for path in python_files(ENGINE)
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_rules_never_reflect_on_values() -> None:
    banned = {"eval", "exec", "compile", "getattr", "setattr", "__import__", "globals", "vars"}
    for path in python_files(RULES):
        tree = ast.parse(path.read_text("utf-8"))
        calls = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        # getattr is allowed only on our own effect dataclasses and lark metadata.
        allowed = {"getattr"} if path.name in {"effects.py", "transform.py", "parser.py"} else set()
        assert not (calls & banned) - allowed, path.name


def test_rules_imports_stay_in_the_pure_core() -> None:
    forbidden = ("engine.forms", "engine.store", "engine.services", "flask", "sqlalchemy",
                 "redis", "rq", "requests", "socket", "subprocess", "os")  # fmt: skip
    for path in python_files(RULES):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert not name.startswith(forbidden) or name.startswith("engine.errors"), (
                    f"{path.name} imports {name}"
                )


def test_grammar_is_lalr_with_positions_and_loaded_from_the_package() -> None:
    parser = lark_parser()
    assert parser.options.parser == "lalr"
    assert parser.options.propagate_positions is True
    assert (RULES / "grammar.lark").is_file()
