"""Rendering a problem for people: location, message, the source line and a caret.

    transfer.rules:3:24: [rules.unknown_field] Unknown field or name 'qyt'.
        3 |     for line in lines: reserve line.qyt of line.item at from_store
          |                                ^
      hint: Did you mean 'qty'?
"""

from __future__ import annotations

from engine.errors import Problem


def caret_excerpt(source_text: str, line: int, column: int) -> str:
    """The source line ``line`` with a caret under ``column`` (both 1-based)."""
    lines = source_text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    raw = lines[line - 1]
    offset = len(raw[: max(column - 1, 0)].expandtabs(8))
    gutter = f"{line:>5} | "
    pad = " " * (len(gutter) - 2) + "| "
    return f"{gutter}{raw.expandtabs(8)}\n{pad}{' ' * offset}^"


def render_problem(source_text: str, problem: Problem, lang: str = "en") -> str:
    """A multi-line, human-readable rendering of ``problem`` in ``lang`` (en or zh)."""
    src = problem.source
    where = src.rule or src.file or ""
    if src.line is not None:
        where = f"{where}:{src.line}:{src.column or 1}" if where else f"{src.line}:{src.column or 1}"
    head = f"{where}: " if where else ""
    out = [f"{head}[{problem.code}] {problem.message.get(lang)}"]
    if src.line is not None:
        excerpt = caret_excerpt(source_text, src.line, src.column or 1)
        if excerpt:
            out.append(excerpt)
    if problem.hint is not None:
        label = "提示" if lang.startswith("zh") else "hint"
        out.append(f"  {label}: {problem.hint.get(lang)}")
    return "\n".join(out)
