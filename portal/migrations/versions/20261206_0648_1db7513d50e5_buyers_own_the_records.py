"""buyers own the records

One Aktsom for many buyers: a buyer table, a buyer's supplier register, and buyer_id on
everything a buyer owns. An installation that already holds data was one municipality's:
that municipality becomes the first buyer (its name from MUNICIPALITY_NAME or OPERATOR_NAME, its
organisation number from BUYER_ORG_NUMBER when set, else asked for on the admin pages),
every record is put under it, and its administrators become its buyer administrators.

Revision ID: 1db7513d50e5
Revises: 5fdaa190ccf0
Create Date: 2026-12-06 06:48:51.343574+00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1db7513d50e5'
down_revision = '5fdaa190ccf0'
branch_labels = None
depends_on = None


OWNED = ("agreement", "follow_up_round", "priority_risk", "report_text", "follow_up_activity",
         "deviation")


def upgrade():
    op.create_table('buyer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('org_number', sa.String(length=9), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('is_ehn_member', sa.Boolean(), nullable=False),
    sa.Column('report_contact_name', sa.String(length=200), nullable=False),
    sa.Column('report_contact_email', sa.String(length=254), nullable=False),
    sa.Column('default_locale', sa.String(length=5), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("default_locale IN ('nb', 'en')", name=op.f('ck_buyer_locale_known')),
    sa.CheckConstraint("kind IN ('municipality', 'county', 'state_agency', 'health_trust', 'cooperation', 'other')", name=op.f('ck_buyer_kind_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buyer')),
    sa.UniqueConstraint('org_number', name=op.f('uq_buyer_org_number'))
    )
    op.create_table('buyer_supplier',
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyer.id'], name=op.f('fk_buyer_supplier_buyer_id_buyer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_buyer_supplier_supplier_id_supplier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('buyer_id', 'supplier_id', name=op.f('pk_buyer_supplier'))
    )
    for table in (*OWNED, "audit_event", "user"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('buyer_id', sa.Integer(), nullable=True))

    _put_existing_records_under_the_first_buyer()

    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('buyer_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_buyer_id'), ['buyer_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_buyer_id_buyer'), 'buyer', ['buyer_id'], ['id'])
            if table == "agreement":
                batch_op.drop_constraint(batch_op.f('uq_agreement_reference'), type_='unique')
                batch_op.create_unique_constraint('uq_agreement_buyer_reference', ['buyer_id', 'reference'])
            if table == "report_text":
                batch_op.drop_constraint(batch_op.f('uq_report_text_year_key'), type_='unique')
                batch_op.create_unique_constraint(batch_op.f('uq_report_text_buyer_id_year_key'), ['buyer_id', 'year', 'key'])
    for table in ("audit_event", "user"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_buyer_id'), ['buyer_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_buyer_id_buyer'), 'buyer', ['buyer_id'], ['id'])
            if table == "user":
                batch_op.create_check_constraint(
                    op.f('ck_user_staff_have_buyer'), "(role IN ('reviewer', 'admin')) = (buyer_id IS NOT NULL)"
                )
                batch_op.drop_constraint(op.f('ck_user_role_known'), type_='check')
                batch_op.create_check_constraint(
                    op.f('ck_user_role_known'), "role IN ('supplier', 'reviewer', 'admin', 'platform_admin')"
                )


def _put_existing_records_under_the_first_buyer():
    bind = op.get_bind()
    if not bind.execute(sa.text('SELECT count(*) FROM "user"')).scalar():
        return  # a new installation: buyers are created by the platform administrator
    try:
        from flask import current_app

        config = current_app.config
        name = config.get("MUNICIPALITY_NAME") or config["OPERATOR_NAME"]
        org_number = config.get("BUYER_ORG_NUMBER") or None
    except (ImportError, RuntimeError, KeyError):
        name, org_number = "Lillestrøm kommune", None
    now = datetime.now(timezone.utc)
    buyer_table = sa.table(
        "buyer", sa.column("id"), sa.column("name"), sa.column("org_number"), sa.column("kind"),
        sa.column("is_ehn_member"), sa.column("report_contact_name"),
        sa.column("report_contact_email"), sa.column("default_locale"), sa.column("is_demo"),
        sa.column("created_at"), sa.column("updated_at"),
    )
    bind.execute(buyer_table.insert().values(
        name=name, org_number=org_number, kind="municipality", is_ehn_member=True,
        report_contact_name="", report_contact_email="", default_locale="nb", is_demo=False,
        created_at=now, updated_at=now,
    ))
    buyer_id = bind.execute(sa.text("SELECT min(id) FROM buyer")).scalar()
    for table in (*OWNED, "audit_event"):
        bind.execute(sa.text(f"UPDATE {table} SET buyer_id = :b"), {"b": buyer_id})
    bind.execute(
        sa.text('''UPDATE "user" SET buyer_id = :b WHERE role IN ('reviewer', 'admin')'''),
        {"b": buyer_id},
    )
    bind.execute(
        sa.text("INSERT INTO buyer_supplier (buyer_id, supplier_id) SELECT :b, id FROM supplier"),
        {"b": buyer_id},
    )


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.execute(sa.text('DELETE FROM "user" WHERE role = \'platform_admin\''))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_role_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_role_known'), "role IN ('supplier', 'reviewer', 'admin')")
        batch_op.drop_constraint(op.f('ck_user_staff_have_buyer'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_user_buyer_id_buyer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_user_buyer_id'))
        batch_op.drop_column('buyer_id')

    with op.batch_alter_table('report_text', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_report_text_buyer_id_buyer'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_report_text_buyer_id_year_key'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_report_text_buyer_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_report_text_year_key'), ['year', 'key'])
        batch_op.drop_column('buyer_id')

    with op.batch_alter_table('priority_risk', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_priority_risk_buyer_id_buyer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_priority_risk_buyer_id'))
        batch_op.drop_column('buyer_id')

    with op.batch_alter_table('follow_up_round', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_follow_up_round_buyer_id_buyer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_follow_up_round_buyer_id'))
        batch_op.drop_column('buyer_id')

    with op.batch_alter_table('follow_up_activity', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_follow_up_activity_buyer_id_buyer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_follow_up_activity_buyer_id'))
        batch_op.drop_column('buyer_id')

    with op.batch_alter_table('deviation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deviation_buyer_id_buyer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_deviation_buyer_id'))
        batch_op.drop_column('buyer_id')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_event_buyer_id_buyer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_event_buyer_id'))
        batch_op.drop_column('buyer_id')

    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agreement_buyer_id_buyer'), type_='foreignkey')
        batch_op.drop_constraint('uq_agreement_buyer_reference', type_='unique')
        batch_op.drop_index(batch_op.f('ix_agreement_buyer_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_agreement_reference'), ['reference'])
        batch_op.drop_column('buyer_id')

    op.drop_table('buyer_supplier')
    op.drop_table('buyer')
    # ### end Alembic commands ###
