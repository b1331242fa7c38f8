"""Structured corrective action plans: the plan's actions with responsible and deadline

Revision ID: 7c1d2e3f4a5b
Revises: 7b2e9d4c1a05
Create Date: 2026-12-06 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '7c1d2e3f4a5b'
down_revision = '7b2e9d4c1a05'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deviation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_actions', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('deviation', schema=None) as batch_op:
        batch_op.drop_column('plan_actions')
