"""staff sign in with the buyer's identity provider

A buyer's OpenID Connect provider (one per buyer; the client secret encrypted), and the
provider's subject identifier on staff accounts, unique per buyer and issuer.

Revision ID: 16d374eb257c
Revises: b59286a65786
Create Date: 2026-12-06 09:57:55.624876+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '16d374eb257c'
down_revision = 'b59286a65786'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('identity_provider',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret_encrypted', sa.Text(), nullable=False),
    sa.Column('email_domains', sa.Text(), nullable=False),
    sa.Column('required_acr', sa.String(length=255), nullable=False),
    sa.Column('creates_reviewers', sa.Boolean(), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyer.id'], name=op.f('fk_identity_provider_buyer_id_buyer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_provider')),
    sa.UniqueConstraint('buyer_id', name=op.f('uq_identity_provider_buyer_id'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_issuer', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_buyer_id_oidc_issuer_oidc_subject'), ['buyer_id', 'oidc_issuer', 'oidc_subject'])



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_buyer_id_oidc_issuer_oidc_subject'), type_='unique')
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('oidc_issuer')

    op.drop_table('identity_provider')
