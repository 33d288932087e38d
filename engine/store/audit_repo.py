"""Appending to and reading the per-tenant audit chain."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from engine.audit import GENESIS, AuditRecord, StoredEvent
from engine.store.driver import Driver
from engine.store.models import AuditEvent, AuditHead

_HEADS = cast(Table, AuditHead.__table__)
_EVENT_COLUMNS = ("tenant_id, occurred_at, actor_id, actor_label, client_addr, request_id, "
                  "object_type, object_id, action, before_digest, after_digest, detail")
_HEAD = "SELECT seq, hash FROM audit_heads WHERE tenant_id = ?"
_NEW_EVENT = (f"INSERT INTO audit_events ({_EVENT_COLUMNS}, seq, prev_hash, hash) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_MOVE_HEAD = "UPDATE audit_heads SET seq = ?, hash = ? WHERE tenant_id = ?"
# PostgreSQL, in one statement: lock the head, hash the event onto it, move the head,
# insert the event. The event's text around its number comes from AuditRecord.hash_parts.
_APPEND = (
    "WITH head AS (UPDATE audit_heads AS h SET seq = old.seq + 1, hash = encode(sha256("
    "convert_to(old.hash || chr(10) || ? || (old.seq + 1)::text || ?, 'UTF8')), 'hex') "
    "FROM (SELECT seq, hash FROM audit_heads WHERE tenant_id = ? FOR UPDATE) AS old "
    "WHERE h.tenant_id = ? RETURNING h.seq, h.hash, old.hash AS prev_hash) "
    f"INSERT INTO audit_events ({_EVENT_COLUMNS}, seq, prev_hash, hash) "
    "SELECT ?::bigint, ?::timestamp, ?::bigint, ?, ?, ?, ?, ?, ?, ?, ?, ?::json, "
    "head.seq, head.prev_hash, head.hash FROM head")


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """An audit event numbered and chained when appended (:meth:`AuditRepo.prepare`)."""

    record: AuditRecord  # with seq 0
    before: str  # the hashed text before the seq number
    after: str  # and after it


class AuditRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def start_chain(self, tenant_id: int) -> None:
        self.session.flush()  # the tenant row, written through the ORM
        self.session.connection().execute(
            insert(_HEADS), {"tenant_id": tenant_id, "seq": 0, "hash": GENESIS})

    def append(self, record_fields: dict[str, object]) -> None:
        """Append one event to its tenant's chain (see :meth:`append_prepared`)."""
        self.append_prepared(self.prepare(record_fields))

    @staticmethod
    def prepare(record_fields: dict[str, object]) -> PreparedEvent:
        """Work out an event's hashed text before any lock is taken."""
        record = AuditRecord(seq=0, **record_fields)  # type: ignore[arg-type]
        return PreparedEvent(record, *record.hash_parts())

    def append_prepared(self, event: PreparedEvent) -> None:
        """Append one event to its tenant's chain.

        The tenant's head row is locked (``FOR UPDATE`` on PostgreSQL; SQLite's
        ``BEGIN IMMEDIATE`` already serialises writers), so concurrent calls extend
        the chain one after the other. Services append last, just before commit. The
        event's hash is the SHA-256 of ``prev_hash + "\\n" + before + seq + after``
        (what :meth:`AuditRecord.hash_with` computes); on PostgreSQL one statement
        locks the head, hashes in the database, moves the head and inserts the event,
        so the head is held for that statement and the commit only.
        """
        d = Driver.of(self.session)
        record = event.record
        if d.sqlite:
            [(seq, prev_hash)] = d.all(_HEAD, [record.tenant_id])
            text = f"{prev_hash}\n{event.before}{seq + 1}{event.after}"
            digest = hashlib.sha256(text.encode()).hexdigest()
            d.execute(_NEW_EVENT, [*_event(d, record), seq + 1, prev_hash, digest])
            d.execute(_MOVE_HEAD, [seq + 1, digest, record.tenant_id])
            return
        d.execute(_APPEND, [event.before, event.after, record.tenant_id, record.tenant_id,
                            *_event(d, record)])

    def chain(self, tenant_id: int) -> tuple[list[StoredEvent], tuple[int, str] | None]:
        rows = self.session.execute(
            select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.seq)
        ).scalars()
        events = [
            StoredEvent(
                AuditRecord(
                    tenant_id=r.tenant_id, seq=r.seq, occurred_at=r.occurred_at,
                    actor_id=r.actor_id, actor_label=r.actor_label, client_addr=r.client_addr,
                    request_id=r.request_id, object_type=r.object_type, object_id=r.object_id,
                    action=r.action, before_digest=r.before_digest,
                    after_digest=r.after_digest, detail=r.detail,
                ),
                r.prev_hash,
                r.hash,
            )
            for r in rows
        ]
        head = self.session.get(AuditHead, tenant_id)
        head_link = None if head is None or head.seq == 0 else (head.seq, head.hash)
        return events, head_link

    def recent(self, tenant_id: int, limit: int = 50) -> list[AuditEvent]:
        return list(self.session.execute(
            select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
            .order_by(AuditEvent.seq.desc()).limit(limit)
        ).scalars())


def _event(d: Driver, record: AuditRecord) -> list[object]:
    return [record.tenant_id, d.time(record.occurred_at), record.actor_id, record.actor_label,
            record.client_addr, record.request_id, record.object_type, record.object_id,
            record.action, record.before_digest, record.after_digest,
            d.json(dict(record.detail))]
