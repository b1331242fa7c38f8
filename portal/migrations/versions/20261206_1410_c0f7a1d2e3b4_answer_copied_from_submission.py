"""answer copied from submission

A copied answer remembers the earlier submission it was copied from (any response of the
same supplier), so its source can be shown until it is confirmed.

Revision ID: c0f7a1d2e3b4
Revises: 247b43fa714f
Create Date: 2026-12-06 14:10:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0f7a1d2e3b4'
down_revision = '247b43fa714f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('copied_from_submission_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_answer_copied_from_submission_id'), ['copied_from_submission_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_answer_copied_from_submission_id_submission'), 'submission',
                                    ['copied_from_submission_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_answer_copied_from_submission_id_submission'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_answer_copied_from_submission_id'))
        batch_op.drop_column('copied_from_submission_id')
