"""SQL for definitions, documents, tasks, timeline, timers, serials and the outbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.store import doc_reads, doc_writes
from engine.store.doc_tables import (
    Attachment,
    Definition,
    DocEvent,
    DocTask,
    Document,
    DocumentUniqueValue,
    FormAccess,
    OutboxMessage,
    SerialCounter,
    Timer,
)
from engine.store.driver import Driver
from engine.store.ledger_tables import Location
from engine.store.models import Department, Membership


@dataclass(frozen=True, slots=True)
class Visible:
    """Which documents a member may see, besides their own and those they hold (or
    held) a task on: every document of ``all_forms``, and the documents of
    ``department_forms`` submitted by ``department_users``. Others' drafts never."""

    username: str
    all_forms: frozenset[str] = frozenset()
    department_forms: frozenset[str] = frozenset()
    department_users: frozenset[int] = frozenset()

_MAPPER = inspect(Document)
_DEFS = cast(Table, Definition.__table__)
_LATEST = select(_DEFS.c.kind, func.max(_DEFS.c.version)).where(
    _DEFS.c.tenant_id == bindparam("t"), _DEFS.c.key == bindparam("k"),
    _DEFS.c.state == "published").group_by(_DEFS.c.kind)




class DocRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    # definitions -----------------------------------------------------------------------
    def definition(self, tenant_id: int, kind: str, key: str, version: int | None = None,
                   *, state: str = "published") -> Definition | None:
        """A published version (the newest when ``version`` is None), or the draft."""
        query = select(Definition).where(
            Definition.tenant_id == tenant_id, Definition.kind == kind, Definition.key == key,
            Definition.state == state)
        if version is not None:
            query = query.where(Definition.version == version)
        return self.session.execute(
            query.order_by(Definition.version.desc()).limit(1)).scalar_one_or_none()

    def published(self, tenant_id: int, key: str) -> dict[tuple[str, int], tuple[int, Any]]:
        """(kind, version) → (row id, published at) of every published version of the
        form, flow and rules named ``key``: what a cache of compiled versions keys on."""
        return doc_reads.published(Driver.reading(self.session), tenant_id, key)

    def latest_versions(self, tenant_id: int, key: str) -> dict[str, int | None]:
        """The newest published version of the form, flow and rules named ``key``."""
        rows = self.session.connection().execute(_LATEST, {"t": tenant_id, "k": key})
        return {kind: int(version) for kind, version in rows}

    def definitions(self, tenant_id: int, kind: str | None = None) -> Sequence[Definition]:
        query = select(Definition).where(Definition.tenant_id == tenant_id)
        if kind is not None:
            query = query.where(Definition.kind == kind)
        return self.session.execute(
            query.order_by(Definition.kind, Definition.key, Definition.version)).scalars().all()

    def last_version(self, tenant_id: int, kind: str, key: str) -> int:
        found = self.session.execute(select(func.max(Definition.version)).where(
            Definition.tenant_id == tenant_id, Definition.kind == kind,
            Definition.key == key)).scalar_one()
        return int(found or 0)

    def location_codes(self, tenant_id: int) -> list[str]:
        return list(self.session.execute(select(Location.code).where(
            Location.tenant_id == tenant_id).order_by(Location.code)).scalars())

    # documents -------------------------------------------------------------------------
    def document(self, tenant_id: int, document_id: int, *, lock: bool = False
                 ) -> Document | None:
        """The document, the session's object for it (``lock``: its row locked until
        the transaction ends)."""
        d = Driver.reading(self.session)
        return self._attached(doc_reads.document(d, tenant_id, document_id, lock=lock))

    def for_action(self, tenant_id: int, document_id: int, username: str
                   ) -> tuple[Document | None, doc_reads.ActionReads]:
        """The document, locked, with what an action on it reads first (see
        :func:`.doc_reads.action_reads`)."""
        d = Driver.reading(self.session)
        found = doc_reads.action_reads(d, tenant_id, document_id, username)
        return self._attached(found.document), found

    def form_reads(self, tenant_id: int, form_key: str
                   ) -> tuple[dict[tuple[str, int], tuple[int, Any]], dict[str, Any] | None]:
        """A form's published versions and access setting, read together."""
        return doc_reads.form_reads(Driver.reading(self.session), tenant_id, form_key)

    def _attached(self, row: dict[str, Any] | None) -> Document | None:
        if row is None:
            return None
        known = self.session.identity_map.get(_MAPPER.identity_key_from_primary_key(
            (row["id"],)))
        if known is not None:  # as a query returns it: the session's object, unchanged
            return known
        doc = Document(**row)
        doc_writes.attach(self.session, doc)
        return doc

    def insert_document(self, doc: Document) -> None:
        """Insert a new document; it gets its id and joins the session."""
        doc_writes.insert_document(Driver.reading(self.session), self.session, doc)

    def documents(self, tenant_id: int, *, submitter: str | None = None,
                  form_key: str | None = None, status: str | None = None, limit: int = 100,
                  before_id: int | None = None, visible: Visible | None = None
                  ) -> Sequence[Document]:
        """Newest first; ``visible`` (None: all of them) limits them to what a member
        may see."""
        query = select(Document).where(Document.tenant_id == tenant_id)
        if visible is not None:
            query = query.where(self._visible(tenant_id, visible))
        if submitter is not None:
            query = query.where(Document.submitter == submitter)
        if form_key is not None:
            query = query.where(Document.form_key == form_key)
        if status is not None:
            query = query.where(Document.status == status)
        if before_id is not None:
            query = query.where(Document.id < before_id)
        return self.session.execute(query.order_by(Document.id.desc()).limit(limit)
                                    ).scalars().all()

    def _visible(self, tenant_id: int, visible: Visible) -> ColumnElement[bool]:
        held = select(DocTask.document_id).where(DocTask.tenant_id == tenant_id,
                                                 DocTask.assignee == visible.username)
        others: list[ColumnElement[bool]] = [Document.id.in_(held)]
        if visible.all_forms:
            others.append(Document.form_key.in_(sorted(visible.all_forms)))
        if visible.department_forms and visible.department_users:
            others.append(and_(Document.form_key.in_(sorted(visible.department_forms)),
                               Document.submitter_id.in_(sorted(visible.department_users))))
        return or_(Document.submitter == visible.username,
                   and_(Document.status != "draft", or_(*others)))

    def documents_by_ids(self, tenant_id: int, ids: Iterable[int]) -> dict[int, Document]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        return {d.id: d for d in self.session.execute(select(Document).where(
            Document.tenant_id == tenant_id, Document.id.in_(wanted))).scalars()}

    def involved(self, tenant_id: int, document_id: int, username: str) -> bool:
        """Whether ``username`` holds or held a task (cc included) on the document."""
        return self.session.execute(select(DocTask.id).where(
            DocTask.tenant_id == tenant_id, DocTask.document_id == document_id,
            DocTask.assignee == username).limit(1)).first() is not None

    def task_nodes(self, tenant_id: int, username: str, document_ids: Iterable[int]
                   ) -> dict[int, set[str]]:
        """The nodes where ``username`` holds or held a task, per document."""
        ids = sorted(set(document_ids))
        if not ids:
            return {}
        return doc_reads.task_nodes(Driver.reading(self.session), tenant_id, username, ids)

    # access settings ---------------------------------------------------------------------
    def form_access(self, tenant_id: int, form_key: str) -> FormAccess | None:
        return self.session.execute(select(FormAccess).where(
            FormAccess.tenant_id == tenant_id, FormAccess.form_key == form_key)
        ).scalar_one_or_none()

    def form_access_body(self, tenant_id: int, form_key: str) -> dict[str, Any] | None:
        """The form's access setting, or None when it has none."""
        return doc_reads.form_access(Driver.reading(self.session), tenant_id, form_key)

    def form_accesses(self, tenant_id: int) -> dict[str, dict[str, Any]]:
        return {row.form_key: dict(row.body) for row in self.session.execute(
            select(FormAccess).where(FormAccess.tenant_id == tenant_id)).scalars()}

    def department_users(self, tenant_id: int, user_id: int) -> frozenset[int]:
        """The members of the user's department and every department below it."""
        mine = self.session.execute(select(Membership.department_id).where(
            Membership.tenant_id == tenant_id, Membership.user_id == user_id)).scalar()
        if mine is None:
            return frozenset()
        children: dict[int, list[int]] = {}
        for dept_id, parent in self.session.execute(select(Department.id, Department.parent_id)
                                                    .where(Department.tenant_id == tenant_id)):
            if parent is not None:
                children.setdefault(parent, []).append(dept_id)
        tree, todo = set(), [mine]
        while todo:
            dept = todo.pop()
            if dept not in tree:
                tree.add(dept)
                todo.extend(children.get(dept, ()))
        return frozenset(self.session.execute(select(Membership.user_id).where(
            Membership.tenant_id == tenant_id, Membership.department_id.in_(sorted(tree))
        )).scalars())

    # unique values -------------------------------------------------------------------------
    def unique_values(self, tenant_id: int, document_id: int) -> dict[str, str]:
        return {f: v for f, v in self.session.execute(
            select(DocumentUniqueValue.field, DocumentUniqueValue.value).where(
                DocumentUniqueValue.tenant_id == tenant_id,
                DocumentUniqueValue.document_id == document_id))}

    def claim_unique(self, tenant_id: int, form_key: str, field: str, value: str,
                     document_id: int) -> bool:
        """Hold ``value`` of ``field`` for the document; False when another document
        holds it. Concurrent claims of one value wait for each other on the primary
        key: the second one fails once the first commits."""
        try:
            with self.session.begin_nested():
                self.session.execute(insert(DocumentUniqueValue).values(
                    tenant_id=tenant_id, form_key=form_key, field=field, value=value,
                    document_id=document_id))
        except IntegrityError:
            return False
        return True

    def release_unique(self, tenant_id: int, document_id: int,
                       fields: Iterable[str] | None = None) -> None:
        query = delete(DocumentUniqueValue).where(
            DocumentUniqueValue.tenant_id == tenant_id,
            DocumentUniqueValue.document_id == document_id)
        if fields is not None:
            wanted = sorted(fields)
            query = query.where(DocumentUniqueValue.field.in_(wanted) if wanted else false())
        self.session.execute(query)

    # attachments ---------------------------------------------------------------------------
    def attachments(self, tenant_id: int, document_id: int) -> Sequence[Attachment]:
        return self.session.execute(select(Attachment).where(
            Attachment.tenant_id == tenant_id, Attachment.document_id == document_id
        ).order_by(Attachment.id)).scalars().all()

    def attachment(self, tenant_id: int, document_id: int, attachment_id: int
                   ) -> Attachment | None:
        return self.session.execute(select(Attachment).where(
            Attachment.tenant_id == tenant_id, Attachment.document_id == document_id,
            Attachment.id == attachment_id)).scalar_one_or_none()

    # tasks and timeline -----------------------------------------------------------------
    def tasks_of(self, tenant_id: int, document_id: int) -> dict[str, DocTask]:
        rows = self.session.execute(select(DocTask).where(
            DocTask.tenant_id == tenant_id, DocTask.document_id == document_id)).scalars()
        return {r.task_key: r for r in rows}

    def tasks_for(self, tenant_id: int, assignee: str, states: Sequence[str], limit: int = 100
                  ) -> list[tuple[DocTask, Document]]:
        rows = self.session.execute(
            select(DocTask, Document).join(Document, (Document.id == DocTask.document_id)
                                           & (Document.tenant_id == DocTask.tenant_id))
            .where(DocTask.tenant_id == tenant_id, DocTask.assignee == assignee,
                   DocTask.state.in_(states))
            .order_by(DocTask.id.desc()).limit(limit)).all()
        return [(task, doc) for task, doc in rows]

    def task_counts(self, tenant_id: int, assignee: str) -> dict[str, int]:
        rows = self.session.execute(
            select(DocTask.state, func.count()).where(
                DocTask.tenant_id == tenant_id, DocTask.assignee == assignee)
            .group_by(DocTask.state)).all()
        return {state: int(n) for state, n in rows}

    def timeline(self, tenant_id: int, document_id: int) -> Sequence[DocEvent]:
        return self.session.execute(select(DocEvent).where(
            DocEvent.tenant_id == tenant_id, DocEvent.document_id == document_id
        ).order_by(DocEvent.id)).scalars().all()

    # timers ------------------------------------------------------------------------------
    def cancel_timers(self, tenant_id: int, document_id: int, node: str | None = None) -> None:
        query = update(Timer).where(Timer.tenant_id == tenant_id,
                                    Timer.document_id == document_id, Timer.state == "pending")
        if node is not None:
            query = query.where(Timer.node == node)
        self.session.execute(query.values(state="cancelled"))

    def claim_due_timers(self, now: datetime, limit: int) -> list[Timer]:
        """Due timers, locked so that a concurrent tick skips them, marked fired."""
        rows = self.session.execute(
            select(Timer).where(Timer.state == "pending", Timer.due_at <= now)
            .order_by(Timer.due_at, Timer.id).limit(limit)
            .with_for_update(skip_locked=True)).scalars().all()
        for row in rows:
            row.state, row.fired_at = "fired", now
        self.session.flush()
        return list(rows)

    # serial numbers ------------------------------------------------------------------------
    def next_serial(self, tenant_id: int, form_key: str, scope: str) -> int:
        """The next number for (form, scope): one atomic upsert; the counter row stays
        locked until the document that takes the number commits (or rolls back)."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(SerialCounter).values(
            tenant_id=tenant_id, form_key=form_key, scope=scope, last=1)
        upsert = stmt.on_conflict_do_update(
            index_elements=["tenant_id", "form_key", "scope"],
            set_={"last": SerialCounter.last + 1}).returning(SerialCounter.last)
        return int(self.session.execute(upsert).scalar_one())

    # outbox --------------------------------------------------------------------------------
    def pending_outbox(self, limit: int = 100) -> Sequence[OutboxMessage]:
        return self.session.execute(select(OutboxMessage).where(
            OutboxMessage.delivered_at.is_(None)).order_by(OutboxMessage.id).limit(limit)
            .with_for_update(skip_locked=True)).scalars().all()
