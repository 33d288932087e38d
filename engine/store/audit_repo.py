"""Appending to and reading the per-tenant audit chain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import GENESIS, AuditRecord, StoredEvent
from engine.store.models import AuditEvent, AuditHead


class AuditRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def start_chain(self, tenant_id: int) -> None:
        self.session.add(AuditHead(tenant_id=tenant_id, seq=0, hash=GENESIS))

    def append(self, record_fields: dict[str, object]) -> AuditEvent:
        """Append one event to its tenant's chain.

        The tenant's head row is locked (``FOR UPDATE`` on PostgreSQL; SQLite's
        ``BEGIN IMMEDIATE`` already serialises writers), so concurrent calls extend
        the chain one after the other. Services append last, just before commit.
        """
        tenant_id = record_fields["tenant_id"]
        head = self.session.execute(
            select(AuditHead).where(AuditHead.tenant_id == tenant_id).with_for_update()
        ).scalar_one()
        record = AuditRecord(seq=head.seq + 1, **record_fields)  # type: ignore[arg-type]
        digest = record.hash_with(head.hash)
        event = AuditEvent(
            tenant_id=record.tenant_id, seq=record.seq, occurred_at=record.occurred_at,
            actor_id=record.actor_id, actor_label=record.actor_label,
            client_addr=record.client_addr, request_id=record.request_id,
            object_type=record.object_type, object_id=record.object_id, action=record.action,
            before_digest=record.before_digest, after_digest=record.after_digest,
            detail=dict(record.detail), prev_hash=head.hash, hash=digest,
        )
        self.session.add(event)
        head.seq, head.hash = record.seq, digest
        self.session.flush()
        return event

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
