"""Syntax errors: friendly codes from example bad inputs, positions, carets."""

from __future__ import annotations

import pytest

from engine.errors import ValidationError
from engine.rules import DictScope, check_rules, render_problem
from engine.rules.parser import parse_program
from engine.rules.syntax_errors import EXAMPLES


def code_of(text: str) -> tuple[str, int | None, int | None]:
    with pytest.raises(ValidationError) as info:
        parse_program(text, rule="t.rules")
    (p,) = info.value.problems
    return p.code, p.source.line, p.source.column


@pytest.mark.parametrize(
    ("label", "example"), [(label, ex) for label, exs in EXAMPLES.items() for ex in exs]
)
def test_every_example_gets_its_own_label(label: str, example: str) -> None:
    assert code_of(example)[0] == label


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        ("on transfer approved\n    release reservations\n", "rules.missing_colon", 1, 21),
        ("on transfer approved:\n    for line in lines\n        release reservations\n",
         "rules.missing_colon", 2, 22),
        ('validate total >= 0 else "unclosed\n', "rules.unclosed_string", 1, 26),
        ("on s approved:\n    issue 1 of x from s\nissue 2 of x from s\n",
         "rules.unknown_statement", 3, 1),
        ("on s approved:\n    for line in lines:\n        line.qty = 1\n",
         "rules.unknown_statement", 3, 13),
        ("on s approved:\n    for line in lines:\n        issue line.qty line.item from s\n",
         "rules.missing_of", 3, 24),
        ("on s approved:\n  for line in lines:\n      issue 1 of x from y\n    issue 1 of x from y\n",
         "rules.bad_indentation", 4, 1),
        ("on s approved:\n    issue 1 of x from y\n        issue 1 of x from y\n",
         "rules.bad_indentation", 3, 9),
        ("validate total = 0 else 'x'\n", "rules.assign_in_condition", 1, 16),
        ("on s approved:\n    when status = 'ok': release reservations\n",
         "rules.assign_in_condition", 2, 17),
        ("validate total >= 0\n", "rules.missing_else", 1, 20),
        ("on s approved:\n    issue 1 of x\n", "rules.missing_location", 2, 17),
        ("validate total >= 0 else 'x' $\n", "rules.unexpected_character", 1, 30),
        ("validate (total >= 0 else 'x'\n", "rules.syntax", 1, 22),
    ],
)  # fmt: skip
def test_common_mistakes(text: str, code: str, line: int, column: int) -> None:
    assert code_of(text) == (code, line, column)


def test_generic_syntax_error_says_what_was_expected() -> None:
    with pytest.raises(ValidationError) as info:
        parse_program("validate (total >= 0 else 'x'\n")
    message = info.value.problems[0].message
    assert "')'" in message.en and "'else'" in message.en
    assert "')'" in message.zh


def test_check_rules_returns_syntax_problems_instead_of_raising() -> None:
    scope = DictScope.from_spec({"total": "money"})
    problems = check_rules("on t approved\n  release reservations", scope, form="t")
    assert [p.code for p in problems] == ["rules.missing_colon"]
    assert problems[0].message.zh and problems[0].hint is not None


def test_render_problem_shows_a_caret() -> None:
    text = "on s approved:\n    issue 1 x from y\n"
    with pytest.raises(ValidationError) as info:
        parse_program(text, rule="sales.rules")
    out = render_problem(text, info.value.problems[0])
    lines = out.splitlines()
    assert lines[0].startswith("sales.rules:2:13: [rules.missing_of]")
    assert lines[1].endswith("issue 1 x from y")
    assert lines[2].index("^") == lines[1].index("x from")
    assert "hint:" in lines[3]
    zh = render_problem(text, info.value.problems[0], lang="zh")
    assert "缺少" in zh and "提示" in zh


def test_render_problem_with_tabs_aligns_the_caret() -> None:
    text = "on s approved:\n\tissue 1 x from y\n"
    with pytest.raises(ValidationError) as info:
        parse_program(text)
    lines = render_problem(text, info.value.problems[0]).splitlines()
    assert lines[2].index("^") == lines[1].index("x from")


def test_no_lark_exception_escapes_on_odd_inputs() -> None:
    odd = ["on", ":", "\n\n\t  \n", "on t approved:", "on t approved:\n", "((((", "validate",
           "on t approved:\n    for", "'", '"', "on t approved: release", "\x00", "on t é:",
           "on t approved:\n  release reservations\n release reservations"]  # fmt: skip
    for text in odd:
        try:
            parse_program(text)
        except ValidationError as error:
            assert error.problems[0].code.startswith("rules.")
