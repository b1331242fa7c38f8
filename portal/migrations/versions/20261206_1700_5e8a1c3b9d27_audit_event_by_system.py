"""audit event by_system: an action Aktsom took itself, shown as done by Aktsom

``actor_id`` keeps whose request or job triggered the event (accountability); ``by_system``
says the act itself was the system's (a deviation proposed automatically, a reminder sent by
the schedule), so the history does not name the supplier who merely submitted (issue 15).
Existing rows are not rewritten: the trail is append-only, and the screens read the one action
recorded this way before the column existed (``deviation.proposed``) as the system's anyway.

Revision ID: 5e8a1c3b9d27
Revises: 7c1d2e3f4a5b
Create Date: 2026-12-06 17:00:00.000000+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e8a1c3b9d27'
down_revision = '7c1d2e3f4a5b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_system', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('by_system')
