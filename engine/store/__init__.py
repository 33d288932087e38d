"""The only place that talks SQL.

``engine.store`` owns the SQLAlchemy models, the database engine set-up for SQLite and
PostgreSQL, the transaction helper with bounded retries, Alembic migrations, and the
repositories that services call. Nothing outside this package imports SQLAlchemy.
"""

from engine.store import doc_tables, ledger_tables, tenancy  # noqa: F401  (tables, RLS hook)
from engine.store.db import Store, normalize_url

__all__ = ["Store", "normalize_url"]
