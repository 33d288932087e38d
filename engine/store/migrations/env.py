"""Alembic environment: migrations run in batch mode so SQLite ALTERs work."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from engine.store.db import make_engine
from engine.store.models import Base
from engine.store.types import ScaledDecimal

config = context.config
target_metadata = Base.metadata


def _render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """Migrations name the stored type: a scaled decimal is a BIGINT on disk."""
    if kind == "type" and isinstance(obj, ScaledDecimal):
        return "sa.BigInteger()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():  # pragma: no cover - offline SQL generation is not offered
    raise SystemExit("offline migrations are not supported; run `flowledger db upgrade`")
run_migrations_online()
