"""The rows a document action writes: the document's changed columns, its tasks, its
timeline entry, outbox messages. Written on the driver (:mod:`engine.store.driver`),
not through the ORM's flush, so that on PostgreSQL they travel in one round trip with
the action's audit event (:meth:`Driver.together`); none of them is read back in the
same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, inspect
from sqlalchemy.orm import ColumnProperty
from sqlalchemy.orm.attributes import set_committed_value

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


def save_document(d: Driver, doc: Document) -> None:
    """Write the columns changed on ``doc`` (a session's object) and mark them saved, so
    the session's flush at commit has nothing left to do for it."""
    state = inspect(doc)
    touched = set(state.attrs.keys()) - state.unmodified  # assigned since loaded
    changed = [a for a in state.mapper.column_attrs
               if a.key in touched and a.key not in ("id", "tenant_id")
               and state.attrs[a.key].history.has_changes()]  # and to a new value
    if not changed:
        return
    values = [_column_value(d, a, getattr(doc, a.key)) for a in changed]
    sets = ", ".join(f"{a.columns[0].name} = {_placeholder(d, a)}" for a in changed)
    d.execute(f"UPDATE documents SET {sets} WHERE tenant_id = ? AND id = ?",
              [*values, doc.tenant_id, doc.id])
    for a in changed:
        set_committed_value(doc, a.key, getattr(doc, a.key))


def _column_value(d: Driver, attr: ColumnProperty[Any], value: Any) -> Any:
    kind = attr.columns[0].type
    if value is None:
        return None
    if isinstance(kind, UTCDateTime):
        return d.time(value)
    if isinstance(kind, JSON):
        return d.json(value)
    return value


def _placeholder(d: Driver, attr: ColumnProperty[Any]) -> str:
    return "?::json" if not d.sqlite and isinstance(attr.columns[0].type, JSON) else "?"
