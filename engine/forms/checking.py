"""Checking form JSON when it is saved: the shipped JSON Schema first, then meaning.

:func:`schema_problems` checks the shape against ``form.schema.json`` and maps each
jsonschema error to a :class:`~engine.errors.Problem` whose ``source.path`` is a
JSON path such as ``fields[2].options``. :func:`structure_problems` runs on
schema-valid JSON: each check is a small generator yielding problems (duplicate
keys, options, bounds, precision, totals, serial patterns, defaults). Formulas,
validations and filters need the rules language and are checked in
:mod:`.compiling` once the FormSpec is built.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaError

from engine.errors import Problem
from engine.jsonformat import json_path, leaf_errors, packaged_schema, packaged_validator

from .building import build_field, parse_bound
from .messages import make
from .serial import PatternError, parse_pattern
from .spec import MAX_PRECISION, FieldKind
from .values import Issue, is_empty, parse_scalar

Json = Mapping[str, Any]

_COMMON = {"key", "type", "label", "help", "required", "default", "unique"}
_NO_INPUT = {"required", "default", "unique"}
APPLICABLE: Mapping[FieldKind, frozenset[str]] = {
    kind: frozenset(_COMMON | extra) - removed
    for kind, extra, removed in [
        (FieldKind.TEXT, {"max_length"}, set()),
        (FieldKind.TEXTAREA, {"max_length"}, set()),
        (FieldKind.BARCODE, {"max_length"}, set()),
        (FieldKind.NUMBER, {"min", "max", "precision"}, set()),
        (FieldKind.MONEY, {"min", "max", "precision"}, set()),
        (FieldKind.DATE, {"min", "max"}, set()),
        (FieldKind.DATETIME, {"min", "max"}, set()),
        (FieldKind.SELECT, {"options"}, set()),
        (FieldKind.MULTISELECT, {"options"}, set()),
        (FieldKind.CHECKBOX, set(), set()),
        (FieldKind.MEMBER, set(), set()),
        (FieldKind.DEPARTMENT, set(), set()),
        (FieldKind.ITEM, set(), set()),
        (FieldKind.LOCATION, set(), set()),
        (FieldKind.BATCH, set(), set()),
        (FieldKind.LINKED, {"form", "display", "filter"}, set()),
        (FieldKind.SUBFORM, {"fields", "totals"}, {"default", "unique"}),
        (FieldKind.SERIAL, {"pattern"}, _NO_INPUT - {"unique"}),
        (FieldKind.ATTACHMENT, set(), {"default", "unique"}),
        (FieldKind.FORMULA, {"expression", "result", "precision"}, _NO_INPUT),
    ]
}  # fmt: skip


SCHEMA = ("engine.forms", "form.schema.json")


def form_schema() -> dict[str, Any]:
    """The JSON Schema of the form format, shipped in the package."""
    return packaged_schema(*SCHEMA)


# -- shape ----------------------------------------------------------------------------


def schema_problems(data: Json) -> list[Problem]:
    errors = leaf_errors(packaged_validator(*SCHEMA), data)
    found = [p for e in errors for p in _from_schema_error(e)]
    return list({(p.code, p.source.path, p.message.en): p for p in found}.values())


def _from_schema_error(error: SchemaError) -> list[Problem]:
    parts = list(error.absolute_path)
    keyword, value = str(error.validator), error.instance
    if keyword == "enum" and parts and parts[-1] == "type" and isinstance(value, str):
        close = difflib.get_close_matches(value, [k.value for k in FieldKind], n=3)
        listed = ", ".join(f"'{c}'" for c in close)
        return [make("forms.unknown_type", json_path(parts), found=value,
                     suggest_en=f"Did you mean {listed}?" if close else "",
                     suggest_zh=f"您是不是要写 {listed}？" if close else "")]  # fmt: skip
    if keyword in ("required", "additionalProperties"):
        return [_named(keyword, [*parts, name]) for name in _names(error, keyword)]
    en, zh = _describe(error, keyword)
    return [make("forms.schema", json_path(parts) or "$", detail=en, detail_zh=zh)]


def _named(keyword: str, parts: list[Any]) -> Problem:
    name = parts[-1]
    if keyword == "required":
        en, zh = f"'{name}' is missing.", f"缺少 '{name}'。"
    else:
        en, zh = f"'{name}' is not a known option.", f"'{name}' 不是已知的设置项。"
    return make("forms.schema", json_path(parts), detail=en, detail_zh=zh)


def _names(error: SchemaError, keyword: str) -> list[str]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    if keyword == "required":
        return [k for k in error.validator_value if k not in instance]
    allowed = error.schema.get("properties", {})
    return [str(k) for k in instance if k not in allowed]


def _describe(error: SchemaError, keyword: str) -> tuple[str, str]:
    if keyword == "pattern" and str(error.validator_value).startswith("^[a-z]"):
        return (f"{error.instance!r} is not a valid key: use lower-case letters, digits and _, "
                "starting with a letter.",
                f"{error.instance!r} 不是有效的标识：请用小写字母、数字和下划线，并以字母开头。")  # fmt: skip
    return f"{error.message}.", f"格式不符合要求：{error.message}。"


# -- meaning ----------------------------------------------------------------------------


def structure_problems(data: Json) -> list[Problem]:
    """Problems of schema-valid form JSON that need no rules language."""
    return list(_field_list(data["fields"], ["fields"], nested=False))


def _field_list(fields: list[Json], path: list[str | int], *, nested: bool) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, f in enumerate(fields):
        here = [*path, index]
        if f["key"] in seen:
            yield make("forms.duplicate_key", json_path([*here, "key"]), key=f["key"])
        seen.add(f["key"])
        yield from _one_field(f, here, nested=nested)


def _one_field(f: Json, path: list[str | int], *, nested: bool) -> Iterator[Problem]:
    kind = FieldKind(f["type"])
    before = 0
    for check in (_applicable, _options, _precision, _bounds, _serial, _subform):
        for found in check(f, kind, path, nested):
            before += 1
            yield found
    if before == 0:
        yield from _default(f, kind, path)


def _applicable(f: Json, kind: FieldKind, path: list[str | int], nested: bool) -> Iterator[Problem]:
    for option in f:
        if option not in APPLICABLE[kind]:
            yield make("forms.not_applicable", json_path([*path, option]), option=option, kind=kind.value)


def _options(f: Json, kind: FieldKind, path: list[str | int], nested: bool) -> Iterator[Problem]:
    if kind not in (FieldKind.SELECT, FieldKind.MULTISELECT):
        return
    options = f.get("options", [])
    if not options:
        yield make("forms.no_options", json_path([*path, "options"]), kind=kind.value, key=f["key"])
    seen: set[str] = set()
    for index, option in enumerate(options):
        if option["value"] in seen:
            yield make("forms.duplicate_option", json_path([*path, "options", index, "value"]),
                       value=option["value"])  # fmt: skip
        seen.add(option["value"])


def _precision(f: Json, kind: FieldKind, path: list[str | int], nested: bool) -> Iterator[Problem]:
    places = f.get("precision")
    if places is not None and not 0 <= places <= MAX_PRECISION:
        yield make("forms.bad_precision", json_path([*path, "precision"]), found=places,
                   limit=MAX_PRECISION)  # fmt: skip


def _bounds(f: Json, kind: FieldKind, path: list[str | int], nested: bool) -> Iterator[Problem]:
    parsed: dict[str, Any] = {}
    for name in ("min", "max"):
        if name in f and name in APPLICABLE[kind]:
            parsed[name] = parse_bound(f, f[name])
            if parsed[name] is None:
                yield make("forms.bad_bound", json_path([*path, name]), found=str(f[name])[:40],
                           option=name, kind=kind.value)  # fmt: skip
    low, high = parsed.get("min"), parsed.get("max")
    if low is not None and high is not None and low > high:
        yield make("forms.min_above_max", json_path([*path, "min"]), minimum=f["min"],
                   maximum=f["max"])  # fmt: skip


def _serial(f: Json, kind: FieldKind, path: list[str | int], nested: bool) -> Iterator[Problem]:
    if kind is not FieldKind.SERIAL:
        return
    try:
        parse_pattern(f["pattern"])
    except PatternError as error:
        yield make("forms.bad_serial_pattern", json_path([*path, "pattern"]),
                   reason=error.en, reason_zh=error.zh)  # fmt: skip


def _subform(f: Json, kind: FieldKind, path: list[str | int], nested: bool) -> Iterator[Problem]:
    if kind is not FieldKind.SUBFORM:
        return
    if nested:
        yield make("forms.nested_subform", json_path([*path, "type"]))
        return
    yield from _field_list(f["fields"], [*path, "fields"], nested=True)
    columns = {c["key"]: c for c in f["fields"]}
    for index, name in enumerate(f.get("totals", [])):
        yield from _total(columns.get(name), name, [*path, "totals", index])


def _total(column: Json | None, name: str, path: list[str | int]) -> Iterator[Problem]:
    if column is None:
        yield make("forms.bad_total", json_path(path), column=name,
                   reason="there is no such column", reason_zh="没有这一列")  # fmt: skip
    elif column["type"] not in ("number", "money") and not (
        column["type"] == "formula" and column.get("result", "number") == "number"
    ):
        yield make("forms.bad_total", json_path(path), column=name,
                   reason=f"it is a {column['type']} column", reason_zh=f"它是 {column['type']} 列")  # fmt: skip


def _default(f: Json, kind: FieldKind, path: list[str | int]) -> Iterator[Problem]:
    if "default" not in f or is_empty(f["default"]) or kind is FieldKind.SUBFORM:
        return
    built = build_field(f)
    value = parse_scalar(built, f["default"])
    if isinstance(value, Issue):
        issue = make(value.code, None, label=built.label, **value.params)
        yield make("forms.bad_default", json_path([*path, "default"]),
                   detail=issue.message.en, detail_zh=issue.message.zh)  # fmt: skip
