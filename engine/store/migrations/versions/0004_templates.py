"""template installs

Revision ID: 0004_templates
Revises: 0003_documents
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types


revision = '0004_templates'
down_revision = '0003_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('template_installs',
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=63), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('installed_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('upgraded_at', engine.store.types.UTCDateTime(), nullable=True),
    sa.Column('demo_loaded', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_template_installs_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'key', name=op.f('pk_template_installs'))
    )


def downgrade() -> None:
    op.drop_table('template_installs')
