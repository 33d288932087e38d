"""Run Alembic migrations programmatically: the only way the schema is made."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.store.db import Store


def alembic_config(store: Store) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("engine.store") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    return cfg


def upgrade(store: Store, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest)."""
    cfg = alembic_config(store)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(store: Store) -> str | None:
    return ScriptDirectory.from_config(alembic_config(store)).get_current_head()


def is_up_to_date(store: Store) -> bool:
    return current_revision(store) == head_revision(store)


def grant_app_role(store: Store, role: str) -> None:
    """Let a non-owner role use the schema's tables (PostgreSQL): the web processes and
    workers connect as it, so row-level security binds them even though the owner's
    migrations created the tables."""
    if store.backend != "postgresql":
        return
    if not role.replace("_", "").isalnum():
        raise ValueError(f"not a role name: {role!r}")
    with store.engine.begin() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        conn.exec_driver_sql(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA '
                             f'"{schema}" TO "{role}"')
        conn.exec_driver_sql(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" '
                             f'TO "{role}"')
        conn.exec_driver_sql(f'REVOKE UPDATE, DELETE ON "{schema}".movements, '
                             f'"{schema}".audit_events FROM "{role}"')
