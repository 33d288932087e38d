"""The schema is made only by migrations, and the migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.store import Store
from engine.store.migrate import current_revision, head_revision, is_up_to_date, upgrade
from engine.store.models import Base


def test_models_and_migrations_agree(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_upgrade_is_idempotent(store: Store) -> None:
    assert is_up_to_date(store)
    before = current_revision(store)
    upgrade(store)
    assert current_revision(store) == before == head_revision(store)


def test_every_tenant_owned_table_has_tenant_id() -> None:
    global_tables = {"tenants", "users"}
    for table in Base.metadata.sorted_tables:
        if table.name not in global_tables:
            assert "tenant_id" in table.c, f"{table.name} lacks tenant_id"
