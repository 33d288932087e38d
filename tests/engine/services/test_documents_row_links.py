"""Linked records and unique values in subform rows — on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from docworld import DocWorld

from engine.errors import ValidationError
from engine.services import definitions, doc_queries, documents
from engine.store import Store

SUPPLIER = {
    "schema_version": 1, "key": "supplier", "version": 1,
    "labels": {"zh": "供应商", "en": "Supplier"},
    "fields": [
        {"key": "name", "type": "text", "label": {"zh": "名称", "en": "Name"}},
        {"key": "active", "type": "checkbox", "default": True,
         "label": {"zh": "启用", "en": "Active"}},
    ],
}
QUOTE = {
    "schema_version": 1, "key": "quote_compare", "version": 1,
    "labels": {"zh": "比价单", "en": "Quote comparison"},
    "fields": [
        {"key": "quotes", "type": "subform", "label": {"zh": "报价", "en": "Quotes"},
         "fields": [
             {"key": "supplier", "type": "linked", "unique": True,
              "label": {"zh": "供应商", "en": "Supplier"}, "form": "supplier",
              "display": ["name"], "filter": "active == true"},
             {"key": "price", "type": "money", "label": {"zh": "单价", "en": "Price"}},
         ]},
    ],
}


@pytest.fixture
def w(store: Store) -> Iterator[DocWorld]:
    world = DocWorld(store)
    for key, body in (("supplier", SUPPLIER), ("quote_compare", QUOTE)):
        definitions.publish(store, world.tenant_id, "form", key, body=body)
    yield world
    world.check()


def supplier(w: DocWorld, name: str, active: bool = True) -> int:
    out = documents.submit_new(w.store, w.who("boss"), "supplier",
                               {"name": name, "active": active})
    return out.document.id


def quotes(*rows: tuple[Any, str]) -> dict[str, Any]:
    return {"quotes": [{"supplier": s, "price": p} for s, p in rows]}


def test_a_linked_column_is_checked_row_by_row(w: DocWorld) -> None:
    acme, idle = supplier(w, "Acme"), supplier(w, "Idle", active=False)
    with pytest.raises(ValidationError) as exc:
        documents.submit_new(w.store, w.who("clerk"), "quote_compare",
                             quotes((acme, "1.00"), (999_999, "2.00"), (idle, "3.00")))
    assert [(p.code, p.source.path) for p in exc.value.problems] == [
        ("document.bad_link", "quotes[1].supplier"), ("document.bad_link", "quotes[2].supplier")]
    assert "filter" in exc.value.problems[1].message.en
    best = supplier(w, "Best")
    made = documents.submit_new(w.store, w.who("clerk"), "quote_compare",
                                quotes((acme, "1.00"), (best, "0.90"))).document
    assert made.links == {
        "quotes[0].supplier": {"id": acme, "form": "supplier", "serial": None,
                               "status": "approved", "display": {"name": "Acme"}},
        "quotes[1].supplier": {"id": best, "form": "supplier", "serial": None,
                               "status": "approved", "display": {"name": "Best"}}}
    seen = doc_queries.get(w.store, w.who("clerk"), made.id)
    assert seen.links["quotes[1].supplier"]["display"] == {"name": "Best"}


def test_a_unique_column_refuses_two_rows_of_one_document(w: DocWorld) -> None:
    acme = supplier(w, "Acme")
    with pytest.raises(ValidationError) as exc:
        documents.submit_new(w.store, w.who("clerk"), "quote_compare",
                             quotes((acme, "1.00"), (acme, "0.95")))
    assert [(p.code, p.source.path) for p in exc.value.problems] == [
        ("forms.repeated_in_rows", "quotes[1].supplier")]
    # a column's uniqueness is within the document: another document may name it again
    for _ in range(2):
        documents.submit_new(w.store, w.who("clerk"), "quote_compare", quotes((acme, "1.00")))
