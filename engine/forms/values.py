"""Parsing one submitted value into its typed form, or saying what is wrong.

:func:`parse_value` is the single place that knows how a document spells each
field type: decimals as strings ("12.50") or integers (JSON floats refused), dates
as ``2026-01-31``, date-times as ``2026-01-31T08:30[:00]`` without a zone, and so
on. It returns the typed value or an :class:`Issue` (a problem code and its
parameters); :mod:`.normalize` turns issues into located problems.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .spec import (
    CHOICE_KINDS,
    DECIMAL_KINDS,
    MAX_PRECISION,
    REF_KINDS,
    TEXT_KINDS,
    Field,
    FieldKind,
)

DECIMAL_PATTERN = r"^-?[0-9]{1,30}(\.[0-9]{1,30})?$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?$"
MAX_DECIMAL_LENGTH = 40
MAX_INTEGER_DIGITS = 18  # |value| < 10**18: exact in every database we target
MAX_REF_LENGTH = 200
ATTACHMENT_KEYS = frozenset({"name", "size", "content_type", "storage_key"})

_DECIMAL = re.compile(DECIMAL_PATTERN)
_DATE = re.compile(DATE_PATTERN)
_DATETIME = re.compile(DATETIME_PATTERN)


@dataclass(frozen=True, slots=True)
class Issue:
    """What is wrong with one value: a ``forms.*`` code and its message parameters."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


EXPECTED: Mapping[str, tuple[str, str]] = {
    "text": ("text", "文本"),
    "decimal": ("a number such as 12 or \"12.50\"", "数字，例如 12 或 \"12.50\""),
    "date": ("a date such as \"2026-01-31\"", "日期，例如 \"2026-01-31\""),
    "datetime": ("a date and time such as \"2026-01-31T08:30\"", "日期时间，例如 \"2026-01-31T08:30\""),
    "choice": ("one of the options (text)", "选项之一（文本）"),
    "choices": ("a list of options", "选项列表"),
    "boolean": ("true or false", "true 或 false"),
    "ref": ("a reference code (text or integer)", "引用编码（文本或整数）"),
    "rows": ("a list of rows", "行的列表"),
}  # fmt: skip


def wrong_type(expected: str) -> Issue:
    en, zh = EXPECTED[expected]
    return Issue("forms.wrong_type", {"expected_en": en, "expected_zh": zh})


def is_empty(value: Any) -> bool:
    """Unfilled: missing, null, empty text or an empty list."""
    return value is None or value == "" or (isinstance(value, list) and not value)


def parse_decimal(value: Any) -> Decimal | Issue:
    """A finite Decimal from a Decimal, an int or a decimal string; never from a float."""
    if isinstance(value, bool):
        return wrong_type("decimal")
    if isinstance(value, float):
        return Issue("forms.float_not_allowed")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            return Issue("forms.not_a_number", {"found": str(value)})
        number = value
    elif isinstance(value, str):
        if len(value) > MAX_DECIMAL_LENGTH or not _DECIMAL.match(value):
            return Issue("forms.not_a_number", {"found": value[:MAX_DECIMAL_LENGTH]})
        number = Decimal(value)
    else:
        return wrong_type("decimal")
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        return Issue("forms.too_many_digits")
    return number


def places_of(number: Decimal) -> int:
    """Significant decimal places: ``12.50`` → 1, ``3`` → 0."""
    if not number:
        return 0
    exponent = number.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def fit_places(number: Decimal, places: int | None) -> Decimal | Issue:
    """``number`` at the field's precision, or too_many_places."""
    limit = MAX_PRECISION if places is None else places
    if places_of(number) > limit:
        return Issue("forms.too_many_places", {"places": limit})
    if places is None:
        return number
    try:
        return number.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # more digits than the context holds
        return Issue("forms.too_many_digits")


def parse_date(value: Any) -> date | Issue:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return wrong_type("date")
    try:
        if _DATE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    return Issue("forms.bad_date", {"found": value[:40]})


def parse_datetime(value: Any) -> datetime | Issue:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value
    if not isinstance(value, str):
        return wrong_type("datetime")
    try:
        if _DATETIME.match(value):
            return datetime.fromisoformat(value)
    except ValueError:
        pass
    return Issue("forms.bad_datetime", {"found": value[:40]})


def check_bounds(f: Field, value: Any) -> Issue | None:
    """too_small / too_large against the field's min and max (exact comparisons)."""
    if f.minimum is not None and value < f.minimum:
        return Issue("forms.too_small", {"limit": bound_text(f.minimum)})
    if f.maximum is not None and value > f.maximum:
        return Issue("forms.too_large", {"limit": bound_text(f.maximum)})
    return None


def bound_text(bound: Decimal | date) -> str:
    return format(bound, "f") if isinstance(bound, Decimal) else bound.isoformat()


def parse_scalar(f: Field, value: Any) -> Any:
    """The typed value of a non-subform field (not None), or an Issue."""
    kind = f.kind
    if kind in TEXT_KINDS:
        return _text(f, value)
    if kind in DECIMAL_KINDS:
        return _decimal(f, value)
    if kind is FieldKind.DATE or kind is FieldKind.DATETIME:
        parsed = parse_date(value) if kind is FieldKind.DATE else parse_datetime(value)
        return parsed if isinstance(parsed, Issue) else (check_bounds(f, parsed) or parsed)
    if kind in CHOICE_KINDS:
        return _choice(f, value) if kind is FieldKind.SELECT else _choices(f, value)
    if kind is FieldKind.CHECKBOX:
        return value if isinstance(value, bool) else wrong_type("boolean")
    if kind in REF_KINDS:
        return _ref(value)
    if kind is FieldKind.ATTACHMENT:
        return _attachments(value)
    raise AssertionError(f"parse_scalar does not handle {kind}")


def _text(f: Field, value: Any) -> str | Issue:
    if not isinstance(value, str):
        return wrong_type("text")
    if f.max_length is not None and len(value) > f.max_length:
        return Issue("forms.too_long", {"limit": f.max_length})
    return value


def _decimal(f: Field, value: Any) -> Decimal | Issue:
    number = parse_decimal(value)
    if isinstance(number, Issue):
        return number
    fitted = fit_places(number, f.places)
    if isinstance(fitted, Issue):
        return fitted
    return check_bounds(f, fitted) or fitted


def _choice(f: Field, value: Any) -> str | Issue:
    if not isinstance(value, str):
        return wrong_type("choice")
    if value not in f.option_values:
        return Issue("forms.not_an_option", {"found": value[:100], "choices": _choices_text(f)})
    return value


def _choices(f: Field, value: Any) -> list[str] | Issue:
    if not isinstance(value, list):
        return wrong_type("choices")
    for item in value:
        issue = _choice(f, item)
        if isinstance(issue, Issue):
            return issue
    if len(set(value)) != len(value):
        return Issue("forms.repeated_choice")
    return list(value)


def _choices_text(f: Field) -> str:
    return ", ".join(f.option_values[:20]) + (" …" if len(f.options) > 20 else "")


def _ref(value: Any) -> str | int | Issue:
    if isinstance(value, str) and 0 < len(value) <= MAX_REF_LENGTH:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return wrong_type("ref")


def _attachments(value: Any) -> list[dict[str, Any]] | Issue:
    if not isinstance(value, list) or not all(_is_attachment(item) for item in value):
        return Issue("forms.bad_attachment")
    return [dict(item) for item in value]


def _is_attachment(item: Any) -> bool:
    if not isinstance(item, Mapping) or set(item) != ATTACHMENT_KEYS:
        return False
    size = item["size"]
    texts = (item["name"], item["content_type"], item["storage_key"])
    return (all(isinstance(t, str) and t for t in texts)
            and isinstance(size, int) and not isinstance(size, bool) and size >= 0)  # fmt: skip
