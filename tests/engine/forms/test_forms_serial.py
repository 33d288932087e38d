"""Serial numbers (流水号): patterns, counter scopes and formatting."""

from __future__ import annotations

from datetime import date

import pytest

from engine.forms import PatternError, format_serial, parse_pattern, serial_scope

DAY = date(2026, 1, 15)


@pytest.mark.parametrize(
    ("pattern", "seq", "expected"),
    [
        ("DB-{yyyyMMdd}-{seq:4}", 7, "DB-20260115-0007"),
        ("{yyyy}/{MM}/{dd}#{seq:2}", 3, "2026/01/15#03"),
        ("PO{yy}{MM}{seq:3}", 12, "PO2601012"),
        ("M{yyyyMM}-{seq:1}", 42, "M202601-42"),  # longer than N: all digits kept
        ("{{literal}}-{seq:5}", 1, "{literal}-00001"),
        ("调拨{yyyyMMdd}{seq:4}", 1, "调拨202601150001"),
    ],
)
def test_format_serial(pattern: str, seq: int, expected: str) -> None:
    assert format_serial(pattern, DAY, seq) == expected


@pytest.mark.parametrize(
    ("pattern", "scope"),
    [
        ("DB-{yyyyMMdd}-{seq:4}", "2026-01-15"),
        ("X{yy}{dd}{seq:2}", "2026-01-15"),
        ("M{yyyyMM}-{seq:3}", "2026-01"),
        ("Y{yyyy}-{seq:3}", "2026"),
        ("N-{seq:6}", "all"),
    ],
)
def test_serial_scope_restarts_with_the_finest_date_part(pattern: str, scope: str) -> None:
    assert serial_scope(pattern, DAY) == scope


def test_the_scope_changes_on_the_next_period() -> None:
    daily = "DB-{yyyyMMdd}-{seq:4}"
    assert serial_scope(daily, DAY) != serial_scope(daily, date(2026, 1, 16))
    monthly = "M{yyyyMM}-{seq:3}"
    assert serial_scope(monthly, DAY) == serial_scope(monthly, date(2026, 1, 31))


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("DB-{yyyyMMdd}", "exactly one"),
        ("{seq:2}-{seq:3}", "exactly one"),
        ("{seq:0}", "1 to 12"),
        ("{seq:13}", "1 to 12"),
        ("{seq}", "unknown part"),
        ("{date}{seq:2}", "unknown part"),
        ("A{B{seq:2}", "unmatched"),
        ("A}{seq:2}", "unmatched"),
    ],
)
def test_bad_patterns_say_why_in_both_languages(pattern: str, words: str) -> None:
    with pytest.raises(PatternError) as caught:
        parse_pattern(pattern)
    assert words in caught.value.en and caught.value.zh


@pytest.mark.parametrize("seq", [0, -1, True])
def test_sequences_start_at_one(seq: int) -> None:
    with pytest.raises(ValueError):
        format_serial("N{seq:2}", DAY, seq)
