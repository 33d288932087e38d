"""Audit use cases: verify each tenant's hash chain."""

from __future__ import annotations

from dataclasses import dataclass

from engine.audit import verify_chain
from engine.errors import Problem
from engine.store.db import Store
from engine.store.uow import UnitOfWork, transaction


@dataclass(frozen=True, slots=True)
class ChainReport:
    tenant_slug: str
    events: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(store: Store, tenant_slug: str | None = None) -> list[ChainReport]:
    """Check the audit chain of one tenant, or of every tenant."""
    def work(uow: UnitOfWork) -> list[ChainReport]:
        reports = []
        for tenant in uow.identity.tenants():
            if tenant_slug is not None and tenant.slug != tenant_slug:
                continue
            events, head = uow.audit.chain(tenant.id)
            reports.append(ChainReport(tenant.slug, len(events),
                                       tuple(verify_chain(events, head))))
        return reports

    return transaction(store, work, write=False)
