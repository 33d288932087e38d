"""A FormSpec compiled to a JSON Schema (draft 2020-12) of its documents.

The schema describes the *shape* a client sends: decimals as strings matching
``-?digits[.digits]`` or JSON numbers, dates as ``YYYY-MM-DD`` strings (format
``date``), date-times as local ``YYYY-MM-DDTHH:MM[:SS]`` strings, references as
text or integers, subforms as arrays of row objects, attachments as arrays of
file metadata, no unknown properties. Formula fields and ``_totals`` are
``readOnly`` and accept anything (their submitted values are ignored).

``minimum``/``maximum`` are included for clients (as integers, or as JSON numbers
when the bound has decimals); :func:`~.documents.validate_document` checks bounds,
precision and floats exactly on the parsed Decimal values instead.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from .spec import (
    CHOICE_KINDS,
    DECIMAL_KINDS,
    REF_KINDS,
    TEXT_KINDS,
    TOTALS_KEY,
    Field,
    FieldKind,
    FormSpec,
)
from .values import (
    ATTACHMENT_KEYS,
    DATE_PATTERN,
    DATETIME_PATTERN,
    DECIMAL_PATTERN,
    MAX_DECIMAL_LENGTH,
    MAX_REF_LENGTH,
    parse_date,
)

Schema = dict[str, Any]
DIALECT = "https://json-schema.org/draft/2020-12/schema"

_ATTACHMENT: Schema = {
    "type": "object",
    "required": sorted(ATTACHMENT_KEYS),
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "size": {"type": "integer", "minimum": 0},
        "content_type": {"type": "string", "minLength": 1},
        "storage_key": {"type": "string", "minLength": 1},
    },
}


def document_schema(spec: FormSpec, *, partial: bool = False, bounds: bool = True) -> Schema:
    """The JSON Schema of a document of ``spec``; ``partial`` drops every ``required``.

    ``bounds=False`` leaves out ``minimum``/``maximum`` (the engine checks them exactly).
    """
    schema = _object(spec.fields, partial, bounds)
    schema["properties"][TOTALS_KEY] = {"readOnly": True}
    return {"$schema": DIALECT, "title": spec.labels.en, **schema}


def _object(fields: tuple[Field, ...], partial: bool, bounds: bool) -> Schema:
    required = [] if partial else [f.key for f in fields if _enforced(f)]
    out: Schema = {
        "type": "object",
        "properties": {f.key: field_schema(f, partial, bounds) for f in fields},
        "additionalProperties": False,
    }
    if required:
        out["required"] = required
    return out


def _enforced(f: Field) -> bool:
    return f.required and f.kind not in (FieldKind.FORMULA, FieldKind.SERIAL)


def field_schema(f: Field, partial: bool, bounds: bool = True) -> Schema:
    """The schema of one field's value."""
    if f.kind is FieldKind.FORMULA:
        return {"title": f.label.en, "readOnly": True}
    must = _enforced(f) and not partial
    out = _value_schema(f, must, partial, bounds)
    out["title"] = f.label.en
    if f.help:
        out["description"] = f.help.en
    if not must:
        out = {"anyOf": [{"type": "null"}, out]} if "enum" in out else _nullable(out)
    return out


def _nullable(schema: Schema) -> Schema:
    kinds = schema["type"]
    schema["type"] = [*kinds, "null"] if isinstance(kinds, list) else [kinds, "null"]
    return schema


def _value_schema(f: Field, must: bool, partial: bool, bounds: bool) -> Schema:
    kind = f.kind
    if kind in TEXT_KINDS:
        text: Schema = {"type": "string"}
        if f.max_length is not None:
            text["maxLength"] = f.max_length
        return {**text, "minLength": 1} if must else text
    if kind in DECIMAL_KINDS:
        return _decimal(f, bounds)
    if kind is FieldKind.DATE:
        return {"type": "string", "format": "date", "pattern": DATE_PATTERN}
    if kind is FieldKind.DATETIME:
        return {"type": "string", "pattern": DATETIME_PATTERN}
    if kind in CHOICE_KINDS:
        return _choices(f, must)
    if kind is FieldKind.CHECKBOX:
        return {"type": "boolean"}
    if kind in REF_KINDS:
        return {"type": ["string", "integer"], "minLength": 1, "maxLength": MAX_REF_LENGTH}
    if kind is FieldKind.ATTACHMENT:
        return _array(_ATTACHMENT, must)
    if kind is FieldKind.SUBFORM:
        return _array(_object(f.fields, partial, bounds), must)
    raise AssertionError(f"no document schema for {kind}")


def _decimal(f: Field, bounds: bool) -> Schema:
    out: Schema = {"type": ["string", "number"], "pattern": DECIMAL_PATTERN,
                   "maxLength": MAX_DECIMAL_LENGTH}  # fmt: skip
    if not bounds:
        return out
    for name, bound in (("minimum", f.minimum), ("maximum", f.maximum)):
        if isinstance(bound, Decimal):
            out[name] = int(bound) if bound == bound.to_integral_value() else float(bound)
    return out


def _choices(f: Field, must: bool) -> Schema:
    values = list(f.option_values)
    if f.kind is FieldKind.SELECT:
        return {"enum": values}
    return _array({"enum": values}, must) | {"uniqueItems": True}


def _array(items: Schema, must: bool) -> Schema:
    out: Schema = {"type": "array", "items": items}
    return {**out, "minItems": 1} if must else out


def _is_date(value: object) -> bool:
    return not isinstance(value, str) or isinstance(parse_date(value), date)


FORMATS = FormatChecker(formats=())
FORMATS.checks("date")(_is_date)


def document_validator(spec: FormSpec, *, partial: bool) -> Draft202012Validator:
    """A validator of the document shape (no bounds), with a strict ``date`` format check."""
    schema = document_schema(spec, partial=partial, bounds=False)
    return Draft202012Validator(schema, format_checker=FORMATS)
