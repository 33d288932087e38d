"""Friendly names for syntax errors, learned from example bad inputs.

Lark's :meth:`~lark.exceptions.UnexpectedInput.match_examples` re-parses each
example below and answers with the label whose example fails in the same parser
state as the user's text. The labels are problem codes from :mod:`.problems`.
A test checks that every example really fails with its own label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_parser_state import ParserState

_R = "on t approved:\n"

EXAMPLES: Mapping[str, tuple[str, ...]] = {
    "rules.missing_colon": (
        "on t approved\n    release reservations\n",
        "on t approved release reservations\n",
        "on t approved, rejected\n    release reservations\n",
        "on t approved at boss\n    release reservations\n",
        _R + "    for line in lines\n        release reservations\n",
        _R + "    for line in lines issue line.qty of line.item from s\n",
        _R + "    when x > 1\n        release reservations\n",
        _R + "    when x\n        release reservations\n",
        _R + "    when f(x)\n        release reservations\n",
        _R + "    when x > 1 release reservations\n",
    ),
    "rules.unknown_statement": (
        "subtract 1 of x from y\n",
        "issue 1 of x from y\n",
        "for line in lines: issue 1 of x from y\n",
        _R + "    release reservations\nissue 1 of x from y\n",
        _R + "    for line in lines:\n        release reservations\nissue 1 of x from y\n",
        _R + "    1 + 2\n",
        _R + "    'x'\n",
        _R + "    x = 1\n",
        _R + "    x.y = 1\n",
    ),
    "rules.missing_of": (
        _R + "    issue 1 x from y\n",
        _R + "    issue a.b c from y\n",
        _R + "    issue a c from y\n",
        _R + "    issue f(a) c from y\n",
        _R + "    move 1 x from y to z\n",
        _R + "    move a.b c from y to z\n",
        _R + "    move a c from y to z\n",
    ),
    "rules.missing_location": (
        _R + "    issue 1 of x\n",
        _R + "    issue 1 of a.b\n",
        _R + "    issue 1 of f(x)\n",
        _R + "    issue 1 of recipe(x)\n",
        _R + "    receive 1 of x y\n",
        _R + "    receive 1 of a.b y\n",
    ),
    "rules.bad_indentation": (
        _R + "    release reservations\n        release reservations\n",
        "    " + _R + "release reservations\n",
        _R + "release reservations\n",
    ),
    "rules.assign_in_condition": (
        "validate a = 1 else 'x'\n",
        "validate a.b = 1 else 'x'\n",
        "validate f(a) = 1 else 'x'\n",
        "validate 1 = 1 else 'x'\n",
        _R + "    when a = 1: release reservations\n",
        _R + "    when a.b = 1: release reservations\n",
    ),
    "rules.missing_else": (
        "validate a > 1\n",
        "validate a > b.c\n",
        "validate a > f(b)\n",
        "validate a\n",
        "validate a.b\n",
        "validate a > 1 'x'\n",
        "validate a > 1 else\n",
    ),
}


def settle(error: UnexpectedInput) -> UnexpectedInput:
    """Make ``error.state`` a plain LALR state number.

    Errors raised through the contextual lexer's fallback carry a whole
    ``ParserState``, which compares by stack depth too (so the same mistake one
    block deeper would not match) and breaks lark's debug logging.
    """
    if isinstance(error.state, ParserState):
        error.state = error.state.position
    return error


def label_for(
    error: UnexpectedInput, parse: Callable[[str], Tree[Token]]
) -> str | None:
    """The problem code for ``error``, or None when no example matches."""
    if isinstance(error, UnexpectedCharacters):
        found = error.char
        if found in "\"'":
            return "rules.unclosed_string"
    if isinstance(error, UnexpectedToken) and error.token.type == "_INDENT":
        return "rules.bad_indentation"
    label = settle(error).match_examples(parse, EXAMPLES, use_accepts=True)
    if label is not None:
        return label
    if isinstance(error, UnexpectedCharacters):
        return "rules.unexpected_character"
    return None
