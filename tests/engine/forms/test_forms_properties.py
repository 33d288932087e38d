"""Property tests: any document gives problems, never an exception; documents built
from the form's own rules validate clean."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import Problem
from engine.forms import Field, FieldKind, FormSpec, check_document, load_form, validate_document
from engine.rules import EvalContext

GOLDEN = Path(__file__).parent / "golden"
SPECS = [load_form(json.loads((GOLDEN / n).read_text("utf-8"))).require()
         for n in ("purchase_in.form.json", "every_type.form.json")]  # fmt: skip
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 9))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.decimals(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["2026-01-15", "2026-02-30", "12.50", "-1", "1e9", "red", "a", "08:30"]),
)  # fmt: skip
anything = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),  # fmt: skip
    max_leaves=20,
)


def field_keys(spec: FormSpec) -> st.SearchStrategy[str]:
    keys = [f.key for f in spec.fields] + [c.key for f in spec.fields for c in f.fields]
    return st.sampled_from([*keys, "_totals", "zz"])


@st.composite
def messy_document(draw: st.DrawFn, spec: FormSpec) -> Any:
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return draw(anything)
    doc = draw(st.dictionaries(field_keys(spec), anything, max_size=8))
    for sub in spec.subforms:
        if draw(st.booleans()):
            rows = st.dictionaries(st.sampled_from([c.key for c in sub.fields] + ["x"]), anything, max_size=5)
            doc[sub.key] = draw(st.lists(st.one_of(rows, anything), max_size=3))
    return doc


@SETTINGS
@given(data=st.data(), partial=st.booleans())
def test_any_document_gives_problems_never_an_exception(data: st.DataObject, partial: bool) -> None:
    spec = data.draw(st.sampled_from(SPECS))
    problems = validate_document(spec, data.draw(messy_document(spec)), partial=partial, ctx=CTX)
    for p in problems:
        assert isinstance(p, Problem) and p.code.startswith("forms.")
        assert p.message.en and p.message.zh and p.source.form == spec.key


def decimal_text(f: Field) -> st.SearchStrategy[Any]:
    places = f.places if f.places is not None else 4
    low = f.minimum if isinstance(f.minimum, Decimal) else Decimal(-10**6)
    high = f.maximum if isinstance(f.maximum, Decimal) else Decimal(10**6)
    high = min(high, Decimal(99))  # keeps form-level totals within their validations
    values = st.decimals(min_value=low, max_value=high, places=places, allow_nan=False, allow_infinity=False)
    return st.one_of(values.map(lambda d: format(d, "f")), values)


def date_value(f: Field) -> st.SearchStrategy[str]:
    low = f.minimum if isinstance(f.minimum, date) else date(2020, 1, 1)
    high = f.maximum if isinstance(f.maximum, date) else date(2030, 12, 31)
    low, high = (d.date() if isinstance(d, datetime) else d for d in (low, high))
    days = st.integers(0, (high - low).days).map(lambda n: low + timedelta(days=n))
    if f.kind is FieldKind.DATE:
        return days.map(date.isoformat)
    return days.map(lambda d: f"{d.isoformat()}T08:30")


ATTACHMENT = {"name": "a.pdf", "size": 1, "content_type": "application/pdf", "storage_key": "k"}


def valid_value(f: Field) -> st.SearchStrategy[Any]:
    kind = f.kind
    if kind in (FieldKind.NUMBER, FieldKind.MONEY):
        return decimal_text(f)
    if kind in (FieldKind.DATE, FieldKind.DATETIME):
        return date_value(f)
    if kind is FieldKind.SELECT:
        return st.sampled_from(f.option_values)
    if kind is FieldKind.MULTISELECT:
        return st.lists(st.sampled_from(f.option_values), unique=True, min_size=1)
    if kind is FieldKind.CHECKBOX:
        return st.booleans()
    if kind is FieldKind.ATTACHMENT:
        return st.lists(st.just(ATTACHMENT), min_size=1, max_size=2)
    if kind is FieldKind.SUBFORM:
        return st.lists(valid_record(f.fields), min_size=1, max_size=4)
    if kind is FieldKind.FORMULA:
        return st.none()
    return st.text(min_size=1, max_size=f.max_length or 20)  # text kinds and references


def valid_record(fields: tuple[Field, ...]) -> st.SearchStrategy[dict[str, Any]]:
    required = {f.key: valid_value(f) for f in fields if f.required and f.kind is not FieldKind.FORMULA}
    optional = {f.key: valid_value(f) for f in fields if not f.required and f.kind is not FieldKind.FORMULA}
    return st.fixed_dictionaries(required, optional=optional)


@SETTINGS
@given(doc=valid_record(SPECS[0].fields))
def test_valid_purchase_documents_validate_clean(doc: dict[str, Any]) -> None:
    checked = check_document(SPECS[0], doc, ctx=CTX)
    assert checked.problems == []
    assert checked.values["total"] >= 0


@SETTINGS
@given(doc=valid_record(SPECS[1].fields), urgent=st.just(True))
def test_valid_documents_of_every_type_validate_clean(doc: dict[str, Any], urgent: bool) -> None:
    assert validate_document(SPECS[1], {**doc, "urgent": urgent}, ctx=CTX) == []
