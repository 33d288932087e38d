"""documents more: per-form access, unique field values, attachments

Revision ID: 0007_documents_more
Revises: 0006_rls
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types


revision = '0007_documents_more'
down_revision = '0006_rls'
branch_labels = None
depends_on = None

# New tenant-owned tables, under 0006's row-level security policy (PostgreSQL).
TENANT_TABLES = ("form_access", "attachments", "document_unique_values")


def upgrade() -> None:
    op.create_table('form_access',
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('form_key', sa.String(length=63), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('updated_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=150), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_form_access_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'form_key', name=op.f('pk_form_access'))
    )
    op.create_table('attachments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('field', sa.String(length=63), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=127), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('created_by', sa.String(length=150), nullable=False),
    sa.Column('created_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'document_id'], ['documents.tenant_id', 'documents.id'], name=op.f('fk_attachments_tenant_id_document_id_documents')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_attachments_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('tenant_id', 'storage_key', name=op.f('uq_attachments_tenant_id_storage_key'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_document', ['tenant_id', 'document_id'], unique=False)

    op.create_table('document_unique_values',
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('form_key', sa.String(length=63), nullable=False),
    sa.Column('field', sa.String(length=63), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'document_id'], ['documents.tenant_id', 'documents.id'], name=op.f('fk_document_unique_values_tenant_id_document_id_documents')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_document_unique_values_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'form_key', 'field', 'value', name=op.f('pk_document_unique_values'))
    )
    with op.batch_alter_table('document_unique_values', schema=None) as batch_op:
        batch_op.create_index('ix_document_unique_values_document', ['tenant_id', 'document_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
            op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
            op.execute(f'CREATE POLICY tenant_isolation ON "{table}" '
                       "USING (flowledger_tenant_visible(tenant_id)) "
                       "WITH CHECK (flowledger_tenant_visible(tenant_id))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            op.execute(f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"')
    with op.batch_alter_table('document_unique_values', schema=None) as batch_op:
        batch_op.drop_index('ix_document_unique_values_document')

    op.drop_table('document_unique_values')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_document')

    op.drop_table('attachments')
    op.drop_table('form_access')
