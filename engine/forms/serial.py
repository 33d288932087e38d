"""Serial numbers (流水号), the pure part: patterns, counter scopes, formatting.

A pattern is literal text with parts in braces: ``{yyyy}`` ``{yy}`` ``{MM}`` ``{dd}``
``{yyyyMM}`` ``{yyyyMMdd}`` and exactly one ``{seq:N}`` (the counter, zero-padded to
N digits, 1 ≤ N ≤ 12). ``{{`` and ``}}`` write literal braces::

    >>> format_serial("DB-{yyyyMMdd}-{seq:4}", date(2026, 1, 15), 7)
    'DB-20260115-0007'

The counter restarts when the finest date part in the pattern changes:
:func:`serial_scope` names the period (``"2026-01-15"`` daily, ``"2026-01"``
monthly, ``"2026"`` yearly, ``"all"`` never). The gap-free counter itself lives in
the store, keyed by tenant, form, field and scope.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import IntEnum

MAX_SEQ_DIGITS = 12

_DATE_PARTS: dict[str, Callable[[date], str]] = {
    "yyyy": lambda d: f"{d.year:04d}",
    "yy": lambda d: f"{d.year % 100:02d}",
    "MM": lambda d: f"{d.month:02d}",
    "dd": lambda d: f"{d.day:02d}",
    "yyyyMM": lambda d: f"{d.year:04d}{d.month:02d}",
    "yyyyMMdd": lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}",
}
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]|[^{}]+")
_SEQ = re.compile(r"seq:(\d{1,3})")


class Period(IntEnum):
    """How often the counter restarts (the finest date part of the pattern)."""

    NEVER = 0
    YEAR = 1
    MONTH = 2
    DAY = 3


_PERIOD_OF = {
    "yyyy": Period.YEAR, "yy": Period.YEAR, "MM": Period.MONTH, "yyyyMM": Period.MONTH,
    "dd": Period.DAY, "yyyyMMdd": Period.DAY,
}  # fmt: skip


class PatternError(ValueError):
    """A serial pattern that cannot be used; ``reason`` is in English and Chinese."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh


@dataclass(frozen=True, slots=True)
class Part:
    """Literal ``text``, a date part (``date_part``), or the counter (``digits`` > 0)."""

    text: str = ""
    date_part: str = ""
    digits: int = 0


@dataclass(frozen=True, slots=True)
class SerialPattern:
    parts: tuple[Part, ...]
    period: Period


@functools.lru_cache(maxsize=256)
def parse_pattern(pattern: str) -> SerialPattern:
    """The parts of ``pattern``; raise :class:`PatternError` when it is wrong."""
    parts: list[Part] = []
    period = Period.NEVER
    for match in _TOKEN.finditer(pattern):
        token, name = match.group(0), match.group(1)
        if token in ("{{", "}}"):
            parts.append(Part(text=token[0]))
        elif token in ("{", "}"):
            raise PatternError(f"an unmatched '{token}' at position {match.start() + 1}",
                               f"第 {match.start() + 1} 个字符处的 '{token}' 没有配对")  # fmt: skip
        elif name is None:
            parts.append(Part(text=token))
        else:
            part = _placeholder(name)
            parts.append(part)
            period = max(period, _PERIOD_OF.get(name, Period.NEVER))
    counters = sum(1 for p in parts if p.digits)
    if counters != 1:
        raise PatternError(f"it needs exactly one {{seq:N}}, found {counters}",
                           f"必须且只能有一个 {{seq:N}}，实际有 {counters} 个")  # fmt: skip
    return SerialPattern(tuple(parts), period)


def _placeholder(name: str) -> Part:
    if name in _DATE_PARTS:
        return Part(date_part=name)
    seq = _SEQ.fullmatch(name)
    if seq is None:
        raise PatternError(f"unknown part {{{name}}}", f"未知的部分 {{{name}}}")
    digits = int(seq.group(1))
    if not 1 <= digits <= MAX_SEQ_DIGITS:
        raise PatternError(f"{{seq:{digits}}} must have 1 to {MAX_SEQ_DIGITS} digits",
                           f"{{seq:{digits}}} 的位数必须在 1 到 {MAX_SEQ_DIGITS} 之间")  # fmt: skip
    return Part(digits=digits)


def serial_scope(pattern: str, today: date) -> str:
    """The counter's scope key for ``today``: the sequence restarts when it changes."""
    period = parse_pattern(pattern).period
    if period is Period.DAY:
        return today.isoformat()
    if period is Period.MONTH:
        return today.isoformat()[:7]
    if period is Period.YEAR:
        return f"{today.year:04d}"
    return "all"


def format_serial(pattern: str, today: date, seq: int) -> str:
    """The serial number ``seq`` (≥ 1) for ``today``.

    A sequence longer than ``{seq:N}`` keeps all its digits: numbers stay unique.
    """
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ValueError(f"a serial sequence starts at 1, got {seq!r}")
    out: list[str] = []
    for part in parse_pattern(pattern).parts:
        if part.digits:
            out.append(str(seq).zfill(part.digits))
        elif part.date_part:
            out.append(_DATE_PARTS[part.date_part](today))
        else:
            out.append(part.text)
    return "".join(out)
