"""Reading documents: one document, its timeline, every task of it, and the task boxes
people work from (my to-do, processed by me, cc to me, initiated by me) with counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.flows import instance_from_json
from engine.services import doc_access
from engine.services.documents import DocumentView, seen, view
from engine.services.identity import Principal
from engine.store.db import Store
from engine.store.doc_repo import DocRepo
from engine.store.uow import UnitOfWork, transaction

BOXES = {"todo": ("pending",), "processed": ("approved", "rejected", "transferred"),
         "cc": ("cc",)}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    actor: str
    action: str
    comment: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TaskLine:
    document_id: int
    form_key: str
    serial: str | None
    status: str
    task: str
    node: str
    state: str
    created_at: datetime
    decided_at: datetime | None

    @property
    def took_seconds(self) -> float | None:
        """How long the task waited for its decision."""
        if self.decided_at is None:
            return None
        return (self.decided_at - self.created_at).total_seconds()


def get(store: Store, principal: Principal, document_id: int) -> DocumentView:
    """One document as the principal may read it; 404 when they may not view it (see
    :mod:`.doc_access`), as for another tenant's."""
    def work(uow: UnitOfWork) -> DocumentView:
        return seen(uow, principal, doc_access.viewable(uow, principal, document_id))

    return transaction(store, work, write=False)


def timeline(store: Store, principal: Principal, document_id: int) -> list[TimelineEntry]:
    def work(uow: UnitOfWork) -> list[TimelineEntry]:
        doc_access.viewable(uow, principal, document_id)  # 404 for what they may not view
        return [TimelineEntry(e.at, e.actor, e.action, e.comment, dict(e.detail))
                for e in DocRepo(uow.session).timeline(principal.tenant_id, document_id)]

    return transaction(store, work, write=False)


@dataclass(frozen=True, slots=True)
class DocumentTask:
    """One task of a document, whoever holds it: open, decided, cancelled or a cc."""

    task: str
    node: str
    assignee: str
    state: str  # pending waiting approved rejected transferred cancelled cc
    origin: str | None  # resolved admin added_before added_after transfer escalated; cc: None
    created_at: datetime
    decided_at: datetime | None
    comment: str | None  # the comment its holder gave with their decision


def tasks(store: Store, principal: Principal, document_id: int) -> list[DocumentTask]:
    """Every task of a document, oldest first, for whoever may view the document (404
    otherwise, as for another tenant's); field permissions play no part."""
    def work(uow: UnitOfWork) -> list[DocumentTask]:
        doc = doc_access.viewable(uow, principal, document_id)
        rows = sorted(DocRepo(uow.session).tasks_of(principal.tenant_id, doc.id).values(),
                      key=lambda r: r.id)
        instance = instance_from_json(doc.flow) if doc.flow else None
        origins = {t.id: t.origin.value for t in instance.tasks} if instance else {}
        comments = {h.task: h.comment for h in instance.history
                    if h.task is not None and h.comment is not None} if instance else {}
        return [DocumentTask(r.task_key, r.node, r.assignee, r.state, origins.get(r.task_key),
                             r.created_at, r.decided_at, comments.get(r.task_key))
                for r in rows]

    return transaction(store, work, write=False)


def box(store: Store, principal: Principal, name: str, limit: int = 100) -> list[TaskLine]:
    """``todo``, ``processed``, ``cc`` (tasks) or ``initiated`` (documents submitted)."""
    def work(uow: UnitOfWork) -> list[TaskLine]:
        repo = DocRepo(uow.session)
        if name == "initiated":
            return [TaskLine(d.id, d.form_key, d.serial, d.status, "", "", d.status,
                             d.created_at, d.finished_at)
                    for d in repo.documents(principal.tenant_id, submitter=principal.username,
                                            limit=limit) if d.status != "draft"]
        pairs = repo.tasks_for(principal.tenant_id, principal.username, BOXES[name], limit)
        return [TaskLine(d.id, d.form_key, d.serial, d.status, t.task_key, t.node, t.state,
                         t.created_at, t.decided_at) for t, d in pairs]

    assert name in (*BOXES, "initiated"), name
    return transaction(store, work, write=False)


def counts(store: Store, principal: Principal) -> dict[str, int]:
    """How many tasks wait in each box (the badge numbers)."""
    def work(uow: UnitOfWork) -> dict[str, int]:
        by_state = DocRepo(uow.session).task_counts(principal.tenant_id, principal.username)
        return {box: sum(by_state.get(s, 0) for s in states) for box, states in BOXES.items()}

    return transaction(store, work, write=False)


def documents(store: Store, principal: Principal, *, form_key: str | None = None,
              status: str | None = None, submitter: str | None = None,
              before_id: int | None = None, limit: int = 50) -> list[DocumentView]:
    """The documents the principal may view, newest first (keyset: ids below
    ``before_id``), as they may read them."""
    def work(uow: UnitOfWork) -> list[DocumentView]:
        rows = list(DocRepo(uow.session).documents(
            principal.tenant_id, submitter=submitter, form_key=form_key, status=status,
            limit=limit, before_id=before_id, visible=doc_access.visible(uow, principal)))
        found: list[DocumentView] = doc_access.present(uow, principal, rows,
                                                       [view(doc) for doc in rows])
        return found

    return transaction(store, work, write=False)
