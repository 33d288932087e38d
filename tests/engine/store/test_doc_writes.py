"""A document's changed columns written on the driver, and nothing left for the flush."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from engine.services import identity
from engine.store import Store
from engine.store.doc_tables import Document
from engine.store.doc_writes import save_document
from engine.store.driver import Driver

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _new_document(store: Store) -> tuple[int, int]:
    tenant = identity.create_tenant(store, "acme").id

    def work(session: Session) -> int:
        doc = Document(tenant_id=tenant, form_key="transfer", form_version=1, status="draft",
                       data={"qty": "1"}, flow=None, submitter="ann", revision=1,
                       created_at=T0, updated_at=T0)
        session.add(doc)
        session.flush()
        return doc.id

    return tenant, store.run(work)


def _watch(store: Store) -> list[str]:
    """The statements the session sends (the driver's do not pass through it)."""
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    return statements


def _driver_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    sent: list[str] = []
    real = Driver.execute

    def execute(self: Driver, text: str, params: Any = ()) -> Any:
        sent.append(text)
        return real(self, text, params)

    monkeypatch.setattr(Driver, "execute", execute)
    return sent


def test_changed_columns_are_saved_in_one_statement(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, doc_id = _new_document(store)
    later = T0 + timedelta(minutes=5)
    flow: dict[str, Any] = {"schema_version": 1, "tasks": [{"id": "t1", "node": "boss"}]}
    sent = _driver_statements(monkeypatch)

    def work(session: Session) -> None:
        doc = session.execute(select(Document).where(Document.id == doc_id)).scalar_one()
        doc.status, doc.flow, doc.revision, doc.updated_at = "in_approval", flow, 2, later
        doc.data = {"qty": "1"}  # assigned, but equal: not a change
        save_document(Driver.of(session), doc)

    store.run(work)
    json = "?" if store.backend == "sqlite" else "?::json"
    assert sent == [f"UPDATE documents SET status = ?, flow = {json}, revision = ?, "
                    "updated_at = ? WHERE tenant_id = ? AND id = ?"]

    def read(session: Session) -> tuple[Any, ...]:
        doc = session.execute(select(Document).where(Document.id == doc_id)).scalar_one()
        return doc.tenant_id, doc.status, doc.flow, doc.revision, doc.updated_at, doc.data

    assert store.run(read) == (tenant, "in_approval", flow, 2, later, {"qty": "1"})


def test_the_flush_after_saving_sends_no_update(store: Store) -> None:
    _, doc_id = _new_document(store)

    def work(session: Session) -> list[str]:
        doc = session.execute(select(Document).where(Document.id == doc_id)).scalar_one()
        doc.status, doc.revision = "submitted", 2
        save_document(Driver.of(session), doc)
        statements = _watch(store)
        session.flush()  # what the commit would do
        return statements

    assert store.run(work) == []
    assert tuple(store.run(lambda s: s.execute(
        select(Document.status, Document.revision).where(Document.id == doc_id)).one()
    )) == ("submitted", 2)


def test_an_unchanged_document_is_not_written(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _, doc_id = _new_document(store)
    sent = _driver_statements(monkeypatch)

    def work(session: Session) -> None:
        doc = session.execute(select(Document).where(Document.id == doc_id)).scalar_one()
        doc.status = "draft"  # the value it has
        save_document(Driver.of(session), doc)

    store.run(work)
    assert sent == []


def test_a_saved_document_is_clean_and_still_the_sessions(store: Store) -> None:
    _, doc_id = _new_document(store)

    def work(session: Session) -> None:
        doc = session.execute(select(Document).where(Document.id == doc_id)).scalar_one()
        doc.status = "submitted"
        save_document(Driver.of(session), doc)
        assert doc in session and not session.dirty and doc.status == "submitted"
        doc.revision = 3  # a later change is still the session's to flush
        assert session.dirty

    store.run(work)
    assert tuple(store.run(lambda s: s.execute(
        select(Document.status, Document.revision).where(Document.id == doc_id)).one()
    )) == ("submitted", 3)
