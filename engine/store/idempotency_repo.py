"""Rows of ``idempotency_keys``: claim a key, keep its response, forget old ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.store.models import IdempotencyKey


def claim(session: Session, tenant_id: int, user_id: int, key: str, fingerprint: str,
          now: datetime, expired_before: datetime) -> IdempotencyKey | None:
    """Take the key (``None``: taken now), or return the row that already holds it.
    A row older than ``expired_before`` is forgotten and the key taken afresh."""
    found = session.get(IdempotencyKey, (tenant_id, user_id, key), with_for_update=True)
    if found is not None and found.created_at < expired_before:
        session.delete(found)
        session.flush()
        found = None
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(IdempotencyKey(tenant_id=tenant_id, user_id=user_id, key=key,
                                       fingerprint=fingerprint, state="running", headers={},
                                       created_at=now))
    except IntegrityError:  # another request took it between our read and insert
        return session.get(IdempotencyKey, (tenant_id, user_id, key))
    return None


def keep(session: Session, tenant_id: int, user_id: int, key: str, status: int,
         headers: dict[str, Any], body: bytes) -> None:
    row = session.get(IdempotencyKey, (tenant_id, user_id, key))
    if row is not None:
        row.state, row.status, row.headers, row.body = "done", status, headers, body


def forget(session: Session, tenant_id: int, user_id: int, key: str) -> None:
    session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.user_id == user_id,
        IdempotencyKey.key == key))


def purge(session: Session, before: datetime) -> int:
    old = session.execute(select(IdempotencyKey.key).where(
        IdempotencyKey.created_at < before)).all()
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < before))
    return len(old)
