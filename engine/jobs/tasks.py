"""Job functions. Module-level, arguments are plain ids and strings, results are
JSON-friendly values: a queue may serialise both and run them in another process."""

from __future__ import annotations

from typing import Any

from engine.jobs import runtime
from engine.services import audit, idempotency, posting, timers
from engine.services.context import utcnow


def verify_audit(tenant_slug: str | None = None) -> dict[str, Any]:
    """Verify audit chains in the background; returns a summary per tenant."""
    reports = audit.verify(runtime.store(), tenant_slug)
    return {
        r.tenant_slug: {"events": r.events, "problems": [p.code for p in r.problems]}
        for r in reports
    }


def expire_reservations() -> int:
    """Expire reservations whose time ran out (a periodic job)."""
    return posting.expire_due(runtime.store())


def tick_timers() -> int:
    """Fire the durable timers that are due (a periodic job)."""
    return timers.tick(runtime.store())


def purge_idempotency_keys() -> int:
    """Forget API idempotency keys older than a day (a periodic job)."""
    return idempotency.purge(runtime.store(), utcnow())
