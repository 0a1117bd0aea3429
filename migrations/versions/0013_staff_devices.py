"""staff sign-in failures remember the browser's device cookie, if it had one

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 20:00:00.000000

Failures from a browser that signed in before (a valid device cookie) count against that
browser alone; failures without one count against the account and the address, as before.
See checkout/staff/auth.py and docs/adr (staff lock-out: device cookies).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_login_failures_device', ['device'], unique=False)


def downgrade():
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_device')
        batch_op.drop_column('device')
