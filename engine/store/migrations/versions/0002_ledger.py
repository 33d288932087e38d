"""ledger: master data, journal, balances, reservations, postings, counts, valuation

Revision ID: 0002_ledger
Revises: 0001_identity
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types


revision = '0002_ledger'
down_revision = '0001_identity'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=63), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('base_unit', sa.String(length=20), nullable=False),
    sa.Column('tracking', sa.String(length=20), nullable=False),
    sa.Column('valuation', sa.String(length=20), nullable=False),
    sa.Column('reorder_point', sa.BigInteger(), nullable=False),
    sa.Column('safety_stock', sa.BigInteger(), nullable=False),
    sa.Column('allow_negative', sa.Boolean(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_items_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_items_tenant_id_code')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_items_tenant_id_id'))
    )
    op.create_table('locations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=63), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('allow_negative', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'parent_id'], ['locations.tenant_id', 'locations.id'], name=op.f('fk_locations_tenant_id_parent_id_locations')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_locations_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_locations_tenant_id_code')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_locations_tenant_id_id'))
    )
    op.create_table('postings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('operation', sa.String(length=20), nullable=False),
    sa.Column('posted_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_postings_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postings')),
    sa.UniqueConstraint('tenant_id', 'key', name=op.f('uq_postings_tenant_id_key'))
    )
    op.create_table('balances',
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('batch_key', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('on_hand', sa.BigInteger(), nullable=False),
    sa.Column('reserved', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_balances_reserved_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'item_id'], ['items.tenant_id', 'items.id'], name=op.f('fk_balances_tenant_id_item_id_items')),
    sa.ForeignKeyConstraint(['tenant_id', 'location_id'], ['locations.tenant_id', 'locations.id'], name=op.f('fk_balances_tenant_id_location_id_locations')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_balances_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'item_id', 'location_id', 'batch_key', name=op.f('pk_balances'))
    )
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.create_index('ix_balances_location', ['tenant_id', 'location_id'], unique=False)

    op.create_table('batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=63), nullable=False),
    sa.Column('production_date', sa.Date(), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('first_receipt_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'item_id'], ['items.tenant_id', 'items.id'], name=op.f('fk_batches_tenant_id_item_id_items')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_batches_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batches')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_batches_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'item_id', 'code', name=op.f('uq_batches_tenant_id_item_id_code'))
    )
    op.create_table('boms',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('output_qty', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'item_id'], ['items.tenant_id', 'items.id'], name=op.f('fk_boms_tenant_id_item_id_items')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_boms_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boms')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_boms_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'item_id', 'kind', name=op.f('uq_boms_tenant_id_item_id_kind'))
    )
    op.create_table('count_sessions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('document_id', sa.BigInteger(), nullable=True),
    sa.Column('opened_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('closed_at', engine.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'location_id'], ['locations.tenant_id', 'locations.id'], name=op.f('fk_count_sessions_tenant_id_location_id_locations')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_count_sessions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_sessions'))
    )
    with op.batch_alter_table('count_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_count_sessions_open', ['tenant_id', 'location_id', 'state'], unique=False)

    op.create_table('reservations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('document_id', sa.BigInteger(), nullable=False),
    sa.Column('document_version', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=False),
    sa.Column('event', sa.String(length=63), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=False),
    sa.Column('posting_key', sa.String(length=255), nullable=False),
    sa.Column('expires_at', engine.store.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint('qty > 0', name=op.f('ck_reservations_qty_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'item_id'], ['items.tenant_id', 'items.id'], name=op.f('fk_reservations_tenant_id_item_id_items')),
    sa.ForeignKeyConstraint(['tenant_id', 'location_id'], ['locations.tenant_id', 'locations.id'], name=op.f('fk_reservations_tenant_id_location_id_locations')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reservations_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index('ix_reservations_document', ['tenant_id', 'document_id', 'state'], unique=False)
        batch_op.create_index('ix_reservations_due', ['state', 'expires_at'], unique=False)

    op.create_table('unit_conversions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('factor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'item_id'], ['items.tenant_id', 'items.id'], name=op.f('fk_unit_conversions_tenant_id_item_id_items')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_unit_conversions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_conversions')),
    sa.UniqueConstraint('tenant_id', 'item_id', 'unit', name=op.f('uq_unit_conversions_tenant_id_item_id_unit'))
    )
    op.create_table('valuation_states',
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('short_qty', sa.BigInteger(), nullable=False),
    sa.Column('short_value', sa.BigInteger(), nullable=False),
    sa.Column('last_unit_cost', sa.BigInteger(), nullable=False),
    sa.Column('next_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'item_id'], ['items.tenant_id', 'items.id'], name=op.f('fk_valuation_states_tenant_id_item_id_items')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_valuation_states_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'item_id', name=op.f('pk_valuation_states'))
    )
    op.create_table('bom_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bom_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=True),
    sa.Column('loss_pct', sa.BigInteger(), nullable=False),
    sa.Column('yield_pct', sa.BigInteger(), nullable=False),
    sa.Column('phantom', sa.Boolean(), nullable=False),
    sa.Column('max_depth', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'bom_id'], ['boms.tenant_id', 'boms.id'], name=op.f('fk_bom_lines_tenant_id_bom_id_boms')),
    sa.ForeignKeyConstraint(['tenant_id', 'component_id'], ['items.tenant_id', 'items.id'], name=op.f('fk_bom_lines_tenant_id_component_id_items')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_bom_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bom_lines'))
    )
    with op.batch_alter_table('bom_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bom_lines_bom_id'), ['bom_id'], unique=False)

    op.create_table('cost_layers',
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'item_id'], ['valuation_states.tenant_id', 'valuation_states.item_id'], name=op.f('fk_cost_layers_tenant_id_item_id_valuation_states')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_cost_layers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'item_id', 'seq', name=op.f('pk_cost_layers'))
    )
    op.create_table('movements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('from_location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('to_location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('unit_cost', sa.BigInteger(), nullable=True),
    sa.Column('value', sa.BigInteger(), nullable=True),
    sa.Column('document_id', sa.BigInteger(), nullable=False),
    sa.Column('document_version', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=False),
    sa.Column('event', sa.String(length=63), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('posting_key', sa.String(length=255), nullable=False),
    sa.Column('posted_at', engine.store.types.UTCDateTime(), nullable=False),
    sa.Column('reversal_of', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('from_location_id <> to_location_id', name=op.f('ck_movements_two_places')),
    sa.CheckConstraint('qty > 0', name=op.f('ck_movements_qty_positive')),
    sa.ForeignKeyConstraint(['reversal_of'], ['movements.id'], name=op.f('fk_movements_reversal_of_movements')),
    sa.ForeignKeyConstraint(['tenant_id', 'batch_id'], ['batches.tenant_id', 'batches.id'], name=op.f('fk_movements_tenant_id_batch_id_batches')),
    sa.ForeignKeyConstraint(['tenant_id', 'from_location_id'], ['locations.tenant_id', 'locations.id'], name=op.f('fk_movements_tenant_id_from_location_id_locations')),
    sa.ForeignKeyConstraint(['tenant_id', 'item_id'], ['items.tenant_id', 'items.id'], name=op.f('fk_movements_tenant_id_item_id_items')),
    sa.ForeignKeyConstraint(['tenant_id', 'to_location_id'], ['locations.tenant_id', 'locations.id'], name=op.f('fk_movements_tenant_id_to_location_id_locations')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_movements_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movements')),
    sa.UniqueConstraint('reversal_of', name=op.f('uq_movements_reversal_of')),
    sa.UniqueConstraint('tenant_id', 'key', name=op.f('uq_movements_tenant_id_key'))
    )
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.create_index('ix_movements_document', ['tenant_id', 'document_id'], unique=False)
        batch_op.create_index('ix_movements_item_time', ['tenant_id', 'item_id', 'posted_at'], unique=False)

    # The journal is append-only (DESIGN.md §4, invariant 1): corrections are reversals.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION flowledger_journal_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'movements are append-only: post a reversal instead';
            END $$ LANGUAGE plpgsql""")
        op.execute("""
            CREATE TRIGGER movements_append_only BEFORE UPDATE OR DELETE ON movements
            FOR EACH ROW EXECUTE FUNCTION flowledger_journal_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER movements_no_{verb.lower()} BEFORE {verb} ON movements
                BEGIN SELECT RAISE(ABORT, 'movements are append-only: post a reversal instead');
                END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER movements_append_only ON movements")
        op.execute("DROP FUNCTION flowledger_journal_append_only()")
    else:
        op.execute("DROP TRIGGER movements_no_update")
        op.execute("DROP TRIGGER movements_no_delete")
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.drop_index('ix_movements_item_time')
        batch_op.drop_index('ix_movements_document')

    op.drop_table('movements')
    op.drop_table('cost_layers')
    with op.batch_alter_table('bom_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bom_lines_bom_id'))

    op.drop_table('bom_lines')
    op.drop_table('valuation_states')
    op.drop_table('unit_conversions')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_due')
        batch_op.drop_index('ix_reservations_document')

    op.drop_table('reservations')
    with op.batch_alter_table('count_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_count_sessions_open')

    op.drop_table('count_sessions')
    op.drop_table('boms')
    op.drop_table('batches')
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.drop_index('ix_balances_location')

    op.drop_table('balances')
    op.drop_table('postings')
    op.drop_table('locations')
    op.drop_table('items')
