"""indexes for staff search (prefixes of email and surname) and the dashboard's periods

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00.000000

At a million bookings, `lower(contact_email) LIKE 'ada%'` and the surname prefix read the
whole table without an index on the lowered text (text_pattern_ops, so LIKE 'x%' can use it
whatever the collation), and the dashboard read every payment attempt, confirmed booking
and refund to keep those of its period. See bench/plans/ and docs/PERFORMANCE.md.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LOWERED = (("ix_bookings_contact_email_lower", "bookings", "contact_email"),
           ("ix_passengers_last_name_lower", "passengers", "last_name"))


def upgrade():
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_attempts_created_at'), ['created_at'], unique=False)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_confirmed_at'), ['confirmed_at'], unique=False)
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_created_at'), ['created_at'], unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, column in LOWERED:
        op.create_index(name, table, [sa.text(f"lower({column}) text_pattern_ops" if postgres else f"lower({column})")])


def downgrade():
    for name, table, _ in LOWERED:
        op.drop_index(name, table_name=table)
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_created_at'))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_confirmed_at'))
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_attempts_created_at'))
