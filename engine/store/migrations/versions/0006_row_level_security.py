"""row-level security on every tenant-owned table (PostgreSQL)

Revision ID: 0006_rls
Revises: 0005_idempotency
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = '0006_rls'
down_revision = '0005_idempotency'
branch_labels = None
depends_on = None

# Every table with a tenant_id column when this migration was written. A test checks
# the catalogue: each tenant-owned table must be under the policy, FORCEd.
TENANT_TABLES = (
    "api_tokens", "audit_events", "audit_heads", "definitions", "departments", "documents",
    "idempotency_keys", "items", "locations", "outbox", "postings", "roles",
    "serial_counters", "template_installs", "balances", "batches", "boms", "count_sessions",
    "doc_events", "doc_tasks", "memberships", "reservations", "timers", "unit_conversions",
    "valuation_states", "bom_lines", "cost_layers", "membership_roles", "movements",
)


# Unset or empty: no scope (the CLI, jobs, sign-in); otherwise exactly that tenant.
POLICY_FUNCTION = """
CREATE OR REPLACE FUNCTION flowledger_tenant_visible(row_tenant bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN coalesce(current_setting('flowledger.tenant', true), '') = '' THEN true
                ELSE row_tenant = current_setting('flowledger.tenant', true)::bigint END
$$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(POLICY_FUNCTION)
    for table in TENANT_TABLES:
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        op.execute(f'CREATE POLICY tenant_isolation ON "{table}" '
                   "USING (flowledger_tenant_visible(tenant_id)) "
                   "WITH CHECK (flowledger_tenant_visible(tenant_id))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TENANT_TABLES:
        op.execute(f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    op.execute("DROP FUNCTION IF EXISTS flowledger_tenant_visible(bigint)")
