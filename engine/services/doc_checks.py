"""What a document's fields promise across documents: ``unique`` values and linked
records.

**Unique.** A document that is submitted (in approval or approved) holds each value
of its ``unique`` top-level fields in ``document_unique_values``, whose primary key
(tenant, form, field, value) lets one document hold a value at a time. The row is
written in the submit transaction — of two concurrent submits of one value, the
second waits for the first and fails once it commits (409
``document.not_unique``, ``source.path`` the field). Edits at a node move the rows
along; ending withdrawn, rejected or cancelled gives the values back.

**Linked records.** A ``linked`` field — top-level or a subform column — holds the id
of a document of the link's form in the same tenant. At submit (and when a node edits it) the record must exist,
be approved, and satisfy the link's ``filter`` — a rules-language condition over the
linked document's fields — or the submit is refused (422
``document.bad_link``, ``source.path`` the field). Reads show the linked record's
``display`` fields under ``links``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from engine.errors import Conflict, EngineError, Problem, ValidationError, problem
from engine.forms import Field, FieldKind, FormScope, FormSpec, check_document
from engine.rules import compile_expression
from engine.services import definitions as defs
from engine.services.doc_support import eval_context
from engine.store.doc_repo import DocRepo
from engine.store.doc_tables import Document
from engine.store.uow import UnitOfWork

MAX_VALUE = 255
RELEASED = frozenset({"withdrawn", "rejected", "cancelled"})


# unique ----------------------------------------------------------------------------------

def unique_fields(form: FormSpec) -> tuple[Field, ...]:
    return tuple(f for f in form.fields if f.unique)


def canonical(value: Any) -> str | None:
    """The stored text of a JSON field value (None: empty, nothing to hold)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int):
        text = str(value)
    else:
        text = json.dumps(sorted(value) if isinstance(value, list) else value,
                          sort_keys=True, ensure_ascii=False, default=str)
    if len(text) > MAX_VALUE:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def hold_unique(uow: UnitOfWork, doc: Document, form: FormSpec, data: Mapping[str, Any]
                ) -> None:
    """Hold the document's unique values (moving the rows of values that changed)."""
    fields = unique_fields(form)
    if not fields:
        return
    repo = DocRepo(uow.session)
    wanted = {f.key: v for f in fields if (v := canonical(data.get(f.key))) is not None}
    have = repo.unique_values(doc.tenant_id, doc.id)
    repo.release_unique(doc.tenant_id, doc.id, [k for k, v in have.items()
                                                if wanted.get(k) != v])
    for f in fields:
        value = wanted.get(f.key)
        if value is None or have.get(f.key) == value:
            continue
        if not repo.claim_unique(doc.tenant_id, doc.form_key, f.key, value, doc.id):
            shown = str(data.get(f.key))[:100]
            raise Conflict.of(
                "document.not_unique",
                f"'{f.label.en}' must be unique: another document already has '{shown}'; "
                "use another value", f"'{f.label.zh}' 不能重复：已有单据使用了 '{shown}'，"
                "请换一个值", form=doc.form_key, path=f.key)


def release_unique(uow: UnitOfWork, doc: Document, form: FormSpec, status: str) -> None:
    """A document ending withdrawn, rejected or cancelled gives its values back (called
    before the action posts, so that nothing is written after balances are locked)."""
    if status in RELEASED and unique_fields(form):
        DocRepo(uow.session).release_unique(doc.tenant_id, doc.id)


# linked records --------------------------------------------------------------------------

def _is_link(f: Field) -> bool:
    return f.kind is FieldKind.LINKED and f.link is not None


def linked_values(form: FormSpec, data: Mapping[str, Any], only: Iterable[str] | None = None
                  ) -> list[tuple[str, Field, Any]]:  # fmt: skip
    """``(path, field, value)`` of every non-empty linked value: ``supplier``, and
    ``lines[2].order`` for a linked column; ``only`` limits it to those top-level keys."""
    keys = None if only is None else set(only)
    found: list[tuple[str, Field, Any]] = []
    for f in form.fields:
        if keys is not None and f.key not in keys:
            continue
        if _is_link(f) and data.get(f.key) not in (None, ""):
            found.append((f.key, f, data[f.key]))
        columns = [c for c in f.fields if _is_link(c)]
        rows = data.get(f.key) if columns else None
        for index, row in enumerate(rows if isinstance(rows, list) else []):
            if not isinstance(row, Mapping):
                continue
            for c in columns:
                if row.get(c.key) not in (None, ""):
                    found.append((f"{f.key}[{index}].{c.key}", c, row[c.key]))
    return found


def _record_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value) or None
    return None


def check_links(uow: UnitOfWork, tenant_id: int, form: FormSpec, data: Mapping[str, Any],
                now: datetime, only: Iterable[str] | None = None) -> None:
    """Refuse linked values — top-level or in subform rows — that name no approved
    record of the link's form, or one its filter rules out (422, every problem with
    its path, ``lines[2].order`` for a column)."""
    wanted = linked_values(form, data, only)
    if not wanted:
        return
    found = DocRepo(uow.session).documents_by_ids(
        tenant_id, {i for _, _, v in wanted if (i := _record_id(v)) is not None})
    problems: list[Problem] = []
    for path, f, value in wanted:
        assert f.link is not None
        record = found.get(_record_id(value) or 0)
        if record is None or record.form_key != f.link.form or record.status != "approved":
            problems.append(_bad_link(f, value, form.key, path))
        elif f.link.filter and not _passes(uow, record, f.link.filter, now):
            problems.append(_bad_link(f, value, form.key, path, filtered=True))
    if problems:
        raise ValidationError(problems)


def _bad_link(f: Field, value: Any, form_key: str, path: str, *, filtered: bool = False
              ) -> Problem:  # fmt: skip
    assert f.link is not None
    shown, other = str(value)[:40], f.link.form
    if filtered:
        return problem("document.bad_link", f"'{f.label.en}': record {shown} of '{other}' is "
                       "not one this field offers (its filter rules it out)",
                       f"'{f.label.zh}'：'{other}' 的记录 {shown} 不符合该字段的筛选条件",
                       form=form_key, path=path)
    return problem("document.bad_link", f"'{f.label.en}' must name an approved record of "
                   f"'{other}': there is none with id {shown}",
                   f"'{f.label.zh}' 应为 '{other}' 中已通过的记录：没有 id 为 {shown} 的记录",
                   form=form_key, path=path)


def _passes(uow: UnitOfWork, record: Document, condition: str, now: datetime) -> bool:
    try:
        bundle = defs.bundle(uow, record.tenant_id, record.form_key,
                             form_version=record.form_version, pinned=True)
        ctx = eval_context(uow, record.tenant_id, now)
        values = check_document(bundle.form, record.data, partial=True, ctx=ctx,
                                constants=bundle.constants).values
        key = f"link filter: {condition}"
        expr = bundle.conditions.get(key)
        if expr is None:
            expr = bundle.conditions[key] = compile_expression(
                condition, FormScope.of(bundle.form, bundle.constants), name="filter")
        return bool(expr.evaluate(values, ctx))
    except EngineError:
        return False


def links_of(uow: UnitOfWork, tenant_id: int, form: FormSpec,
             pairs: Iterable[tuple[int, Mapping[str, Any]]]) -> dict[int, dict[str, Any]]:
    """Per document id and linked value's path (``supplier``, ``lines[2].order``): its
    record (id, form, serial, status) with its display fields; a value that names no
    record of the link's form shows null."""
    per_doc = [(doc_id, linked_values(form, data)) for doc_id, data in pairs]
    ids = {i for _, values in per_doc for _, _, v in values if (i := _record_id(v)) is not None}
    if not ids and not any(values for _, values in per_doc):
        return {}
    found = DocRepo(uow.session).documents_by_ids(tenant_id, ids)
    out: dict[int, dict[str, Any]] = {}
    for doc_id, values in per_doc:
        shown: dict[str, Any] = {}
        for path, f, value in values:
            assert f.link is not None
            record = found.get(_record_id(value) or 0)
            if record is None or record.form_key != f.link.form:
                shown[path] = None
                continue
            shown[path] = {"id": record.id, "form": record.form_key, "serial": record.serial,
                           "status": record.status,
                           "display": {k: record.data.get(k) for k in f.link.display}}
        out[doc_id] = shown
    return out
