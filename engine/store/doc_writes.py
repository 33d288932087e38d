"""The rows a document action writes: the document's changed columns, its tasks, its
timeline entry, outbox messages. Written on the driver (:mod:`engine.store.driver`),
not through the ORM's flush, so that on PostgreSQL they travel in one round trip with
the action's audit event (:meth:`Driver.together`); none of them is read back in the
same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Table, inspect
from sqlalchemy.orm import ColumnProperty, Session, make_transient, make_transient_to_detached

from engine.store.doc_tables import Document
from engine.store.driver import Driver
from engine.store.types import UTCDateTime

TaskRow = tuple[str, str, str, str, datetime, datetime | None]  # key, node, who, state, …
TaskChange = tuple[str, str, str, datetime | None]  # key, assignee, state, decided at

_TASK_TYPES = ("text", "text", "text", "text", "timestamp", "timestamp")
_NEW_TASKS = ("INSERT INTO doc_tasks (tenant_id, document_id, task_key, node, assignee, state, "
              "created_at, decided_at) SELECT ?, ?, column1, column2, column3, column4, "
              "column5, column6 FROM {rows}")
_SET_TASK = ("UPDATE doc_tasks SET assignee = ?, state = ?, decided_at = ? "
             "WHERE tenant_id = ? AND document_id = ? AND task_key = ?")
_EVENT = ("INSERT INTO doc_events (tenant_id, document_id, at, actor, action, node, comment, "
          "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
_NOTIFY = ("INSERT INTO outbox (tenant_id, kind, topic, payload, created_at, delivered_at, "
           "attempts) VALUES (?, 'notify', ?, ?, ?, NULL, 0)")


def insert_tasks(d: Driver, tenant_id: int, document_id: int, rows: Sequence[TaskRow]) -> None:
    """New tasks: (task key, node, assignee, state, created at, decided at)."""
    if rows:
        source, params = d.source(_TASK_TYPES, [
            (key, node, who, state, d.time(created), d.time(decided))
            for key, node, who, state, created, decided in rows])
        d.execute(_NEW_TASKS.format(rows=source), [tenant_id, document_id, *params])


def update_tasks(d: Driver, tenant_id: int, document_id: int,
                 rows: Sequence[TaskChange]) -> None:
    """Tasks that changed: (task key, assignee, state, decided at)."""
    if rows:
        d.many(_SET_TASK, [(who, state, d.time(decided), tenant_id, document_id, key)
                           for key, who, state, decided in rows])


def add_event(d: Driver, tenant_id: int, document_id: int, at: datetime, actor: str,
              action: str, comment: str | None = None,
              detail: dict[str, Any] | None = None) -> None:
    """One entry of the document's timeline."""
    d.execute(_EVENT, [tenant_id, document_id, d.time(at), actor, action, None, comment,
                       d.json(detail or {})])


def notify(d: Driver, tenant_id: int, topic: str, payload: dict[str, Any],
           now: datetime) -> None:
    """A notification for the outbox, delivered after the commit."""
    d.execute(_NOTIFY, [tenant_id, topic, d.json(payload), d.time(now)])


def attach(session: Session, doc: Document) -> None:
    """Make ``doc``, built from a row the driver read or wrote, the session's clean
    persistent object for that row, as if a query had loaded it."""
    make_transient_to_detached(doc)
    session.add(doc)


def insert_document(d: Driver, session: Session, doc: Document) -> None:
    """Insert the new ``doc`` (every column but ``id``, which it gets) and attach it."""
    for c in _INSERTED:  # an attribute never set is NULL in the row: say so, or the
        if c.key not in doc.__dict__:  # attached object would load it again when read
            setattr(doc, c.key, None)
    values = [_column_value(d, c.type, getattr(doc, c.key)) for c in _INSERTED]
    doc.id = d.all(_INSERT_DOCUMENT[d.sqlite], values)[0][0]
    attach(session, doc)


def save_document(d: Driver, doc: Document) -> None:
    """Write the columns changed on ``doc`` (a session's object) and mark them saved, so
    the session's flush at commit has nothing left to do for it."""
    state = inspect(doc)
    touched = set(state.attrs.keys()) - state.unmodified  # assigned since loaded
    changed = [a for a in state.mapper.column_attrs
               if a.key in touched and a.key not in ("id", "tenant_id")
               and state.attrs[a.key].history.has_changes()]  # and to a new value
    if not touched:
        return
    if changed:
        _update(d, doc, changed)
    session = state.session
    assert session is not None, "save_document takes a session's document"
    make_transient(doc)  # the object's values are now the row's: clean, still attached
    attach(session, doc)


def _update(d: Driver, doc: Document, changed: list[ColumnProperty[Any]]) -> None:
    values = [_column_value(d, _type(a), getattr(doc, a.key)) for a in changed]
    sets = ", ".join(f"{a.columns[0].name} = {_placeholder(d.sqlite, _type(a))}" for a in changed)
    d.execute(f"UPDATE documents SET {sets} WHERE tenant_id = ? AND id = ?",
              [*values, doc.tenant_id, doc.id])


_DOCUMENTS = cast(Table, Document.__table__)
_INSERTED = [c for c in _DOCUMENTS.columns if c.name != "id"]
assert not any(c.default or c.server_default for c in _INSERTED), \
    "insert_document writes every column itself: documents has no column defaults"


def _placeholder(sqlite: bool, kind: Any) -> str:
    return "?::json" if not sqlite and isinstance(kind, JSON) else "?"


def _insert_sql(sqlite: bool) -> str:
    marks = (_placeholder(sqlite, c.type) for c in _INSERTED)
    return (f"INSERT INTO documents ({', '.join(c.name for c in _INSERTED)}) "
            f"VALUES ({', '.join(marks)}) RETURNING id")


_INSERT_DOCUMENT = {sqlite: _insert_sql(sqlite) for sqlite in (True, False)}


def _type(attr: ColumnProperty[Any]) -> Any:
    return attr.columns[0].type


def _column_value(d: Driver, kind: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, UTCDateTime):
        return d.time(value)
    if isinstance(kind, JSON):
        return d.json(value)
    return value
