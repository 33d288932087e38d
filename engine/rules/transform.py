"""The Lark parse tree → :mod:`.nodes` tree transformer.

Each grammar rule maps to one method; positions come from Lark's propagated meta
or from the first token. Literals are decoded here (numbers to ``Decimal``, dates
to ``date``); a malformed date raises :class:`BadLiteral`, which the parser turns
into the ``rules.bad_literal`` problem.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lark import Token, Transformer, v_args
from lark.tree import Meta

from . import nodes as n

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}

class BadLiteral(Exception):
    def __init__(self, pos: n.Pos, text: str, kind: str) -> None:
        super().__init__(text)
        self.pos, self.text, self.kind = pos, text, kind


@dataclasses.dataclass(frozen=True, slots=True)
class _Source:
    item: n.Expr
    explosion: n.Explosion | None


@dataclasses.dataclass(frozen=True, slots=True)
class _Destination:
    location: n.Expr


@dataclasses.dataclass(frozen=True, slots=True)
class _Clause:
    name: str
    pos: n.Pos
    value: n.Expr | None = None
    policy: str | None = None


def tpos(token: Token) -> n.Pos:
    return n.Pos(token.line or 1, token.column or 1)


def mpos(meta: Meta, fallback: n.Pos | None = None) -> n.Pos:
    if getattr(meta, "empty", True):
        return fallback or n.Pos(1, 1)
    return n.Pos(meta.line, meta.column)


def unescape(body: str) -> str:
    out: list[str] = []
    chars = iter(body)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_ESCAPES.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def _clauses(items: list[_Clause]) -> n.Clauses:
    values: dict[str, Any] = {}
    repeated: list[tuple[str, n.Pos]] = []
    for clause in items:
        key = "policy" if clause.policy else clause.name
        if key in values:
            repeated.append((clause.name, clause.pos))
            continue
        values[key] = clause.policy or clause.value
    return n.Clauses(repeated=tuple(repeated), **values)


def _split_destination(rest: list[Any]) -> tuple[n.Expr | None, list[Any]]:
    if rest and isinstance(rest[0], _Destination):
        return rest[0].location, rest[1:]
    return None, rest


@v_args(meta=True)
class ToAst(Transformer[Token, Any]):
    """Builds the typed tree; see :mod:`.nodes`."""

    # ---- top level ----
    def start(self, meta: Meta, items: list[Any]) -> n.Program:
        rules = [r for r in items if isinstance(r, n.Rule)]
        checks = [v for v in items if isinstance(v, n.Validate)]
        return n.Program(
            tuple(dataclasses.replace(r, index=i) for i, r in enumerate(rules)),
            tuple(dataclasses.replace(v, index=i) for i, v in enumerate(checks)),
        )

    def expression(self, meta: Meta, items: list[Any]) -> n.Expr:
        result: n.Expr = items[0]
        return result

    def rule(self, meta: Meta, items: list[Any]) -> n.Rule:
        on, form, events = items[0], items[1], items[2]
        node = items[3] if len(items) == 5 else None
        return n.Rule(tpos(on), -1, str(form), tpos(form), events, node, items[-1])

    def event_list(self, meta: Meta, items: list[Token]) -> tuple[n.EventName, ...]:
        return tuple(n.EventName(tpos(t), str(t)) for t in items)

    def node(self, meta: Meta, items: list[Token]) -> str:
        return str(items[1])

    def validate(self, meta: Meta, items: list[Any]) -> n.Validate:
        message = unescape(str(items[2])[1:-1])
        return n.Validate(tpos(items[0]), -1, items[1], message)

    def body(self, meta: Meta, items: list[n.Stmt]) -> tuple[n.Stmt, ...]:
        return tuple(items)

    # ---- statements ----
    def for_stmt(self, meta: Meta, items: list[Any]) -> n.For:
        return n.For(tpos(items[0]), str(items[1]), items[2], items[3])

    def when_stmt(self, meta: Meta, items: list[Any]) -> n.When:
        return n.When(tpos(items[0]), items[1], items[2])

    def let_stmt(self, meta: Meta, items: list[Any]) -> n.Let:
        return n.Let(tpos(items[0]), str(items[1]), items[2])

    def release_all(self, meta: Meta, items: list[Token]) -> n.ReleaseAll:
        return n.ReleaseAll(tpos(items[0]))

    def lock_stmt(self, meta: Meta, items: list[Any]) -> n.Lock:
        return n.Lock(tpos(items[0]), items[1], str(items[0]) == "lock")

    def verb(self, meta: Meta, items: list[Token]) -> Token:
        return items[0]

    def prep(self, meta: Meta, items: list[Token]) -> Token:
        return items[0]

    def _stock(self, verb: Token, qty: n.Expr, source: Any, prep: Token, loc: n.Expr,
               to: n.Expr | None, clauses: list[_Clause]) -> n.Stock:  # fmt: skip
        src = source if isinstance(source, _Source) else _Source(source, None)
        return n.Stock(
            tpos(verb), str(verb), qty, src.item, src.explosion, str(prep), tpos(prep), loc, to,
            _clauses(clauses),
        )  # fmt: skip

    def destination(self, meta: Meta, items: list[Any]) -> _Destination:
        return _Destination(items[1])

    def qty_first(self, meta: Meta, items: list[Any]) -> n.Stock:
        verb, qty, source, prep, loc, *rest = items
        to, clauses = _split_destination(rest)
        return self._stock(verb, qty, source, prep, loc, to, clauses)

    def item_first(self, meta: Meta, items: list[Any]) -> n.Stock:
        verb, source, prep, loc, *rest = items
        to, (qty, *clauses) = _split_destination(rest)
        return self._stock(verb, qty, source, prep, loc, to, clauses)

    def count_stmt(self, meta: Meta, items: list[Any]) -> n.Stock:
        verb, item, prep, loc, counted, *clauses = items
        return self._stock(verb, counted, item, prep, loc, None, clauses)

    def recipe(self, meta: Meta, items: list[Any]) -> _Source:
        return _Source(items[1], n.Explosion(tpos(items[0]), "recipe", None))

    def bom(self, meta: Meta, items: list[Any]) -> _Source:
        depth = items[2] if len(items) > 2 else None
        return _Source(items[1], n.Explosion(tpos(items[0]), "bom", depth))

    def batch_clause(self, meta: Meta, items: list[Any]) -> _Clause:
        return _Clause("batch", tpos(items[0]), items[1])

    def expires_clause(self, meta: Meta, items: list[Any]) -> _Clause:
        return _Clause("expiry", tpos(items[0]), items[1])

    def cost_clause(self, meta: Meta, items: list[Any]) -> _Clause:
        return _Clause("cost", tpos(items[0]), items[1])

    def fefo_clause(self, meta: Meta, items: list[Token]) -> _Clause:
        return _Clause(str(items[-1]), tpos(items[0]), policy="fefo")

    def fifo_clause(self, meta: Meta, items: list[Token]) -> _Clause:
        return _Clause(str(items[-1]), tpos(items[0]), policy="fifo")

    # ---- expressions ----
    def cond(self, meta: Meta, items: list[n.Expr]) -> n.Cond:
        then, test, other = items
        return n.Cond(then.pos, test, then, other)

    def or_expr(self, meta: Meta, items: list[n.Expr]) -> n.Logic:
        return n.Logic(items[0].pos, "or", tuple(items))

    def and_expr(self, meta: Meta, items: list[n.Expr]) -> n.Logic:
        return n.Logic(items[0].pos, "and", tuple(items))

    def not_op(self, meta: Meta, items: list[Any]) -> n.Not:
        return n.Not(tpos(items[0]), items[1])

    def compare(self, meta: Meta, items: list[Any]) -> n.Compare:
        left, op, right = items
        return n.Compare(tpos(op), str(op), left, right)

    def in_op(self, meta: Meta, items: list[Any]) -> n.InList:
        return n.InList(items[0].pos, items[0], items[1], False)

    def not_in_op(self, meta: Meta, items: list[Any]) -> n.InList:
        return n.InList(items[0].pos, items[0], items[2], True)

    def _chain(self, items: list[Any]) -> n.Arith:
        first = items[0]
        rest = tuple((str(items[i]), items[i + 1]) for i in range(1, len(items), 2))
        return n.Arith(tpos(items[1]), first, rest)

    def sum(self, meta: Meta, items: list[Any]) -> n.Arith:
        return self._chain(items)

    def product(self, meta: Meta, items: list[Any]) -> n.Arith:
        return self._chain(items)

    def neg(self, meta: Meta, items: list[Any]) -> n.Expr:
        return n.Neg(tpos(items[0]), items[1])

    def pos(self, meta: Meta, items: list[Any]) -> n.Expr:
        result: n.Expr = items[1]
        return result

    def number(self, meta: Meta, items: list[Token]) -> n.Literal:
        return n.Literal(tpos(items[0]), Decimal(str(items[0])), "number")

    def string(self, meta: Meta, items: list[Token]) -> n.Literal:
        return n.Literal(tpos(items[0]), unescape(str(items[0])[1:-1]), "text")

    def date(self, meta: Meta, items: list[Token]) -> n.Literal:
        text = str(items[0])
        try:
            value = date.fromisoformat(text[5:-1])
        except ValueError:
            raise BadLiteral(tpos(items[0]), text, "date") from None
        return n.Literal(tpos(items[0]), value, "date")

    def datetime(self, meta: Meta, items: list[Token]) -> n.Literal:
        text = str(items[0])
        try:
            value = datetime.fromisoformat(text[9:-1])
        except ValueError:
            raise BadLiteral(tpos(items[0]), text, "datetime") from None
        return n.Literal(tpos(items[0]), value, "datetime")

    def true(self, meta: Meta, items: list[Token]) -> n.Literal:
        return n.Literal(tpos(items[0]), True, "boolean")

    def false(self, meta: Meta, items: list[Token]) -> n.Literal:
        return n.Literal(tpos(items[0]), False, "boolean")

    def null(self, meta: Meta, items: list[Token]) -> n.Literal:
        return n.Literal(tpos(items[0]), None, "null")

    def path(self, meta: Meta, items: list[Token]) -> n.Path:
        return n.Path(tpos(items[0]), tuple(str(t) for t in items))

    def call(self, meta: Meta, items: list[Any]) -> n.Expr:
        name = items[0]
        args = tuple(a for a in items[1:] if a is not None)
        if str(name) == "if" and len(args) == 3:
            return n.Cond(tpos(name), args[0], args[1], args[2])
        return n.Call(tpos(name), str(name), args)

    def list(self, meta: Meta, items: list[Any]) -> tuple[n.Expr, ...]:
        return tuple(a for a in items[1:] if a is not None)
