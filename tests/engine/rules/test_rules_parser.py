"""Parser: grammar coverage, positions, word orders, aliases, layout."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from engine.errors import ValidationError
from engine.rules import nodes as n
from engine.rules.parser import parse_expression, parse_program

DESIGN_EXAMPLE = """\
# a rule reads like the admin's own sentence: "on approve: decrement location X"
on transfer submitted:
    for line in lines: reserve line.qty of line.item at from_store
on transfer approved:
    for line in lines: move line.qty of line.item from from_store to to_store
on transfer rejected, withdrawn:
    release reservations

on purchase_in approved:
    for line in lines:
        receive line.qty of line.item into warehouse batch line.batch expires line.expiry cost line.price

on sales_out approved:
    for line in lines: issue line.qty of line.item from store        # batches picked FEFO

on dish_sale approved:
    for line in lines: issue line.qty of recipe(line.dish) from kitchen

on stocktake approved:
    for line in lines: count line.item at location as line.counted  # posts the difference

validate total >= 0 else "总金额不能为负 / total must not be negative"
"""


def only_stmt(text: str) -> n.Stmt:
    program = parse_program(text)
    (rule,) = program.rules
    (stmt,) = rule.body
    return stmt


def test_design_example_parses() -> None:
    program = parse_program(DESIGN_EXAMPLE)
    assert [r.form for r in program.rules] == [
        "transfer", "transfer", "transfer", "purchase_in", "sales_out", "dish_sale", "stocktake",
    ]  # fmt: skip
    assert [r.index for r in program.rules] == list(range(7))
    assert [e.name for e in program.rules[2].events] == ["rejected", "withdrawn"]
    (check,) = program.validations
    assert check.message == "总金额不能为负 / total must not be negative"
    assert (check.pos.line, check.pos.column) == (22, 1)


def test_positions_point_at_the_statement_and_its_parts() -> None:
    program = parse_program(DESIGN_EXAMPLE)
    loop = program.rules[0].body[0]
    assert isinstance(loop, n.For)
    assert (loop.pos.line, loop.pos.column) == (3, 5)
    stock = loop.body[0]
    assert isinstance(stock, n.Stock)
    assert (stock.pos.line, stock.pos.column) == (3, 24)
    assert (stock.qty.pos.line, stock.qty.pos.column) == (3, 32)
    assert (stock.location.pos.line, stock.location.pos.column) == (3, 57)


def test_receive_clauses() -> None:
    program = parse_program(DESIGN_EXAMPLE)
    loop = program.rules[3].body[0]
    assert isinstance(loop, n.For)
    stock = loop.body[0]
    assert isinstance(stock, n.Stock)
    assert stock.word == "receive" and stock.prep == "into"
    c = stock.clauses
    assert isinstance(c.batch, n.Path) and c.batch.parts == ("line", "batch")
    assert isinstance(c.expiry, n.Path) and isinstance(c.cost, n.Path)


def test_recipe_and_bom_sources() -> None:
    stmt = only_stmt("on d approved:\n    issue 2 of recipe(dish) from kitchen\n")
    assert isinstance(stmt, n.Stock) and stmt.explosion is not None
    assert stmt.explosion.kind == "recipe" and stmt.explosion.depth is None
    assert isinstance(stmt.item, n.Path) and stmt.item.parts == ("dish",)
    stmt = only_stmt("on p approved:\n    issue 2 of bom(product, 3) from shop\n")
    assert isinstance(stmt, n.Stock) and stmt.explosion is not None
    assert stmt.explosion.kind == "bom"
    assert isinstance(stmt.explosion.depth, n.Literal) and stmt.explosion.depth.value == 3


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("decrement line.item at store by line.qty", "decrement"),
        ("issue line.qty of line.item from store", "issue"),
        ("increment line.item at store by line.qty", "increment"),
        ("receive line.qty of line.item into store", "receive"),
        ("reserve line.item at store by line.qty", "reserve"),
        ("scrap line.qty of line.item from store", "scrap"),
        ("release line.qty of line.item from store", "release"),
        ("入库 line.qty of line.item into store", "入库"),  # any name parses; the checker decides
    ],
)
def test_both_word_orders(text: str, word: str) -> None:
    stmt = only_stmt(f"on s approve:\n    {text}\n")
    assert isinstance(stmt, n.Stock)
    assert stmt.word == word and stmt.to_location is None
    assert isinstance(stmt.qty, n.Path) and stmt.qty.parts == ("line", "qty")
    assert isinstance(stmt.item, n.Path) and stmt.item.parts == ("line", "item")


def test_move_both_orders() -> None:
    a = only_stmt("on t approved:\n    move q of i from a to b\n")
    b = only_stmt("on t approved:\n    move i from a to b by q\n")
    assert isinstance(a, n.Stock) and isinstance(b, n.Stock)
    assert a.word == b.word == "move"
    for s in (a, b):
        assert isinstance(s.to_location, n.Path) and s.to_location.parts == ("b",)


def test_policy_clauses() -> None:
    for text, policy in (("fefo", "fefo"), ("pick fifo", "fifo")):
        stmt = only_stmt(f"on s approved:\n    issue 1 of x from y {text}\n")
        assert isinstance(stmt, n.Stock) and stmt.clauses.policy == policy


def test_count_statement() -> None:
    stmt = only_stmt("on s approved:\n    count line.item at location as line.counted\n")
    assert isinstance(stmt, n.Stock) and stmt.word == "count"
    assert isinstance(stmt.qty, n.Path) and stmt.qty.parts == ("line", "counted")
    assert isinstance(stmt.location, n.Path) and stmt.location.parts == ("location",)


def test_one_line_and_block_forms_are_equal() -> None:
    one = parse_program("on t approved: for line in lines: release reservations\n")
    block = parse_program("on t approved:\n  for line in lines:\n      release reservations\n")
    a, b = one.rules[0].body[0], block.rules[0].body[0]
    assert isinstance(a, n.For) and isinstance(b, n.For)
    assert type(a.body[0]) is type(b.body[0]) is n.ReleaseAll


def test_nested_blocks_comments_blank_lines_crlf_and_tabs() -> None:
    text = (
        "# leading comment\r\n\r\n"
        "on t approved:   # trailing comment\r\n"
        "\tlet x = 1\r\n"
        "\r\n"
        "\t# a comment line inside the block\r\n"
        "\twhen x > 0:\r\n"
        "\t\tfor line in lines: when line.qty > 0: release reservations\r\n"
        "\trelease reservations"
    )
    (rule,) = parse_program(text).rules
    assert [type(s).__name__ for s in rule.body] == ["Let", "When", "ReleaseAll"]
    when = rule.body[1]
    assert isinstance(when, n.When)
    loop = when.body[0]
    assert isinstance(loop, n.For) and isinstance(loop.body[0], n.When)


def test_node_and_aliases_are_kept_raw() -> None:
    (rule,) = parse_program("on transfer approve at store_manager: release reservations").rules
    assert rule.node == "store_manager"
    assert rule.events[0].name == "approve"


def test_expression_literals() -> None:
    e = parse_expression('[date"2026-01-31", datetime"2026-01-31T08:30", 1.50, "a\\"b", \'c\', '
                         "true, false, null]".replace("[", "x in [", 1))  # fmt: skip
    assert isinstance(e, n.InList)
    values = [i.value for i in e.items if isinstance(i, n.Literal)]
    assert values == [date(2026, 1, 31), datetime(2026, 1, 31, 8, 30), Decimal("1.50"),
                      'a"b', "c", True, False, None]  # fmt: skip


def test_precedence_and_chains() -> None:
    e = parse_expression("a + b * c - d / 2")
    assert isinstance(e, n.Arith) and [op for op, _ in e.rest] == ["+", "-"]
    assert isinstance(e.rest[0][1], n.Arith)
    e = parse_expression("not a or b and c")
    assert isinstance(e, n.Logic) and e.op == "or"
    assert isinstance(e.operands[0], n.Not)
    e = parse_expression("x if a > 1 else y")
    assert isinstance(e, n.Cond) and isinstance(e.test, n.Compare)


def test_if_function_is_lazy_conditional() -> None:
    e = parse_expression("if(a > 1, 1 / a, 0)")
    assert isinstance(e, n.Cond)
    e = parse_expression("if(a, b)")
    assert isinstance(e, n.Call) and e.name == "if"


def test_not_in_and_empty_calls() -> None:
    e = parse_expression("x not in []")
    assert isinstance(e, n.InList) and e.negate and e.items == ()
    e = parse_expression("today()")
    assert isinstance(e, n.Call) and e.args == ()


def test_keywords_are_names_where_no_keyword_fits() -> None:
    # `count` is a verb at statement start but a function inside expressions;
    # `batch`, `location`, `cost` are ordinary field names after a dot.
    stmt = only_stmt("on s approved:\n    when count(lines) > 0: count x at location as line.cost\n")
    assert isinstance(stmt, n.When)
    assert isinstance(stmt.test, n.Compare) and isinstance(stmt.test.left, n.Call)


def test_multiline_call_inside_parentheses() -> None:
    program = parse_program('validate coalesce(\n    total,\n    0\n) >= 0 else "x"\n')
    assert len(program.validations) == 1


def test_unicode_field_names() -> None:
    e = parse_expression("金额 > 0")
    assert isinstance(e, n.Compare) and isinstance(e.left, n.Path)
    assert e.left.parts == ("金额",)


def test_bad_date_literal_is_a_problem() -> None:
    with pytest.raises(ValidationError) as info:
        parse_expression('date"2026-02-30" > today()')
    assert info.value.code == "rules.bad_literal"


def test_empty_program() -> None:
    assert parse_program("") == n.Program((), ())
    assert parse_program("# only a comment\n\n") == n.Program((), ())


def test_size_of_expression() -> None:
    assert n.size(parse_expression("a + b * 2")) == 5


def test_parsing_from_many_threads_at_once() -> None:
    """The post-lexer keeps state while parsing: threads must not share a parser."""
    import threading

    from engine.rules.parser import parse_program

    text = ("on transfer approved:\n    for line in lines:\n"
            "        move line.qty of line.item from a to b\n")
    errors: list[BaseException] = []
    gate = threading.Barrier(8)

    def work() -> None:
        gate.wait()  # every thread builds its parser at the same moment, then parses
        for _ in range(60):
            try:
                parse_program(text)
            except BaseException as exc:  # collected: any failure is the bug
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
