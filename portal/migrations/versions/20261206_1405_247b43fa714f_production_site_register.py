"""production site register

The supplier's own production sites, once per supplier and year (issue 14, part 4): the
fields of the questionnaire's site table (DOMAIN 4.3), names unique per supplier and year.

Revision ID: 247b43fa714f
Revises: 5e7a9c1d2b34
Create Date: 2026-12-06 14:05:21.284162+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '247b43fa714f'
down_revision = '5e7a9c1d2b34'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('production_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('city', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('tier', sa.String(length=3), nullable=False),
    sa.Column('products', sa.String(length=500), nullable=False),
    sa.Column('relation', sa.String(length=20), nullable=False),
    sa.Column('workers', sa.Integer(), nullable=True),
    sa.Column('women_pct', sa.Integer(), nullable=True),
    sa.Column('migrant_workers', sa.String(length=10), nullable=False),
    sa.Column('worker_representation', sa.String(length=30), nullable=False),
    sa.Column('last_audit_scheme', sa.String(length=20), nullable=False),
    sa.Column('last_audit_date', sa.Date(), nullable=True),
    sa.Column('certifications', sa.JSON(), nullable=False),
    sa.Column('is_confidential', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('women_pct IS NULL OR (women_pct >= 0 AND women_pct <= 100)', name=op.f('ck_production_site_women_pct_is_share')),
    sa.CheckConstraint('workers IS NULL OR workers >= 0', name=op.f('ck_production_site_workers_not_negative')),
    sa.CheckConstraint('year >= 2000 AND year <= 2100', name=op.f('ck_production_site_year_plausible')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_production_site_created_by_id_user')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_production_site_supplier_id_supplier')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_production_site_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_production_site')),
    sa.UniqueConstraint('supplier_id', 'year', 'name', name=op.f('uq_production_site_supplier_id_year_name'))
    )
    with op.batch_alter_table('production_site', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_production_site_supplier_id'), ['supplier_id'], unique=False)



def downgrade():
    with op.batch_alter_table('production_site', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_production_site_supplier_id'))

    op.drop_table('production_site')
