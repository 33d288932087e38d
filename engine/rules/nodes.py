"""The typed, immutable syntax tree of the rules language.

Every node carries the ``line`` and ``column`` (1-based) where it starts in the
source, so the checker and the evaluator can point at it. The tree is closed: the
evaluator only ever interprets these classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

LiteralValue = Decimal | str | date | datetime | bool | None


@dataclass(frozen=True, slots=True)
class Pos:
    line: int
    column: int


# ---- expressions ----


@dataclass(frozen=True, slots=True)
class Literal:
    pos: Pos
    value: LiteralValue
    kind: str  # number | text | date | datetime | boolean | null


@dataclass(frozen=True, slots=True)
class Path:
    pos: Pos
    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class Neg:
    pos: Pos
    operand: Expr


@dataclass(frozen=True, slots=True)
class Arith:
    """``first op e1 op e2 …`` with ops of one precedence level, left to right."""

    pos: Pos
    first: Expr
    rest: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class Compare:
    pos: Pos
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Logic:
    pos: Pos
    op: str  # and | or
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    pos: Pos
    operand: Expr


@dataclass(frozen=True, slots=True)
class InList:
    pos: Pos
    operand: Expr
    items: tuple[Expr, ...]
    negate: bool


@dataclass(frozen=True, slots=True)
class Cond:
    """``then if test else other`` (also written ``if(test, then, other)``)."""

    pos: Pos
    test: Expr
    then: Expr
    other: Expr


@dataclass(frozen=True, slots=True)
class Call:
    pos: Pos
    name: str
    args: tuple[Expr, ...]


Expr = Literal | Path | Neg | Arith | Compare | Logic | Not | InList | Cond | Call


# ---- statements ----


@dataclass(frozen=True, slots=True)
class Let:
    pos: Pos
    name: str
    value: Expr


@dataclass(frozen=True, slots=True)
class When:
    pos: Pos
    test: Expr
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class For:
    pos: Pos
    var: str
    source: Expr
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class Explosion:
    """``recipe(item)`` or ``bom(item[, depth])`` as the quantity source."""

    pos: Pos
    kind: str  # recipe | bom
    depth: Expr | None


@dataclass(frozen=True, slots=True)
class Clauses:
    batch: Expr | None = None
    expiry: Expr | None = None
    cost: Expr | None = None
    policy: str | None = None  # fefo | fifo
    repeated: tuple[tuple[str, Pos], ...] = ()  # clauses given twice, for the checker


@dataclass(frozen=True, slots=True)
class Stock:
    """A stock statement. ``word`` is the verb as written (``decrement``); the checker
    looks it up in the verb registry for the ledger operation (``issue``).

    ``to_location`` is the destination (``… from a to b``), which ``move`` requires.
    For ``count`` the quantity is the counted quantity.
    """

    pos: Pos
    word: str
    qty: Expr
    item: Expr
    explosion: Explosion | None
    prep: str
    prep_pos: Pos
    location: Expr
    to_location: Expr | None
    clauses: Clauses


@dataclass(frozen=True, slots=True)
class ReleaseAll:
    pos: Pos


@dataclass(frozen=True, slots=True)
class Lock:
    """``lock <location>`` (``locked``) or ``unlock <location>``."""

    pos: Pos
    location: Expr
    locked: bool


Stmt = Let | When | For | Stock | ReleaseAll | Lock


# ---- top level ----


@dataclass(frozen=True, slots=True)
class EventName:
    pos: Pos
    name: str


@dataclass(frozen=True, slots=True)
class Rule:
    pos: Pos
    index: int
    form: str
    form_pos: Pos
    events: tuple[EventName, ...]
    node: str | None
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class Validate:
    pos: Pos
    index: int
    test: Expr
    message: str


@dataclass(frozen=True, slots=True)
class Program:
    rules: tuple[Rule, ...]
    validations: tuple[Validate, ...]


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of an expression node."""
    if isinstance(node, Literal | Path):
        return ()
    if isinstance(node, Neg | Not):
        return (node.operand,)
    if isinstance(node, Arith):
        return (node.first, *(e for _, e in node.rest))
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Logic):
        return node.operands
    if isinstance(node, InList):
        return (node.operand, *node.items)
    if isinstance(node, Cond):
        return (node.test, node.then, node.other)
    return node.args


def size(node: Expr) -> int:
    """Number of nodes in an expression: its static step cost."""
    total, stack = 0, [node]
    while stack:
        current = stack.pop()
        total += 1
        stack.extend(children(current))
    return total
