"""documents: definitions, documents, tasks, timeline, timers, serial counters, outbox

Revision ID: 0003_documents
Revises: 0002_ledger
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types


revision = '0003_documents'
down_revision = '0002_ledger'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('definitions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=63), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('source', sa.JSON(), nullable=False),
    sa.Column('created_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('published_at', engine.store.types.UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_definitions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_definitions')),
    sa.UniqueConstraint('tenant_id', 'kind', 'key', 'version', name=op.f('uq_definitions_tenant_id_kind_key_version'))
    )
    with op.batch_alter_table('definitions', schema=None) as batch_op:
        batch_op.create_index('ix_definitions_lookup', ['tenant_id', 'kind', 'key', 'state'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('form_key', sa.String(length=63), nullable=False),
    sa.Column('form_version', sa.Integer(), nullable=False),
    sa.Column('flow_version', sa.Integer(), nullable=True),
    sa.Column('rules_version', sa.Integer(), nullable=True),
    sa.Column('serial', sa.String(length=63), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('flow', sa.JSON(), nullable=True),
    sa.Column('submitter', sa.String(length=150), nullable=False),
    sa.Column('submitter_id', sa.BigInteger(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', engine.store.types.UTCDateTime(), nullable=True),
    sa.Column('finished_at', engine.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_documents_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('tenant_id', 'form_key', 'serial', name=op.f('uq_documents_tenant_id_form_key_serial')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_documents_tenant_id_id'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_form', ['tenant_id', 'form_key', 'status'], unique=False)
        batch_op.create_index('ix_documents_submitter', ['tenant_id', 'submitter', 'status'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('topic', sa.String(length=63), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', engine.store.types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_outbox_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['delivered_at', 'id'], unique=False)

    op.create_table('serial_counters',
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('form_key', sa.String(length=63), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('last', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_serial_counters_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'form_key', 'scope', name=op.f('pk_serial_counters'))
    )
    op.create_table('doc_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=150), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('node', sa.String(length=63), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'document_id'], ['documents.tenant_id', 'documents.id'], name=op.f('fk_doc_events_tenant_id_document_id_documents')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_doc_events_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_doc_events'))
    )
    with op.batch_alter_table('doc_events', schema=None) as batch_op:
        batch_op.create_index('ix_doc_events_actor', ['tenant_id', 'actor'], unique=False)
        batch_op.create_index('ix_doc_events_document', ['tenant_id', 'document_id'], unique=False)

    op.create_table('doc_tasks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_key', sa.String(length=100), nullable=False),
    sa.Column('node', sa.String(length=63), nullable=False),
    sa.Column('assignee', sa.String(length=150), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('decided_at', engine.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'document_id'], ['documents.tenant_id', 'documents.id'], name=op.f('fk_doc_tasks_tenant_id_document_id_documents')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_doc_tasks_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_doc_tasks')),
    sa.UniqueConstraint('tenant_id', 'document_id', 'task_key', name=op.f('uq_doc_tasks_tenant_id_document_id_task_key'))
    )
    with op.batch_alter_table('doc_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_doc_tasks_assignee', ['tenant_id', 'assignee', 'state'], unique=False)

    op.create_table('timers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('node', sa.String(length=63), nullable=False),
    sa.Column('task_key', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('due_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('fired_at', engine.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'document_id'], ['documents.tenant_id', 'documents.id'], name=op.f('fk_timers_tenant_id_document_id_documents')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_timers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timers'))
    )
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.create_index('ix_timers_due', ['state', 'due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_index('ix_timers_due')

    op.drop_table('timers')
    with op.batch_alter_table('doc_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_doc_tasks_assignee')

    op.drop_table('doc_tasks')
    with op.batch_alter_table('doc_events', schema=None) as batch_op:
        batch_op.drop_index('ix_doc_events_document')
        batch_op.drop_index('ix_doc_events_actor')

    op.drop_table('doc_events')
    op.drop_table('serial_counters')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_submitter')
        batch_op.drop_index('ix_documents_form')

    op.drop_table('documents')
    with op.batch_alter_table('definitions', schema=None) as batch_op:
        batch_op.drop_index('ix_definitions_lookup')

    op.drop_table('definitions')
