"""response shares: a supplier shares a submission with another buyer

The supplier's consent (``response_share``, owned by the receiving buyer), the receiving
buyer's own verdicts on a shared submission (``share_review``), and two new kinds of follow-up
activity that rest on a share: ``shared_self_assessment`` and ``reused_follow_up``, with the
share, the source buyer's name and the source's date on the activity.

Revision ID: 5e7a9c1d2b34
Revises: 0f8903bc226c
Create Date: 2026-12-06 14:00:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7a9c1d2b34'
down_revision = '0f8903bc226c'
branch_labels = None
depends_on = None

OLD_KINDS = ("kind IN ('questionnaire_reviewed', 'status_meeting', 'document_review', "
             "'site_audit', 'social_dialogue_evidence_reviewed', 'spot_check', "
             "'supply_chain_info_request')")
NEW_KINDS = ("kind IN ('questionnaire_reviewed', 'status_meeting', 'document_review', "
             "'site_audit', 'social_dialogue_evidence_reviewed', 'spot_check', "
             "'supply_chain_info_request', 'shared_self_assessment', 'reused_follow_up')")
SHARED_HAVE_SHARE = ("(kind IN ('shared_self_assessment', 'reused_follow_up')) = "
                     "(share_id IS NOT NULL)")


def upgrade():
    op.create_table('response_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('submission_number', sa.Integer(), nullable=False),
    sa.Column('source_buyer_id', sa.Integer(), nullable=False),
    sa.Column('source_buyer_name', sa.String(length=200), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyer.id'], name=op.f('fk_response_share_buyer_id_buyer')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'], name=op.f('fk_response_share_granted_by_id_user')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_response_share_response_id_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_response_share_revoked_by_id_user')),
    sa.ForeignKeyConstraint(['source_buyer_id'], ['buyer.id'], name=op.f('fk_response_share_source_buyer_id_buyer')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_response_share_submission_id_submission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_response_share_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_share'))
    )
    with op.batch_alter_table('response_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_share_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_share_response_id'), ['response_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_share_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('share_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('share_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=20), nullable=False),
    sa.Column('verdict', sa.String(length=10), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("verdict IS NULL OR verdict IN ('meets', 'partly', 'not_met', 'na')", name=op.f('ck_share_review_verdict_known')),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyer.id'], name=op.f('fk_share_review_buyer_id_buyer')),
    sa.ForeignKeyConstraint(['share_id'], ['response_share.id'], name=op.f('fk_share_review_share_id_response_share'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_share_review_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_review')),
    sa.UniqueConstraint('share_id', 'question_id', name=op.f('uq_share_review_share_id_question_id'))
    )
    with op.batch_alter_table('share_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_review_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_review_share_id'), ['share_id'], unique=False)

    with op.batch_alter_table('follow_up_activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source_buyer_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('source_date', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_follow_up_activity_share_id'), ['share_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_follow_up_activity_share_id_response_share'), 'response_share', ['share_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_follow_up_activity_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_follow_up_activity_kind_known'), NEW_KINDS)
        batch_op.create_check_constraint(op.f('ck_follow_up_activity_shared_kinds_have_share'), SHARED_HAVE_SHARE)


def downgrade():
    # The shared kinds do not exist before this revision: their activities go with the shares.
    op.execute(sa.text("DELETE FROM attachment WHERE activity_id IN (SELECT id FROM follow_up_activity "
                       "WHERE share_id IS NOT NULL)"))
    op.execute(sa.text("DELETE FROM follow_up_activity WHERE share_id IS NOT NULL"))
    with op.batch_alter_table('follow_up_activity', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_follow_up_activity_shared_kinds_have_share'), type_='check')
        batch_op.drop_constraint(op.f('ck_follow_up_activity_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_follow_up_activity_kind_known'), OLD_KINDS)
        batch_op.drop_constraint(batch_op.f('fk_follow_up_activity_share_id_response_share'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_follow_up_activity_share_id'))
        batch_op.drop_column('source_date')
        batch_op.drop_column('source_buyer_name')
        batch_op.drop_column('share_id')

    with op.batch_alter_table('share_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_review_share_id'))
        batch_op.drop_index(batch_op.f('ix_share_review_buyer_id'))
    op.drop_table('share_review')
    with op.batch_alter_table('response_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_share_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_response_share_response_id'))
        batch_op.drop_index(batch_op.f('ix_response_share_buyer_id'))
    op.drop_table('response_share')
