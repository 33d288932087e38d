"""The reads every document step makes, on the driver (:mod:`engine.store.driver`):
the document row, which versions of its definitions are published, the form's access
setting, the reader's tasks on it, and approver resolution (role members, department
heads). Through the ORM each of these cost several times what the database spends on
it; here each is one prepared string and one round trip. The repositories
(:class:`~engine.store.doc_repo.DocRepo`, :class:`~engine.store.identity_repo.IdentityRepo`)
call them, so services see the same methods as before."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Table

from engine.store.doc_tables import Document
from engine.store.driver import Driver
from engine.store.types import UTCDateTime

_DOCUMENTS = cast(Table, Document.__table__)
DOCUMENT_COLUMNS = tuple(c.name for c in _DOCUMENTS.columns)
_JSON_COLUMNS = frozenset(c.name for c in _DOCUMENTS.columns if isinstance(c.type, JSON))
_TIME_COLUMNS = frozenset(c.name for c in _DOCUMENTS.columns
                          if isinstance(c.type, UTCDateTime))
_DOCUMENT = (f"SELECT {', '.join(DOCUMENT_COLUMNS)} FROM documents "
             "WHERE tenant_id = ? AND id = ?")

_PUBLISHED = ("SELECT kind, version, id, published_at FROM definitions "
              "WHERE tenant_id = ? AND key = ? AND state = 'published'")
_FORM_ACCESS = "SELECT body FROM form_access WHERE tenant_id = ? AND form_key = ?"
_TASK_NODES = ("SELECT document_id, node FROM doc_tasks WHERE tenant_id = ? AND assignee = ? "
               "AND document_id IN ({ids})")
_WITH_ROLE = (
    "SELECT users.username FROM users "
    "JOIN memberships ON memberships.user_id = users.id "
    "JOIN membership_roles ON membership_roles.membership_id = memberships.id "
    "AND membership_roles.tenant_id = memberships.tenant_id "
    "JOIN roles ON roles.id = membership_roles.role_id "
    "WHERE memberships.tenant_id = ? AND roles.key = ? AND memberships.status = 'active' "
    "AND users.is_active ORDER BY users.username")

MAX_DEPARTMENT_DEPTH = 256  # a walk up the tree stops here (trees are far shallower)

# The user's department and each one above it, nearest first, with its head: one query
# however deep the tree, and only the departments on the way up are read.
_HEADS_ABOVE = (
    "WITH RECURSIVE me(user_id, department_id) AS ("
    " SELECT users.id, memberships.department_id FROM users"
    " JOIN memberships ON memberships.user_id = users.id"
    " WHERE users.username = ? AND memberships.tenant_id = ?),"
    " up(department_id, depth) AS ("
    " SELECT department_id, 0 FROM me WHERE department_id IS NOT NULL"
    " UNION ALL"
    " SELECT departments.parent_id, up.depth + 1 FROM up"
    " JOIN departments ON departments.id = up.department_id AND departments.tenant_id = ?"
    " WHERE departments.parent_id IS NOT NULL AND up.depth < ?)"
    " SELECT up.department_id, departments.head_user_id, heads.username, heads.is_active,"
    " me.user_id FROM up CROSS JOIN me"
    " JOIN departments ON departments.id = up.department_id AND departments.tenant_id = ?"
    " LEFT JOIN users heads ON heads.id = departments.head_user_id"
    " ORDER BY up.depth")


def document(d: Driver, tenant_id: int, document_id: int, *, lock: bool = False
             ) -> dict[str, Any] | None:
    """The document's columns as the ORM would load them (JSON decoded, timestamps
    aware UTC), or None. ``lock``: the row stays locked until the transaction ends (on
    SQLite the write transaction already holds the database)."""
    sql = _DOCUMENT + (" FOR UPDATE" if lock and not d.sqlite else "")
    rows = d.all(sql, [tenant_id, document_id])
    return _document(d, rows[0]) if rows else None


# An action's reads of its form's rows, through the document's form key.
_OF_DOCUMENT = "(SELECT form_key FROM documents WHERE tenant_id = ? AND id = ?)"
_ACCESS_OF_DOCUMENT = _FORM_ACCESS.replace("form_key = ?", f"form_key = {_OF_DOCUMENT}")
_PUBLISHED_OF_DOCUMENT = _PUBLISHED.replace("key = ?", f"key = {_OF_DOCUMENT}")
_NODES_OF_DOCUMENT = _TASK_NODES.format(ids="?")


@dataclass(frozen=True, slots=True)
class ActionReads:
    """What an action on one document reads before anything else: the document
    (locked), the actor's task nodes on it, its form's access setting and the
    published versions of its form, flow and rules (see :func:`action_reads`)."""

    document: dict[str, Any] | None
    nodes: set[str]
    access: dict[str, Any] | None
    published: dict[tuple[str, int], tuple[int, datetime | None]]


def action_reads(d: Driver, tenant_id: int, document_id: int, username: str) -> ActionReads:
    """The reads every action starts with, sent together: one round trip on
    PostgreSQL instead of four (the form's rows are found through the document's
    form key, in the same statements)."""
    of_doc = [tenant_id, document_id]
    with d.together():
        row = d.later(_DOCUMENT + ("" if d.sqlite else " FOR UPDATE"), of_doc)
        nodes = d.later(_NODES_OF_DOCUMENT, [tenant_id, username, document_id])
        access = d.later(_ACCESS_OF_DOCUMENT, [tenant_id, *of_doc])
        versions = d.later(_PUBLISHED_OF_DOCUMENT, [tenant_id, *of_doc])
    found, body = row.all(), access.all()
    return ActionReads(
        _document(d, found[0]) if found else None, {node for _, node in nodes.all()},
        d.loads(body[0][0]) if body else None, _published(d, versions.all()))


def form_reads(d: Driver, tenant_id: int, form_key: str
               ) -> tuple[dict[tuple[str, int], tuple[int, datetime | None]],
                          dict[str, Any] | None]:
    """The published versions of a form (with its flow and rules) and its access
    setting, sent together: what creating a document reads first."""
    with d.together():
        versions = d.later(_PUBLISHED, [tenant_id, form_key])
        access = d.later(_FORM_ACCESS, [tenant_id, form_key])
    body = access.all()
    return _published(d, versions.all()), d.loads(body[0][0]) if body else None


def _document(d: Driver, row: Sequence[Any]) -> dict[str, Any]:
    return {name: _loaded(d, name, value)
            for name, value in zip(DOCUMENT_COLUMNS, row, strict=True)}


def _loaded(d: Driver, name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _JSON_COLUMNS:
        return d.loads(value)
    if name in _TIME_COLUMNS:
        return d.load_time(value)
    return value


def published(d: Driver, tenant_id: int, key: str
              ) -> dict[tuple[str, int], tuple[int, datetime | None]]:
    """(kind, version) → (row id, published at) of every published version of the
    form, flow and rules named ``key``."""
    return _published(d, d.all(_PUBLISHED, [tenant_id, key]))


def _published(d: Driver, rows: Sequence[Sequence[Any]]
               ) -> dict[tuple[str, int], tuple[int, datetime | None]]:
    return {(kind, int(version)): (int(row_id), None if at is None else d.load_time(at))
            for kind, version, row_id, at in rows}


def form_access(d: Driver, tenant_id: int, form_key: str) -> dict[str, Any] | None:
    """The body of the form's access setting, or None when it has none."""
    rows = d.all(_FORM_ACCESS, [tenant_id, form_key])
    return None if not rows else cast(dict[str, Any], d.loads(rows[0][0]))


def task_nodes(d: Driver, tenant_id: int, username: str, document_ids: Sequence[int]
               ) -> dict[int, set[str]]:
    """The nodes where ``username`` holds or held a task, per document."""
    out: dict[int, set[str]] = {}
    if document_ids:
        sql = _TASK_NODES.format(ids=", ".join("?" * len(document_ids)))
        for doc_id, node in d.all(sql, [tenant_id, username, *document_ids]):
            out.setdefault(doc_id, set()).add(node)
    return out


def usernames_with_role(d: Driver, tenant_id: int, role: str) -> list[str]:
    """Active members holding ``role``, by name."""
    return [name for (name,) in d.all(_WITH_ROLE, [tenant_id, role])]


def heads_above(d: Driver, tenant_id: int, username: str, levels: int) -> list[str]:
    """The heads of the user's department and of those above it, nearest first, at
    most ``levels`` of them: a department without a head, or headed by the user or by
    a deactivated user, is passed over."""
    rows = d.all(_HEADS_ABOVE, [username, tenant_id, tenant_id, MAX_DEPARTMENT_DEPTH,
                                tenant_id])
    heads: list[str] = []
    seen: set[int] = set()
    for department_id, head_id, head_name, active, user_id in rows:
        if len(heads) == levels or department_id in seen:  # done, or a cycle
            break
        seen.add(department_id)
        if head_name is not None and head_id != user_id and active:
            heads.append(head_name)
    return heads

