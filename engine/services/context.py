"""Who is calling, from where: passed explicitly into every service call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.audit import digest
from engine.store import tenancy
from engine.store.uow import UnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CallContext:
    """The actor and request a service call acts for (audit and permissions read it)."""

    actor_id: int | None = None
    actor_label: str = "system"
    client_addr: str | None = None
    request_id: str | None = None
    clock: Callable[[], datetime] = field(default=utcnow, compare=False)

    def now(self) -> datetime:
        return self.clock()


SYSTEM = CallContext()


def audit(
    uow: UnitOfWork,
    ctx: CallContext,
    *,
    tenant_id: int,
    object_type: str,
    object_id: object,
    action: str,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append the call's one audit event. Call it last, right before the commit."""
    uow.audit.append(audit_fields(
        ctx, tenant_id=tenant_id, object_type=object_type, object_id=object_id, action=action,
        before=before, after=after, detail=detail))


def audit_fields(
    ctx: CallContext,
    *,
    tenant_id: int,
    object_type: str,
    object_id: object,
    action: str,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The fields of an audit event (for ``uow.audit.prepare`` when the event is
    worked out before the locks are taken, and appended after)."""
    return {
        "tenant_id": tenant_id,
        "occurred_at": ctx.now(),
        "actor_id": ctx.actor_id,
        "actor_label": ctx.actor_label,
        "client_addr": ctx.client_addr,
        "request_id": ctx.request_id,
        "object_type": object_type,
        "object_id": str(object_id),
        "action": action,
        "before_digest": digest(before),
        "after_digest": digest(after),
        "detail": detail or {},
    }


def enter_tenant(tenant_id: int) -> Any:
    """Scope the rest of this context (a web request) to one tenant: on PostgreSQL, row-
    level security then hides every other tenant's rows. Returns a token for
    :func:`leave_tenant`."""
    return tenancy.enter(tenant_id)


def leave_tenant(token: Any) -> None:
    tenancy.leave(token)
