"""archived agreements and suppliers

An agreement, and a supplier in one buyer's register, can be archived instead of deleted:
it leaves that buyer's lists and pickers and stays in history and reports.

Revision ID: a3c1f2e4b5d6
Revises: 1db7513d50e5
Create Date: 2026-12-06 10:20:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c1f2e4b5d6'
down_revision = '1db7513d50e5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agreement') as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('buyer_supplier') as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('buyer_supplier') as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('agreement') as batch_op:
        batch_op.drop_column('archived_at')
