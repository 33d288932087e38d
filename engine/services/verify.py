"""``flowledger verify``: every ledger invariant, checked on the live database."""

from __future__ import annotations

from dataclasses import dataclass

from engine.ledger.invariants import LedgerData, Violation, check_all
from engine.ledger.model import Balance
from engine.ledger.snapshot import frozen
from engine.store import ledger_rows as rows
from engine.store.db import Store
from engine.store.ledger_repo import LedgerRepo
from engine.store.uow import UnitOfWork, transaction


@dataclass(frozen=True, slots=True)
class LedgerReport:
    tenant_slug: str
    movements: int
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


def ledger_data(uow: UnitOfWork, tenant_id: int) -> LedgerData:
    data = LedgerRepo(uow.session).everything(tenant_id)
    return LedgerData(
        journal=tuple(rows.movement(m) for m in data["movements"]),
        balances=frozen({rows.balance_key(b): Balance(b.on_hand, b.reserved)
                         for b in data["balances"]}),
        reservations=tuple(rows.reservation(r) for r in data["reservations"]),
        items=frozen({i.id: rows.item(i) for i in data["items"]}),
        locations=frozen({loc.id: rows.location(loc) for loc in data["locations"]}),
        batches=frozen({b.id: rows.batch(b) for b in data["batches"]}),
    )


def verify(store: Store, tenant_slug: str | None = None) -> list[LedgerReport]:
    """Run every invariant for one tenant (or all), in one consistent read."""
    def work(uow: UnitOfWork) -> list[LedgerReport]:
        reports = []
        for tenant in uow.identity.tenants():
            if tenant_slug is not None and tenant.slug != tenant_slug:
                continue
            data = ledger_data(uow, tenant.id)
            reports.append(LedgerReport(tenant.slug, len(data.journal),
                                        tuple(check_all(data))))
        return reports

    return transaction(store, work, write=False, consistent=True)
