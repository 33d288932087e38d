"""Form JSON → :class:`~.spec.FormSpec`.

:func:`build_form` expects JSON that :mod:`.checking` has already accepted (shape
and meaning); use :func:`~.loading.load_form` to go from untrusted JSON to a
FormSpec. :func:`parse_bound` is shared with the checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from .spec import (
    DECIMAL_KINDS,
    Bound,
    Field,
    FieldKind,
    FormSpec,
    Label,
    Link,
    Option,
    ResultKind,
    Validation,
)
from .values import Issue, parse_date, parse_datetime, parse_decimal

Json = Mapping[str, Any]


def parse_bound(f: Json, raw: Any) -> Bound | None:
    """A min/max of the field ``f`` (JSON) as a typed bound; None when it is not valid."""
    kind = _bound_kind(f)
    if kind in DECIMAL_KINDS:
        value: Any = parse_decimal(Decimal(repr(raw)) if isinstance(raw, float) else raw)
    elif kind is FieldKind.DATE:
        value = parse_date(raw)
    elif kind is FieldKind.DATETIME:
        value = parse_datetime(raw)
        day = parse_date(raw)
        if isinstance(value, Issue) and not isinstance(day, Issue):
            value = datetime.combine(day, datetime.min.time())
    else:
        return None
    return None if isinstance(value, Issue) else value


def _bound_kind(f: Json) -> FieldKind | None:
    kind = f.get("type")
    if kind == "formula":
        return FieldKind.NUMBER if f.get("result", "number") == "number" else None
    return FieldKind(kind) if isinstance(kind, str) and kind in set(FieldKind) else None


def build_label(data: Json) -> Label:
    return Label(zh=data["zh"], en=data["en"])


def build_field(data: Json) -> Field:
    kind = FieldKind(data["type"])
    return Field(
        key=data["key"], kind=kind, label=build_label(data["label"]),
        required=bool(data.get("required", False)), default=data.get("default"),
        minimum=_bound(data, "min"), maximum=_bound(data, "max"),
        precision=data.get("precision"), unique=bool(data.get("unique", False)),
        help=build_label(data["help"]) if "help" in data else None,
        max_length=data.get("max_length"),
        options=tuple(Option(o["value"], build_label(o["label"])) for o in data.get("options", ())),
        fields=tuple(build_field(child) for child in data.get("fields", ())),
        totals=tuple(data.get("totals", ())), pattern=data.get("pattern"),
        expression=data.get("expression"),
        result=_result(data) if kind is FieldKind.FORMULA else None,
        link=_link(data) if kind is FieldKind.LINKED else None,
    )  # fmt: skip


def _bound(data: Json, name: str) -> Bound | None:
    return parse_bound(data, data[name]) if name in data else None


def _result(data: Json) -> ResultKind:
    return ResultKind(data.get("result", "number"))


def _link(data: Json) -> Link:
    return Link(data["form"], tuple(data.get("display", ())), data.get("filter"))


def build_form(data: Json) -> FormSpec:
    """The FormSpec of checked, current-version form JSON."""
    validations = data.get("validations", "")
    return FormSpec(
        key=data["key"], version=data["version"], labels=build_label(data["labels"]),
        fields=tuple(build_field(f) for f in data["fields"]),
        validation_text=validations if isinstance(validations, str) else "",
        validations=tuple(_validations(validations)),
        schema_version=data.get("schema_version", 1),
    )  # fmt: skip


def _validations(raw: Any) -> list[Validation]:
    if isinstance(raw, str):
        return []
    return [Validation(v["condition"], v["message"]) for v in raw]
