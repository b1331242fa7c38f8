"""backfilled follow-up: historical rounds and activities recorded afterwards

A round entered afterwards for a past year (past deadline, the agreements active in its year,
acceptances dated within the year) and a mark on activities recorded afterwards (issue 16).

Revision ID: 7b2e9d4c1a05
Revises: c0f7a1d2e3b4
Create Date: 2026-12-06 14:30:00.000000+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b2e9d4c1a05'
down_revision = "c0f7a1d2e3b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('follow_up_round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_historical', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('follow_up_activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backfilled', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('follow_up_activity', schema=None) as batch_op:
        batch_op.drop_column('backfilled')
    with op.batch_alter_table('follow_up_round', schema=None) as batch_op:
        batch_op.drop_column('is_historical')
