"""Appending to and reading the per-tenant audit chain."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from engine.audit import GENESIS, AuditRecord, StoredEvent
from engine.store.models import AuditEvent, AuditHead

_HEADS = cast(Table, AuditHead.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)
_HEAD = select(_HEADS.c.seq, _HEADS.c.hash).where(
    _HEADS.c.tenant_id == bindparam("t")).with_for_update()
_NEW_EVENT = insert(_EVENTS)
_MOVE_HEAD = update(_HEADS).where(_HEADS.c.tenant_id == bindparam("t")).values(
    seq=bindparam("seq"), hash=bindparam("hash"))


class AuditRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def start_chain(self, tenant_id: int) -> None:
        self.session.flush()  # the tenant row, written through the ORM
        self.session.connection().execute(
            insert(_HEADS), {"tenant_id": tenant_id, "seq": 0, "hash": GENESIS})

    def append(self, record_fields: dict[str, object]) -> None:
        """Append one event to its tenant's chain.

        The tenant's head row is locked (``FOR UPDATE`` on PostgreSQL; SQLite's
        ``BEGIN IMMEDIATE`` already serialises writers), so concurrent calls extend
        the chain one after the other. Services append last, just before commit.
        """
        conn = self.session.connection()
        head = conn.execute(_HEAD, {"t": record_fields["tenant_id"]}).one()
        record = AuditRecord(seq=head.seq + 1, **record_fields)  # type: ignore[arg-type]
        digest = record.hash_with(head.hash)
        fields = {name: getattr(record, name) for name in AuditRecord.__slots__}
        fields["detail"] = dict(record.detail)
        conn.execute(_NEW_EVENT, {**fields, "prev_hash": head.hash, "hash": digest})
        conn.execute(_MOVE_HEAD, {"t": record.tenant_id, "seq": record.seq,
                                          "hash": digest})

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
