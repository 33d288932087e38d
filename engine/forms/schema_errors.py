"""jsonschema errors on a document → friendly, located :class:`Problem` values.

Paths read like ``lines[3].qty`` (never JSON pointers) and messages name the
field's label in each language. Bounds are not mapped here: they are checked
exactly on Decimal values by :mod:`.normalize`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaError

from engine.errors import Problem
from engine.jsonformat import leaf_errors

from .messages import make
from .normalize import Where, unknown_problem, where_of
from .spec import (
    CHOICE_KINDS,
    DECIMAL_KINDS,
    REF_KINDS,
    TEXT_KINDS,
    Field,
    FieldKind,
    FormSpec,
)
from .values import Issue, wrong_type

_EXPECTED_BY_KIND: Mapping[FieldKind, str] = {
    **{k: "text" for k in TEXT_KINDS},
    **{k: "decimal" for k in DECIMAL_KINDS},
    **{k: "ref" for k in REF_KINDS},
    FieldKind.DATE: "date", FieldKind.DATETIME: "datetime", FieldKind.SELECT: "choice",
    FieldKind.MULTISELECT: "choices", FieldKind.CHECKBOX: "boolean", FieldKind.SUBFORM: "rows",
}  # fmt: skip


def schema_problems(spec: FormSpec, validator: Any, document: Any) -> list[Problem]:
    """The document's shape problems, one per cause."""
    found: list[Problem] = []
    for error in leaf_errors(validator, document, drop=_is_null_branch):
        found.extend(_problems(spec, error))
    return found


def _is_null_branch(error: SchemaError) -> bool:
    return str(error.validator) == "type" and error.validator_value == "null"


def _problems(spec: FormSpec, error: SchemaError) -> Iterator[Problem]:
    parts = list(error.absolute_path)
    keyword = str(error.validator)
    at, f = where_of(spec, parts)
    if f is not None and f.kind is FieldKind.ATTACHMENT:
        yield make("forms.bad_attachment", at.path, form=spec.key, label=at.label)
        return
    if keyword == "required":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        for key in error.validator_value:
            if key not in instance:
                at, _ = where_of(spec, [*parts, key])
                yield make("forms.required", at.path, form=spec.key, label=at.label)
        return
    if keyword == "additionalProperties":
        allowed = error.schema.get("properties", {})
        known = set(allowed)
        for key in error.instance:
            if key not in known:
                yield unknown_problem(spec, key, known, at)
        return
    issue = _issue(f, at, parts, keyword, error)
    if issue is not None:
        yield make(issue.code, at.path or "$", form=spec.key, label=at.label, **issue.params)


def _issue(f: Field | None, at: Where, parts: list[Any], keyword: str,
           error: SchemaError) -> Issue | None:  # fmt: skip
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return None
    if f is None:
        return Issue("forms.not_an_object")
    if f.kind is FieldKind.SUBFORM and parts and isinstance(parts[-1], int):
        return Issue("forms.not_an_object")  # a row that is not an object
    if keyword == "type" and error.instance is None or keyword in ("minLength", "minItems"):
        return Issue("forms.required")
    return _value_issue(f, keyword, error)


def _value_issue(f: Field, keyword: str, error: SchemaError) -> Issue:
    found = str(error.instance)[:40]
    if keyword == "maxLength" and f.kind in TEXT_KINDS:
        return Issue("forms.too_long", {"limit": error.validator_value})
    if keyword in ("pattern", "maxLength") and f.kind in DECIMAL_KINDS:
        return Issue("forms.not_a_number", {"found": found})
    if keyword in ("pattern", "format") and f.kind is FieldKind.DATE:
        return Issue("forms.bad_date", {"found": found})
    if keyword == "pattern" and f.kind is FieldKind.DATETIME:
        return Issue("forms.bad_datetime", {"found": found})
    if keyword == "enum" and f.kind in CHOICE_KINDS:
        choices = ", ".join(f.option_values[:20])
        return Issue("forms.not_an_option", {"found": found, "choices": choices})
    if keyword == "uniqueItems":
        return Issue("forms.repeated_choice")
    return wrong_type(_EXPECTED_BY_KIND.get(f.kind, "text"))
