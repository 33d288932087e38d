"""PostgreSQL row-level security: every tenant-owned table is under the tenant policy,
FORCEd, and a scoped transaction cannot see, change or insert another tenant's rows."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from engine.ledger.model import LocationKind
from engine.services import identity, stock
from engine.store import Store, tenancy
from engine.store.migrate import grant_app_role
from engine.store.models import Base

# Row-level security is PostgreSQL's: these run on it alone (no SQLite variant to skip).
ONLY_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
PROBE_ROLE = "flowledger_rls_probe"  # a non-superuser: superusers bypass row security


def plain(url: str) -> tuple[str, str]:
    parsed = make_url(url)
    schema = parsed.query["options"].split("=", 1)[1]
    return parsed.set(drivername="postgresql", query={}).render_as_string(
        hide_password=False), schema


@pytest.mark.postgres
def test_every_tenant_table_is_under_the_forced_policy(pg_schema_url: str) -> None:
    dsn, schema = plain(pg_schema_url)
    tenant_tables = {t.name for t in Base.metadata.sorted_tables if "tenant_id" in t.c}
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = n.nspname "
            "AND p.tablename = c.relname AND p.policyname = 'tenant_isolation') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'", (schema,)).fetchall()
    secured = {name for name, enabled, forced, policy in rows if enabled and forced and policy}
    assert tenant_tables <= secured, f"not under row-level security: {tenant_tables - secured}"
    assert {"tenants", "users"}.isdisjoint(secured)


@ONLY_POSTGRES
def test_a_scoped_transaction_sees_only_its_tenant(store: Store, database_url: str) -> None:
    a, b = (identity.create_tenant(store, slug).id for slug in ("tenant-a", "tenant-b"))
    for tid in (a, b):
        stock.create_item(store, tid, "A1", "Apple", "piece")
        stock.create_location(store, tid, "WH", "Warehouse", LocationKind.WAREHOUSE)
    dsn, schema = plain(database_url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                     f"'{PROBE_ROLE}') THEN CREATE ROLE {PROBE_ROLE} NOLOGIN; END IF; END $$")
    grant_app_role(store, PROBE_ROLE)  # what `flowledger db grant` does
    with psycopg.connect(dsn) as conn:
        conn.execute(f"SET search_path TO \"{schema}\"; SET ROLE {PROBE_ROLE}")
        conn.execute("SELECT set_config('flowledger.tenant', %s, true)", (str(a),))
        seen = conn.execute("SELECT DISTINCT tenant_id FROM items").fetchall()
        assert seen == [(a,)]
        changed = conn.execute("UPDATE items SET name = 'x' WHERE tenant_id = %s", (b,))
        assert changed.rowcount == 0  # invisible, so untouchable
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO items (tenant_id, code, name, base_unit, tracking, "
                         "valuation, reorder_point, safety_stock, allow_negative, attributes) "
                         "VALUES (%s, 'EVIL', 'x', 'piece', 'none', 'fifo', 0, 0, false, '{}')",
                         (b,))
        conn.rollback()
        conn.execute(f"SET search_path TO \"{schema}\"; SET ROLE {PROBE_ROLE}")
        unscoped = conn.execute("SELECT count(DISTINCT tenant_id) FROM items").fetchone()
        assert unscoped == (2,)  # outside a request (CLI, jobs) services filter themselves
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM movements")  # the journal stays append-only


@ONLY_POSTGRES
def test_the_store_sets_the_scope_for_every_transaction(store: Store) -> None:
    with tenancy.scope(42), store.session(write=False) as s:
        from sqlalchemy import text

        assert s.execute(text("SELECT current_setting('flowledger.tenant', true)")
                         ).scalar_one() == "42"
    with store.session(write=False) as s:
        from sqlalchemy import text

        assert s.execute(text("SELECT current_setting('flowledger.tenant', true)")
                         ).scalar_one() in (None, "")
