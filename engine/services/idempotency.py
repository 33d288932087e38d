"""API idempotency keys kept in the database, so every web process sees them.

``begin`` claims a key for a request (or reports the first response to replay, a
different request under the same key, or one still running); ``finish`` keeps the
response; ``release`` frees the key when the request failed (errors change nothing,
so a retry runs again). Keys are forgotten after a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.store import idempotency_repo as repo
from engine.store.db import Store
from engine.store.uow import UnitOfWork, transaction

TTL = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: str  # new | replay | mismatch | in_progress
    status: int | None = None
    headers: dict[str, Any] | None = None
    body: bytes | None = None


def begin(store: Store, tenant_id: int, user_id: int, key: str, fingerprint: str,
          now: datetime) -> Claim:
    def work(uow: UnitOfWork) -> Claim:
        row = repo.claim(uow.session, tenant_id, user_id, key, fingerprint, now, now - TTL)
        if row is None:
            return Claim("new")
        if row.fingerprint != fingerprint:
            return Claim("mismatch")
        if row.state != "done":
            return Claim("in_progress")
        return Claim("replay", row.status, dict(row.headers), row.body)

    return transaction(store, work)


def finish(store: Store, tenant_id: int, user_id: int, key: str, status: int,
           headers: dict[str, Any], body: bytes) -> None:
    transaction(store, lambda uow: repo.keep(uow.session, tenant_id, user_id, key, status,
                                             headers, body))


def release(store: Store, tenant_id: int, user_id: int, key: str) -> None:
    transaction(store, lambda uow: repo.forget(uow.session, tenant_id, user_id, key))


def purge(store: Store, now: datetime) -> int:
    """Forget keys older than a day (a periodic job); return how many."""
    return transaction(store, lambda uow: repo.purge(uow.session, now - TTL))
