"""erased users: when a person was erased (GDPR art. 17)

Revision ID: 92889af855e6
Revises: 16d374eb257c
Create Date: 2026-12-06 09:56:10.124645+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '92889af855e6'
down_revision = '16d374eb257c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
