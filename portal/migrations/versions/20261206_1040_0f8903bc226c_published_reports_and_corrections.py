"""published reports and corrections

A buyer's published year reports: each version's JSON documents (figures, texts, warnings)
and its stored exports. Follow-up activities can be withdrawn with a reason: three new
columns, empty for every existing activity (none is withdrawn).

Revision ID: 0f8903bc226c
Revises: 92889af855e6
Create Date: 2026-12-06 09:57:09.773410+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0f8903bc226c'
down_revision = '92889af855e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('published_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status_as_of', sa.Date(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('exports_stored_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exports_problem', sa.Text(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_published_report_version_positive')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_published_report_year_plausible')),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyer.id'], name=op.f('fk_published_report_buyer_id_buyer')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_published_report_published_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_report')),
    sa.UniqueConstraint('buyer_id', 'year', 'version', name=op.f('uq_published_report_buyer_id_year_version'))
    )
    with op.batch_alter_table('published_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_published_report_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_published_report_year'), ['year'], unique=False)

    op.create_table('published_report_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=4), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('stored_name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.CheckConstraint("format IN ('pdf', 'xlsx', 'json', 'csv')", name=op.f('ck_published_report_file_format_known')),
    sa.ForeignKeyConstraint(['report_id'], ['published_report.id'], name=op.f('fk_published_report_file_report_id_published_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stored_name'], ['stored_object.key'], name=op.f('fk_published_report_file_stored_name_stored_object')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_report_file')),
    sa.UniqueConstraint('report_id', 'format', 'locale', 'name', name=op.f('uq_published_report_file_report_id_format_locale_name'))
    )
    with op.batch_alter_table('published_report_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_published_report_file_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_published_report_file_stored_name'), ['stored_name'], unique=False)


    with op.batch_alter_table('follow_up_activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_follow_up_activity_withdrawn_by_id_user'), 'user', ['withdrawn_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('follow_up_activity', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_follow_up_activity_withdrawn_by_id_user'), type_='foreignkey')
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')

    with op.batch_alter_table('published_report_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_published_report_file_stored_name'))
        batch_op.drop_index(batch_op.f('ix_published_report_file_report_id'))

    op.drop_table('published_report_file')
    with op.batch_alter_table('published_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_published_report_year'))
        batch_op.drop_index(batch_op.f('ix_published_report_buyer_id'))

    op.drop_table('published_report')
