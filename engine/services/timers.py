"""Durable timers: a tick claims each due timer once and applies its node's timeout
action (remind, auto-approve, auto-reject, escalate) in the same transaction.

Several tick processes may run: on PostgreSQL a claimed row is skipped by the others
(``FOR UPDATE SKIP LOCKED``); SQLite runs write transactions one at a time.
"""

from __future__ import annotations

from datetime import datetime

from engine.services.context import SYSTEM, CallContext
from engine.services.documents import ActionRequest, act_in
from engine.store.db import Store
from engine.store.doc_repo import DocRepo
from engine.store.uow import UnitOfWork, transaction

TIMER_ACTOR = "system:timer"


def tick(store: Store, now: datetime | None = None, *, limit: int = 100,
         ctx: CallContext = SYSTEM) -> int:
    """Fire every timer due at ``now``; return how many fired."""
    at = now or ctx.now()
    acting = CallContext(None, TIMER_ACTOR, ctx.client_addr, ctx.request_id, lambda: at)
    fired = 0
    while fired < limit and transaction(store, lambda uow: _fire_one(uow, at, acting)):
        fired += 1
    return fired


def _fire_one(uow: UnitOfWork, now: datetime, ctx: CallContext) -> bool:
    repo = DocRepo(uow.session)
    claimed = repo.claim_due_timers(now, 1)
    if not claimed:
        return False
    timer = claimed[0]
    doc = repo.document(timer.tenant_id, timer.document_id, lock=True)
    if doc is None or doc.status != "in_approval":
        return True  # the document moved on; the timer is spent
    act_in(uow, timer.tenant_id, TIMER_ACTOR, doc,
           ActionRequest("timeout", task=timer.task_key), ctx)
    return True
