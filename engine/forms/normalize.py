"""A submitted document → typed values, with every problem located.

:func:`normalize` never raises on user data. It returns :class:`Parsed`: the typed
document (``Decimal`` for number and money at the field's precision, ``date`` and
``datetime`` objects, lists for multiselect and attachments, a list of row dicts
per subform, ``None`` for empty fields — every declared field is present) and the
problems, whose ``source.path`` reads ``lines[3].qty``. Formula fields and
``_totals`` are skipped: they are computed (:mod:`.compute`), never taken from
the client. :func:`to_json` turns typed values back into document JSON.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from engine.errors import Problem

from .messages import make
from .spec import TOTALS_KEY, Field, FieldKind, FormSpec, Label
from .values import Issue, is_empty, parse_scalar, wrong_type


@dataclass(frozen=True, slots=True)
class Parsed:
    """The typed document and the problems found while parsing it."""

    values: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Where:
    """A place in a document: its path and the label that names it in messages."""

    path: str
    label: Label

    def child(self, f: Field) -> Where:
        return Where(f"{self.path}.{f.key}" if self.path else f.key, self.row_label(f.label))

    def row(self, index: int) -> Where:
        label = Label(zh=f"{self.label.zh}第 {index + 1} 行", en=f"row {index + 1} of {self.label.en}")
        return Where(f"{self.path}[{index}]", label)

    def row_label(self, label: Label) -> Label:
        if not self.path:
            return label
        return Label(zh=f"{self.label.zh}的{label.zh}", en=f"{label.en} ({self.label.en})")


def where_of(spec: FormSpec, parts: list[str | int]) -> tuple[Where, Field | None]:
    """The place and field of a path given as parts (``["lines", 3, "qty"]``)."""
    here, fields, found = Where("", spec.labels), spec.fields, None
    for part in parts:
        if isinstance(part, int):
            if found is None or found.kind is not FieldKind.SUBFORM:
                break
            here = here.row(part)
            continue
        nxt = next((f for f in fields if f.key == part), None)
        if nxt is None:
            break
        here, found, fields = here.child(nxt), nxt, nxt.fields
    return here, found


def normalize(spec: FormSpec, document: Any, *, partial: bool = False) -> Parsed:
    """Typed values of ``document``; ``partial`` (a draft) does not require fields."""
    problems: list[Problem] = []
    if not isinstance(document, Mapping):
        problems.append(make("forms.not_an_object", "$", form=spec.key, label=spec.labels))
        return Parsed(_record(spec, spec.fields, {}, Where("", spec.labels), True, []), problems)
    values = _record(spec, spec.fields, document, Where("", spec.labels), partial, problems)
    return Parsed(values, problems)


def _record(spec: FormSpec, fields: tuple[Field, ...], data: Mapping[Any, Any], here: Where,
            partial: bool, problems: list[Problem]) -> dict[str, Any]:  # fmt: skip
    known = {f.key for f in fields}
    for key in data:
        if key not in known and not (key == TOTALS_KEY and not here.path):
            problems.append(unknown_problem(spec, key, known, here))
    out: dict[str, Any] = {}
    for f in fields:
        at = here.child(f)
        raw = data.get(f.key)
        if f.kind is FieldKind.FORMULA:
            out[f.key] = None
        elif f.kind is FieldKind.SUBFORM:
            out[f.key] = _rows(spec, f, raw, at, partial, problems)
        else:
            out[f.key] = _scalar(spec, f, raw, at, partial, problems)
    return out


def unknown_problem(spec: FormSpec, key: Any, known: set[str], here: Where) -> Problem:
    name = str(key)[:100]
    close = difflib.get_close_matches(name, sorted(known), n=3)
    listed = ", ".join(f"'{c}'" for c in close)
    path = f"{here.path}.{name}" if here.path else name
    return make("forms.unknown_field", path, form=spec.key, label=here.label, key=name,
                suggest_en=f"Did you mean {listed}?" if close else "",
                suggest_zh=f"您是不是要写 {listed}？" if close else "")  # fmt: skip


def _scalar(spec: FormSpec, f: Field, raw: Any, at: Where, partial: bool,
            problems: list[Problem]) -> Any:  # fmt: skip
    if is_empty(raw):
        if required(f) and not partial:
            problems.append(make("forms.required", at.path, form=spec.key, label=at.label))
        return None
    value = parse_scalar(f, raw)
    if isinstance(value, Issue):
        problems.append(issue_problem(spec, value, at))
        return None
    return value


def required(f: Field) -> bool:
    """Whether a value must be given (serial and formula values are never given)."""
    return f.required and f.kind not in (FieldKind.FORMULA, FieldKind.SERIAL)


def issue_problem(spec: FormSpec, issue: Issue, at: Where) -> Problem:
    return make(issue.code, at.path, form=spec.key, label=at.label, **issue.params)


def _rows(spec: FormSpec, f: Field, raw: Any, at: Where, partial: bool,
          problems: list[Problem]) -> list[dict[str, Any]]:  # fmt: skip
    if is_empty(raw):
        if required(f) and not partial:
            problems.append(make("forms.required", at.path, form=spec.key, label=at.label))
        return []
    if not isinstance(raw, list):
        problems.append(issue_problem(spec, wrong_type("rows"), at))
        return []
    rows: list[dict[str, Any]] = []
    for index, row in enumerate(raw):
        place = at.row(index)
        if not isinstance(row, Mapping):
            problems.append(make("forms.not_an_object", place.path, form=spec.key, label=place.label))
            rows.append(_record(spec, f.fields, {}, place, True, problems))
            continue
        rows.append(_record(spec, f.fields, row, place, partial, problems))
    _unique_columns(spec, f, rows, at, problems)
    return rows


def _unique_columns(spec: FormSpec, f: Field, rows: list[dict[str, Any]], at: Where,
                    problems: list[Problem]) -> None:  # fmt: skip
    """A ``unique`` column of a subform: no two rows of the document share a value."""
    for column in (c for c in f.fields if c.unique):
        first: dict[Any, int] = {}
        for index, row in enumerate(rows):
            value = row.get(column.key)
            if value is None or value == []:
                continue
            key = tuple(sorted(map(str, value))) if isinstance(value, list) else value
            if key in first:
                place = at.row(index).child(column)
                problems.append(make("forms.repeated_in_rows", place.path, form=spec.key,
                                     label=place.label, first=first[key] + 1))  # fmt: skip
            else:
                first[key] = index


def with_defaults(spec: FormSpec, document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` with each missing field set to its default (also in every row)."""
    return _defaults(spec.fields, document)


def _defaults(fields: tuple[Field, ...], data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for f in fields:
        if f.key not in out and f.default is not None:
            out[f.key] = f.default
        if f.fields and isinstance(out.get(f.key), list):
            out[f.key] = [_defaults(f.fields, r) if isinstance(r, Mapping) else r
                          for r in out[f.key]]  # fmt: skip
    return out


def to_json(spec: FormSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values as document JSON: decimals as strings, dates as ISO text."""
    return {key: _json(value) for key, value in values.items()}


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value
