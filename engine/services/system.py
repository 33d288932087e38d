"""Operator use cases: migrate the database, report its health."""

from __future__ import annotations

from dataclasses import dataclass

from engine.store import migrate
from engine.store.db import Store


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    ok: bool
    backend: str
    revision: str | None
    migrated: bool
    error: str | None = None


def upgrade_database(store: Store) -> tuple[str | None, str | None]:
    """Migrate to the newest schema; return (revision before, revision after)."""
    before = migrate.current_revision(store)
    migrate.upgrade(store)
    return before, migrate.current_revision(store)


def database_health(store: Store) -> DatabaseHealth:
    try:
        revision = migrate.current_revision(store)
    except Exception as exc:  # any failure to reach the database is "not ok"
        return DatabaseHealth(False, store.backend, None, False, type(exc).__name__)
    return DatabaseHealth(True, store.backend, revision, revision == migrate.head_revision(store))


def grant_app_role(store: Store, role: str) -> None:
    """Give the application's non-owner database role the rights it needs."""
    migrate.grant_app_role(store, role)
