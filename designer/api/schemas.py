"""Shared schema parts: exact decimals, ids, texts, timestamps, cursors and pages.

Request schemas refuse unknown fields (so ``tenant_id``, ``id``, ``status``… in a
body answer 422: mass assignment is refused); quantities and money travel as
decimal strings and are never floats; lists page with ``limit`` and an opaque
``cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from werkzeug.routing import BaseConverter

from engine.ledger.numbers import canonical

MAX_ID = 2**63 - 1
MAX_QTY = Decimal("999999999.999999")
MAX_COST = Decimal("999999.999999")
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def coded(code: str, en: str, zh: str) -> str:
    """A validation message that carries its own code (see problems.field_problem)."""
    return f"[{code}] {en}||{zh}"


def _no_control(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError(coded("field.control_character",
                                    "Control characters are not allowed",
                                    "不允许控制字符"))


def text(max_length: int, *, min_length: int = 1, **kwargs: Any) -> fields.String:
    """A single-line text of ``min_length``…``max_length`` characters."""
    return fields.String(validate=[validate.Length(min_length, max_length), _no_control],
                         **kwargs)


def ident(**kwargs: Any) -> fields.Integer:
    """A database id (1 … 2⁶³−1)."""
    kwargs.setdefault("strict", True)
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


class DecimalString(fields.Decimal):
    """An exact decimal sent and returned as a string (integers are accepted too).

    JSON numbers with a fraction are refused: they are binary floats once parsed and
    have no exact value.
    """

    def __init__(self, *, places: int = 6, minimum: Decimal | None = None,
                 maximum: Decimal = MAX_QTY, exclusive_minimum: bool = False,
                 **kwargs: Any) -> None:
        self.limit_places = places
        self.minimum, self.maximum, self.exclusive = minimum, maximum, exclusive_minimum
        low = minimum if minimum is not None else -maximum
        digits = len(str(int(maximum)))
        metadata = dict(kwargs.pop("metadata", {}))
        metadata.setdefault("pattern", rf"^-?[0-9]{{1,{digits}}}(\.[0-9]{{1,{places}}})?$"
                            if low < 0 else rf"^[0-9]{{1,{digits}}}(\.[0-9]{{1,{places}}})?$")
        metadata.setdefault("example", "12.5")
        super().__init__(as_string=True, allow_nan=False, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or isinstance(value, float):
            raise ValidationError(coded(
                "number.float_refused", "Send decimals as strings, e.g. \"12.5\"",
                "小数请以字符串发送，例如 \"12.5\""))
        if isinstance(value, str) and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value.strip()):
            raise ValidationError(coded("number.invalid", "Not a decimal number",
                                        "不是有效的数字"))
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise ValidationError(coded("number.invalid", "Not a decimal number",
                                        "不是有效的数字")) from exc
        if not number.is_finite() or abs(number) > self.maximum:
            raise ValidationError(coded("number.too_large",
                                        f"Must be at most {self.maximum}",
                                        f"不能超过 {self.maximum}"))
        if number != number.quantize(Decimal(1).scaleb(-self.limit_places)):
            raise ValidationError(coded(
                "number.too_many_places", f"At most {self.limit_places} decimal places",
                f"最多 {self.limit_places} 位小数"))
        if self.minimum is not None and (number < self.minimum or (
                self.exclusive and number == self.minimum)):
            relation = "greater than" if self.exclusive else "at least"
            raise ValidationError(coded("number.too_small",
                                        f"Must be {relation} {self.minimum}",
                                        f"必须{'大于' if self.exclusive else '不小于'} "
                                        f"{self.minimum}"))
        return number


class DecimalOut(fields.Decimal):
    """A decimal in a response: exact text, no exponent, no trailing zeros."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": r"^-?[0-9]+(\.[0-9]+)?$", "example": "12.5",
                    **kwargs.pop("metadata", {})}
        super().__init__(as_string=True, metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else canonical(Decimal(value))


def quantity(*, positive: bool = True, **kwargs: Any) -> DecimalString:
    return DecimalString(minimum=Decimal(0), exclusive_minimum=positive, **kwargs)


def cost_field(**kwargs: Any) -> DecimalString:
    return DecimalString(minimum=Decimal(0), maximum=MAX_COST, **kwargs)


class Timestamp(fields.AwareDateTime):
    """An ISO 8601 timestamp; without an offset it is read as UTC."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = moment.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError(coded("field.invalid", "Timestamp out of range",
                                        "时间超出范围")) from exc
        if not 1900 <= utc.year <= 9999:
            raise ValidationError(coded("field.invalid", "Timestamp out of range",
                                        "时间超出范围"))
        return utc


# cursors and pages ---------------------------------------------------------------------

def encode_cursor(position: Any) -> str | None:
    if position is None:
        return None
    parts = list(position) if isinstance(position, tuple | list) else [position]
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Cursor(fields.String):
    """An opaque position from ``next_cursor``; loads as the keyset tuple (or int)."""

    def __init__(self, arity: int = 1, **kwargs: Any) -> None:
        self.arity = arity
        metadata = {"description": "next_cursor of the previous page", "maxLength": 200}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > 200:
            raw = "!"  # not a cursor
        try:
            parts = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            parts = None
        if not (isinstance(parts, list) and len(parts) == self.arity and all(
                isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= MAX_ID
                for p in parts)):
            raise ValidationError(coded("page.bad_cursor",
                                        "Not a cursor from this list: start again without it",
                                        "无效的分页游标：请去掉它重新开始"))
        return tuple(parts) if self.arity > 1 else parts[0]


class Request(Schema):
    """A request body or query: unknown fields are refused."""

    class Meta:
        unknown = RAISE


class PageQuery(Request):
    limit = fields.Integer(load_default=DEFAULT_LIMIT,
                           validate=validate.Range(1, MAX_LIMIT),
                           metadata={"description": f"page size, at most {MAX_LIMIT}"})
    cursor = Cursor()


def page_schema(item: type[Schema], name: str, **extra: fields.Field) -> type[Schema]:
    """``{"items": [...], "next_cursor": "…" | null}`` (plus ``extra`` fields)."""
    attrs: dict[str, Any] = {
        "items": fields.List(fields.Nested(item), required=True),
        "next_cursor": fields.String(required=True, allow_none=True, metadata={
            "description": "pass as ?cursor= for the next page; null on the last page"}),
        **extra,
    }
    return type(name, (Schema,), attrs)


def page_body(page: Any, **extra: Any) -> dict[str, Any]:
    return {"items": list(page.items), "next_cursor": encode_cursor(page.next), **extra}


def labels(**kwargs: Any) -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=[validate.Length(1, 10), _no_control]),
                       values=fields.String(validate=[validate.Length(0, 200), _no_control]),
                       validate=validate.Length(max=10),
                       metadata={"example": {"zh": "总仓", "en": "Main warehouse"}}, **kwargs)


class KeyConverter(BaseConverter):
    """``<key:name>`` in a route: a definition's or template's key — a letter, then
    letters, digits or ``_`` (at most 63). Anything else matches no route (404)."""

    regex = r"[A-Za-z][A-Za-z0-9_]{0,62}"
    openapi = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_]{0,62}$",
               "example": "transfer"}


# stock locks (GET /stock/locks) ---------------------------------------------------------

class LocationLockOut(Schema):
    count_id = fields.Integer(required=True, metadata={"description": "the open count"})
    location_id = fields.Integer(required=True)
    location_code = fields.String(required=True, metadata={"example": "S1"})
    location_name = fields.String(required=True)
    since = fields.DateTime(required=True, metadata={"description": "when the count opened"})
    document_id = fields.Integer(allow_none=True, metadata={
        "description": "the stocktake document that locked it (null: opened otherwise)"})


LocationLockPage = page_schema(LocationLockOut, "LocationLockPage")
