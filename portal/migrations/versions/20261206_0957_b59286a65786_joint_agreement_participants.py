"""joint agreement participants

The buyers taking part in a joint agreement (felles rammeavtale) led by the agreement's buyer.

Revision ID: b59286a65786
Revises: a3c1f2e4b5d6
Create Date: 2026-12-06 09:57:04.698863+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b59286a65786'
down_revision = 'a3c1f2e4b5d6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agreement_participant',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_participant_agreement_id_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyer.id'], name=op.f('fk_agreement_participant_buyer_id_buyer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agreement_id', 'buyer_id', name=op.f('pk_agreement_participant'))
    )
    with op.batch_alter_table('agreement_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_participant_buyer_id'), ['buyer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('agreement_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_participant_buyer_id'))

    op.drop_table('agreement_participant')
