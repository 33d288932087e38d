"""Parsing: text → Lark parse tree → :mod:`.nodes` tree, with limits and friendly errors.

The grammar (``grammar.lark``) is loaded from the package with importlib.resources
and compiled once into an LALR parser with a contextual lexer, propagated positions
and an indentation post-lexer. Every failure becomes a :class:`~engine.errors.Problem`
and is raised as one :class:`~engine.errors.ValidationError`; no Lark exception
escapes this module.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)
from lark.indenter import DedentError, Indenter

from engine.errors import Problem, ValidationError

from . import problems
from .limits import Limits
from .nodes import Expr, Pos, Program
from .syntax_errors import label_for, settle
from .transform import BadLiteral, ToAst

# Parse-tree nodes that open one nesting level (see docs/rules.md, "Limits").
NESTING = frozenset(
    {"for_stmt", "when_stmt", "cond", "or_expr", "and_expr", "not_op", "compare", "in_op",
     "not_in_op", "sum", "product", "neg", "pos", "call", "list", "recipe", "bom"}
)  # fmt: skip


class RulesIndenter(Indenter):
    """Turns line starts into INDENT/DEDENT tokens; newlines inside () and [] are ignored."""

    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB"]
    CLOSE_PAREN_types = ["RPAR", "RSQB"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8


@functools.cache
def _grammar() -> str:
    return resources.files("engine.rules").joinpath("grammar.lark").read_text("utf-8")


_per_thread = threading.local()
# Building a parser reads the grammar with ast.literal_eval, which CPython 3.11 cannot
# run in two threads at once ("AST constructor recursion depth mismatch"): build one
# parser at a time. Building is rare (once per thread); parsing needs no lock.
_building = threading.Lock()


def lark_parser() -> Lark:
    """The compiled LALR parser, one per thread: the indenting post-lexer keeps state
    while it parses, so two threads must never share one (a threaded web server
    compiling rules for two requests at once would corrupt both parses)."""
    parser: Lark | None = getattr(_per_thread, "parser", None)
    if parser is None:
        with _building:
            parser = _per_thread.parser = Lark(
                _grammar(), parser="lalr", lexer="contextual", postlex=RulesIndenter(),
                propagate_positions=True, maybe_placeholders=True,
                start=["start", "expression"],
            )
    return parser


def _normalise(text: str, start: str) -> str:
    if start == "start":
        return text.rstrip() + "\n"
    return text.strip()


def raw_parse(text: str, start: str = "start") -> Tree[Token]:
    """Parse without error translation (Lark exceptions propagate)."""
    return lark_parser().parse(_normalise(text, start), start=start)


@functools.lru_cache(maxsize=256)
def _example_error(example: str) -> UnexpectedInput | None:
    try:
        raw_parse(example)
    except UnexpectedInput as error:
        return settle(error)
    except LarkError:
        return None
    return None


def _parse_example(example: str) -> Tree[Token]:
    error = _example_error(example)
    if error is None:
        return Tree("start", [])
    raise error.with_traceback(None)


def _describe(token_type: str, value: str | None = None) -> str:
    special = {"_NL": "end of line", "$END": "end of text", "_INDENT": "indentation",
               "_DEDENT": "end of block", "NAME": "a name", "NUMBER": "a number",
               "STRING": "a text", "DATE": "a date", "DATETIME": "a date-time",
               "COMP_OP": "a comparison"}  # fmt: skip
    if value and token_type in {"NAME", "NUMBER", "STRING"}:
        return f"'{value}'"
    if token_type in special:
        return special[token_type]
    try:
        pattern = lark_parser().get_terminal(token_type).pattern.value
    except KeyError:
        return token_type
    return f"'{pattern}'"


def _position(error: UnexpectedInput, text: str) -> Pos:
    if isinstance(error, UnexpectedToken) and error.token.type in {"_INDENT", "_DEDENT"}:
        return _next_code_line(text, error.token.line or 1)
    line = error.line if isinstance(error.line, int) and error.line > 0 else None
    column = error.column if isinstance(error.column, int) and error.column > 0 else 1
    if line is None:
        line = max(1, text.rstrip().count("\n") + 1)
    return Pos(line, column)


def _syntax_problem(error: UnexpectedInput, text: str, rule: str | None, start: str) -> Problem:
    pos = _position(error, text)
    label = label_for(error, _parse_example) if start == "start" else None
    if label is None and isinstance(error, UnexpectedCharacters):
        label = "rules.unclosed_string" if error.char in "\"'" else "rules.unexpected_character"
    if label is not None:
        found = repr(getattr(error, "char", "")) if label == "rules.unexpected_character" else ""
        if isinstance(error, UnexpectedToken):
            found = _describe(error.token.type, str(error.token))
        return problems.make(label, pos, rule=rule, found=found)
    assert isinstance(error, UnexpectedToken)
    expected = sorted({_describe(t) for t in error.expected if not t.startswith("__")})
    shown = ", ".join(expected[:8]) + (", …" if len(expected) > 8 else "")
    found = _describe(error.token.type, str(error.token))
    return problems.make("rules.syntax", pos, rule=rule, found=found, expected=shown)


def _depth(tree: Tree[Token]) -> int:
    deepest = 0
    stack: list[tuple[Tree[Token], int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in NESTING:
            depth += 1
            deepest = max(deepest, depth)
        stack.extend((c, depth) for c in node.children if isinstance(c, Tree))
    return deepest


def _deepest_pos(tree: Tree[Token], limit: int) -> Pos:
    stack: list[tuple[Tree[Token], int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        depth += node.data in NESTING
        if depth > limit:
            meta = node.meta
            return Pos(getattr(meta, "line", 1), getattr(meta, "column", 1))
        stack.extend((c, depth) for c in node.children if isinstance(c, Tree))
    return Pos(1, 1)


def parse_tree(text: str, *, start: str = "start", rule: str | None = None,
               limits: Limits | None = None) -> Tree[Token]:  # fmt: skip
    """Parse and enforce the size and depth limits; raise ValidationError on failure."""
    limits = limits or Limits()
    size = len(text.encode("utf-8"))
    if size > limits.max_source_bytes:
        raise ValidationError(
            problems.make("rules.too_large", Pos(1, 1), rule=rule, size=size,
                          limit=limits.max_source_bytes)  # fmt: skip
        )
    try:
        tree = raw_parse(text, start)
    except UnexpectedInput as error:
        raise ValidationError(_syntax_problem(error, text, rule, start)) from None
    except DedentError:
        line = _dedent_line(text)
        raise ValidationError(
            problems.make("rules.bad_indentation", Pos(line, 1), rule=rule)
        ) from None
    depth = _depth(tree)
    if depth > limits.max_depth:
        raise ValidationError(
            problems.make("rules.too_deep", _deepest_pos(tree, limits.max_depth), rule=rule,
                          depth=depth, limit=limits.max_depth)  # fmt: skip
        )
    return tree


def _dedent_line(text: str) -> int:
    """The first line whose indentation matches no enclosing block."""
    levels = [0]
    for number, line in enumerate(_code_lines(text), start=1):
        if line is None:
            continue
        line = line.expandtabs(8)
        indent = len(line) - len(line.lstrip(" "))
        if indent > levels[-1]:
            levels.append(indent)
            continue
        while indent < levels[-1]:
            levels.pop()
        if indent != levels[-1]:
            return number
    return 1


def _next_code_line(text: str, after: int) -> Pos:
    """Where the first code line after line ``after`` starts (indentation errors)."""
    for number, line in enumerate(_code_lines(text), start=1):
        if number > after and line is not None:
            return Pos(number, len(line) - len(line.lstrip(" \t")) + 1)
    return Pos(after, 1)


def _code_lines(text: str) -> Iterator[str | None]:
    for line in text.splitlines():
        stripped = line.strip()
        yield None if not stripped or stripped.startswith("#") else line


def _transform(tree: Tree[Token], rule: str | None) -> object:
    try:
        return ToAst().transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, BadLiteral):
            bad = error.orig_exc
            raise ValidationError(
                problems.make("rules.bad_literal", bad.pos, rule=rule, found=bad.text,
                              kind=bad.kind)  # fmt: skip
            ) from None
        raise


def parse_program(text: str, *, rule: str | None = None, limits: Limits | None = None) -> Program:
    """Parse a rule set into a :class:`~.nodes.Program`."""
    result = _transform(parse_tree(text, rule=rule, limits=limits), rule)
    assert isinstance(result, Program)
    return result


def parse_expression(text: str, *, rule: str | None = None,
                     limits: Limits | None = None) -> Expr:  # fmt: skip
    """Parse a single expression (a formula or a condition)."""
    result = _transform(parse_tree(text, start="expression", rule=rule, limits=limits), rule)
    return result  # type: ignore[return-value]
