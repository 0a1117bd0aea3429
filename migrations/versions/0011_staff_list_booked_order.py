"""index for the staff bookings list in booked-time order (submitted_at, then id)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 15:00:00.000000

The list is newest booked first, paged by (submitted_at, id). Without this index PostgreSQL
would sort every submitted booking for each page; with it, a page is a short backward read
from the anchor row, as the old order by primary key was.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_submitted_at_id', ['submitted_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_submitted_at_id')
