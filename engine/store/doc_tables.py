"""SQLAlchemy models of definitions and documents: versioned forms, flows and rule
sets; documents with their flow instance; tasks, timeline, durable timers, serial
counters and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base, Id


class Definition(Base):
    """One version of a form, flow or rule set. Published versions never change;
    at most one draft per (kind, key) is edited in place."""

    __tablename__ = "definitions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "key", "version"),
        Index("ix_definitions_lookup", "tenant_id", "kind", "key", "state"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[str] = mapped_column(String(10))  # form | flow | rules
    key: Mapped[str] = mapped_column(String(63))
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10))  # draft | published
    body: Mapped[dict[str, Any]]
    source: Mapped[dict[str, Any]]  # template key and version it came from, if any
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(BigInteger)


class Document(Base):
    """A form record plus its flow instance, pinned to the versions it started on."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "form_key", "serial"),
        Index("ix_documents_submitter", "tenant_id", "submitter", "status"),
        Index("ix_documents_form", "tenant_id", "form_key", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    form_key: Mapped[str] = mapped_column(String(63))
    form_version: Mapped[int] = mapped_column(Integer)
    flow_version: Mapped[int | None] = mapped_column(Integer)
    rules_version: Mapped[int | None] = mapped_column(Integer)
    serial: Mapped[str | None] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]]
    flow: Mapped[dict[str, Any] | None]
    submitter: Mapped[str] = mapped_column(String(150))
    submitter_id: Mapped[int | None] = mapped_column(BigInteger)
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


def _doc_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", "document_id"],
                                ["documents.tenant_id", "documents.id"])


class DocTask(Base):
    """A flow task, mirrored for task lists (my to-do, processed by me)."""

    __tablename__ = "doc_tasks"
    __table_args__ = (
        UniqueConstraint("tenant_id", "document_id", "task_key"),
        Index("ix_doc_tasks_assignee", "tenant_id", "assignee", "state"),
        _doc_fk(),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    document_id: Mapped[int] = mapped_column(Id)
    task_key: Mapped[str] = mapped_column(String(100))
    node: Mapped[str] = mapped_column(String(63))
    assignee: Mapped[str] = mapped_column(String(150))
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class DocEvent(Base):
    """The timeline: who did what to a document, when, with which comment."""

    __tablename__ = "doc_events"
    __table_args__ = (Index("ix_doc_events_document", "tenant_id", "document_id"),
                      Index("ix_doc_events_actor", "tenant_id", "actor"), _doc_fk())

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    document_id: Mapped[int] = mapped_column(Id)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(150))
    action: Mapped[str] = mapped_column(String(30))
    node: Mapped[str | None] = mapped_column(String(63))
    comment: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]]


class Timer(Base):
    """A durable timer (timeout, reminder): due rows are claimed by a tick once."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "state", "due_at"), _doc_fk())

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    document_id: Mapped[int] = mapped_column(Id)
    node: Mapped[str] = mapped_column(String(63))
    task_key: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(10))  # pending | fired | cancelled
    fired_at: Mapped[datetime | None]


class SerialCounter(Base):
    """The last number handed out per form and period: gap-free because it moves
    in the same transaction as the document that takes the number."""

    __tablename__ = "serial_counters"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    form_key: Mapped[str] = mapped_column(String(63), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    last: Mapped[int] = mapped_column(BigInteger)


class OutboxMessage(Base):
    """Notifications and webhooks written with the change that caused them."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[str] = mapped_column(String(20))  # notify | webhook
    topic: Mapped[str] = mapped_column(String(63))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer)


class TemplateInstall(Base):
    """Which version of an industry template a tenant installed, and when."""

    __tablename__ = "template_installs"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(63), primary_key=True)
    version: Mapped[str] = mapped_column(String(20))
    installed_at: Mapped[datetime]
    upgraded_at: Mapped[datetime | None]
    demo_loaded: Mapped[bool]


class FormAccess(Base):
    """Who may create a form's documents and what each role may view (a small setting
    per form, not versioned: changing it applies at once to every document)."""

    __tablename__ = "form_access"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    form_key: Mapped[str] = mapped_column(String(63), primary_key=True)
    body: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(150))


class DocumentUniqueValue(Base):
    """A value of a ``unique`` field held by a live document: the primary key makes a
    second holder fail, whichever transaction comes second. Rows come with the submit
    and go when the document ends withdrawn, rejected or cancelled."""

    __tablename__ = "document_unique_values"
    __table_args__ = (Index("ix_document_unique_values_document", "tenant_id", "document_id"),
                      _doc_fk())

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    form_key: Mapped[str] = mapped_column(String(63), primary_key=True)
    field: Mapped[str] = mapped_column(String(63), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    document_id: Mapped[int] = mapped_column(Id)


class Attachment(Base):
    """The metadata of a file attached to a document field; the bytes live in the
    attachment storage under ``storage_key``."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("tenant_id", "storage_key"),
                      Index("ix_attachments_document", "tenant_id", "document_id"),
                      _doc_fk())

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    document_id: Mapped[int] = mapped_column(Id)
    field: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(127))
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]
