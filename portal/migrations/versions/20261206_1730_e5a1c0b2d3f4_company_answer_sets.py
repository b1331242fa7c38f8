"""company answer sets

A supplier's company answers for a reporting year and questionnaire version (issue 14):
answers and evidence files are owned by a response or by such a set, exactly one of the two.

Revision ID: e5a1c0b2d3f4
Revises: 4e8a2b6c9d10
Create Date: 2026-12-06 17:00:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a1c0b2d3f4'
down_revision = '4e8a2b6c9d10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'company_answer_set',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('supplier_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_version.id'],
                                name=op.f('fk_company_answer_set_questionnaire_version_id_questionnaire_version')),
        sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'],
                                name=op.f('fk_company_answer_set_supplier_id_supplier')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_company_answer_set')),
        sa.UniqueConstraint('supplier_id', 'year', 'questionnaire_version_id',
                            name=op.f('uq_company_answer_set_supplier_id_year_questionnaire_version_id')),
    )
    with op.batch_alter_table('company_answer_set', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_answer_set_supplier_id'), ['supplier_id'], unique=False)
    for table in ('answer', 'evidence_file'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('company_set_id', sa.Integer(), nullable=True))
            batch_op.alter_column('response_id', existing_type=sa.Integer(), nullable=True)
            batch_op.create_index(batch_op.f(f'ix_{table}_company_set_id'), ['company_set_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_company_set_id_company_answer_set'),
                                        'company_answer_set', ['company_set_id'], ['id'], ondelete='CASCADE')
            batch_op.create_check_constraint(batch_op.f(f'ck_{table}_one_owner'),
                                             '(response_id IS NULL) <> (company_set_id IS NULL)')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_answer_company_set_id_question_id'), ['company_set_id', 'question_id'])


def downgrade():
    op.execute('DELETE FROM answer WHERE company_set_id IS NOT NULL')
    op.execute('DELETE FROM evidence_file WHERE company_set_id IS NOT NULL')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_answer_company_set_id_question_id'), type_='unique')
    for table in ('answer', 'evidence_file'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_one_owner'), type_='check')
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_company_set_id_company_answer_set'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_company_set_id'))
            batch_op.alter_column('response_id', existing_type=sa.Integer(), nullable=False)
            batch_op.drop_column('company_set_id')
    with op.batch_alter_table('company_answer_set', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_answer_set_supplier_id'))
    op.drop_table('company_answer_set')
