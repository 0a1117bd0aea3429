"""seat holds know their cabin, so places left are counted per cabin in one query

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# The layouts when this migration was written (catalog/seatmaps.py): only the 787-9 has a
# business cabin, rows 1-7, seats A D G K. Written out here so the migration never changes
# meaning if the seat maps do.
BUSINESS_789 = [f"{row}{letter}" for row in range(1, 8) for letter in "ADGK"]


def upgrade():
    with op.batch_alter_table('seat_holds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cabin', sa.String(length=10), nullable=True))
    seat_holds = sa.table('seat_holds', sa.column('cabin'), sa.column('flight_id'), sa.column('seat_code'))
    flights = sa.table('flights', sa.column('id'), sa.column('aircraft'))
    op.execute(seat_holds.update().values(cabin='economy'))
    op.execute(seat_holds.update().where(
        seat_holds.c.flight_id.in_(sa.select(flights.c.id).where(flights.c.aircraft == 'B789')),
        seat_holds.c.seat_code.in_(BUSINESS_789),
    ).values(cabin='business'))
    with op.batch_alter_table('seat_holds', schema=None) as batch_op:
        batch_op.alter_column('cabin', existing_type=sa.String(length=10), nullable=False)


def downgrade():
    with op.batch_alter_table('seat_holds', schema=None) as batch_op:
        batch_op.drop_column('cabin')
