"""Every example in docs/forms.md runs, and its error-code table matches the catalog.

Blocks: ```json form``` (must load clean), ```json document``` (validated against the
form above it), ```json problems``` (the code and path of each problem of the document
above it; a document without one must be clean).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.forms import CATALOG, FormSpec, load_form, validate_document
from engine.rules import EvalContext

DOC = Path(__file__).resolve().parents[3] / "docs" / "forms.md"
TEXT = DOC.read_text("utf-8")
FENCE = re.compile(r"^```json (form|document|problems)\n(.*?)^```", re.M | re.S)
CTX = EvalContext(today=date(2026, 1, 15), now=datetime(2026, 1, 15, 9))


def blocks() -> list[tuple[str, Any, int]]:
    return [(m.group(1), json.loads(m.group(2)), TEXT.count("\n", 0, m.start()) + 1)
            for m in FENCE.finditer(TEXT)]  # fmt: skip


def cases() -> list[tuple[dict[str, Any], Any, list[Any], int]]:
    found: list[tuple[dict[str, Any], Any, list[Any], int]] = []
    form: dict[str, Any] = {}
    for kind, body, line in blocks():
        if kind == "form":
            form = body
        elif kind == "document":
            found.append((form, body, [], line))
        else:
            assert found and not found[-1][2], f"problems without a document at line {line}"
            found[-1] = (*found[-1][:2], body, found[-1][3])
    return found


FORMS = [(body, line) for kind, body, line in blocks() if kind == "form"]
CASES = cases()


def test_the_page_has_examples() -> None:
    assert len(FORMS) >= 2 and len(CASES) >= 3


@pytest.mark.parametrize(("form", "line"), FORMS, ids=[f"line{n}" for _, n in FORMS])
def test_form_examples_load(form: dict[str, Any], line: int) -> None:
    loaded = load_form(form)
    assert loaded.problems == (), [str(p) for p in loaded.problems]


@pytest.mark.parametrize(("form", "document", "expected", "line"), CASES,
                         ids=[f"line{c[3]}" for c in CASES])  # fmt: skip
def test_document_examples(form: dict[str, Any], document: Any, expected: list[Any], line: int) -> None:
    spec: FormSpec = load_form(form).require()
    got = [{"code": p.code, "path": p.source.path} for p in validate_document(spec, document, ctx=CTX)]
    assert got == expected


def test_every_code_is_documented_and_every_documented_code_exists() -> None:
    documented = set(re.findall(r"^\| `(forms\.[a-z_]+)` \|", TEXT, re.M))
    assert documented == set(CATALOG)


def test_every_field_type_is_documented() -> None:
    from engine.forms import FieldKind

    for kind in FieldKind:
        assert f"`{kind.value}`" in TEXT, kind
