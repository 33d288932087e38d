"""The unit of work that services receive: one transaction, its repositories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from engine.store.audit_repo import AuditRepo
from engine.store.db import Store
from engine.store.identity_repo import IdentityRepo

T = TypeVar("T")


class UnitOfWork:
    """Repositories over one open transaction. Created by :func:`transaction` only.

    ``memo`` holds what services read once per transaction although several steps
    ask for it (a form's published versions, its access setting): a service that
    writes such a value in the transaction drops its entry. A retried transaction
    gets a new unit of work, so nothing read in a failed attempt survives it."""

    def __init__(self, session: Session, backend: str, store_url: str = "") -> None:
        self.session = session
        self.backend = backend
        self.store_url = store_url
        self.identity = IdentityRepo(session)
        self.audit = AuditRepo(session)
        self.memo: dict[tuple[Any, ...], Any] = {}


def transaction(store: Store, work: Callable[[UnitOfWork], T], *, write: bool = True,
                consistent: bool = False) -> T:
    """Run ``work`` in one transaction (retried on serialization failures)."""
    return store.run(lambda session: work(UnitOfWork(session, store.backend, store.url)),
                     write=write, consistent=consistent)
