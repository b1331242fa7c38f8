"""Clarification replies: the supplier's reply to the reviewer per reopened question

Revision ID: 4e8a2b6c9d10
Revises: 5e8a1c3b9d27
Create Date: 2026-12-06 17:15:00

"""
import sqlalchemy as sa
from alembic import op

revision = '4e8a2b6c9d10'
down_revision = '5e8a1c3b9d27'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('clarification_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clarification_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['clarification_id'], ['clarification.id'], name=op.f('fk_clarification_reply_clarification_id_clarification'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_clarification_reply_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clarification_reply')),
    sa.UniqueConstraint('clarification_id', 'question_id', name=op.f('uq_clarification_reply_clarification_id_question_id'))
    )
    with op.batch_alter_table('clarification_reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clarification_reply_clarification_id'), ['clarification_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('clarification_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clarification_reply_clarification_id'))
    op.drop_table('clarification_reply')
