"""a booking holds a trip: slices of segments (flights), each with its held fare, and
the passengers' chosen seats per segment

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07 22:15:00.000000

Every booking becomes a trip of one slice (its fare family) of one segment (its flight and
held base fare); a passenger's chosen seat moves to passenger_seats on that segment.
`bookings.flight_id` stays: the trip's first flight (docs/adr/0130, 0131).
"""
import warnings
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


# Indexes a SQLite table copy (batch mode, the demo's database) cannot carry: expression
# and partial indexes are not reflected. Dropped before the copy and made again after it.
SQLITE_INDEXES = {
    "passengers": [("ix_passengers_last_name_lower", "lower(last_name)", None)],
    "bookings": [("ix_bookings_contact_email_lower", "lower(contact_email)", None),
                 ("ix_bookings_needing_attention", "id", "attention_reason IS NOT NULL")],
}


@contextmanager
def altering(table):
    """batch_alter_table, keeping the table's indexes on SQLite (PostgreSQL alters in place)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name, _, _ in SQLITE_INDEXES[table]:
            op.drop_index(name, table_name=table)
    with warnings.catch_warnings():
        # Reflecting the table also reflects the tables its foreign keys name, whose expression
        # indexes SQLAlchemy skips with a warning: those tables are not copied, nothing is lost.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table(table, schema=None) as batch_op:
            yield batch_op
    if sqlite:
        for name, columns, where in SQLITE_INDEXES[table]:
            op.execute(f"CREATE INDEX {name} ON {table} ({columns})" + (f" WHERE {where}" if where else ""))


def upgrade():
    op.create_table(
        'booking_slices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('fare_family_code', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['fare_family_code'], ['fare_families.code']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('booking_id', 'position', name='uq_booking_slices_booking_position'),
    )
    op.create_index('ix_booking_slices_booking_id', 'booking_slices', ['booking_id'], unique=False)
    op.create_table(
        'booking_segments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('slice_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('flight_id', sa.Integer(), nullable=False),
        sa.Column('held_base_fare', sa.Integer(), nullable=False),
        sa.CheckConstraint('held_base_fare >= 0', name='ck_booking_segments_held_base_fare'),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['slice_id'], ['booking_slices.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['flight_id'], ['flights.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('booking_id', 'position', name='uq_booking_segments_booking_position'),
        sa.UniqueConstraint('booking_id', 'flight_id', name='uq_booking_segments_booking_flight'),
    )
    op.create_index('ix_booking_segments_booking_id', 'booking_segments', ['booking_id'], unique=False)
    op.create_index('ix_booking_segments_slice_id', 'booking_segments', ['slice_id'], unique=False)
    op.create_index('ix_booking_segments_flight_id', 'booking_segments', ['flight_id'], unique=False)
    op.create_table(
        'passenger_seats',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('passenger_id', sa.Integer(), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=False),
        sa.Column('seat_code', sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(['passenger_id'], ['passengers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['segment_id'], ['booking_segments.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('passenger_id', 'segment_id', name='uq_passenger_seats_passenger_segment'),
        sa.UniqueConstraint('segment_id', 'seat_code', name='uq_passenger_seats_segment_seat'),
    )
    op.create_index('ix_passenger_seats_segment_id', 'passenger_seats', ['segment_id'], unique=False)

    # Every booking, whatever its state, becomes a trip of one slice of one segment.
    op.execute("""INSERT INTO booking_slices (booking_id, position, fare_family_code)
                  SELECT id, 0, fare_family_code FROM bookings""")
    op.execute("""INSERT INTO booking_segments (booking_id, slice_id, position, flight_id, held_base_fare)
                  SELECT b.id, s.id, 0, b.flight_id, b.held_base_fare
                  FROM bookings b JOIN booking_slices s ON s.booking_id = b.id""")
    op.execute("""INSERT INTO passenger_seats (passenger_id, segment_id, seat_code)
                  SELECT p.id, g.id, p.seat_code
                  FROM passengers p JOIN booking_segments g ON g.booking_id = p.booking_id
                  WHERE p.seat_code IS NOT NULL""")
    with altering('passengers') as batch_op:
        batch_op.drop_column('seat_code')
    with altering('bookings') as batch_op:
        batch_op.drop_constraint('ck_bookings_held_base_fare', type_='check')
        batch_op.drop_column('held_base_fare')


def downgrade():
    # Back to one flight per booking: the first segment's fare and each passenger's first seat.
    with altering('bookings') as batch_op:
        batch_op.add_column(sa.Column('held_base_fare', sa.Integer(), nullable=True))
    with altering('passengers') as batch_op:
        batch_op.add_column(sa.Column('seat_code', sa.String(length=4), nullable=True))
    op.execute("""UPDATE bookings SET held_base_fare = (
                      SELECT g.held_base_fare FROM booking_segments g
                      WHERE g.booking_id = bookings.id AND g.position = 0)""")
    op.execute("""UPDATE passengers SET seat_code = (
                      SELECT s.seat_code FROM passenger_seats s JOIN booking_segments g ON g.id = s.segment_id
                      WHERE s.passenger_id = passengers.id AND g.position = 0)""")
    with altering('bookings') as batch_op:
        batch_op.alter_column('held_base_fare', existing_type=sa.Integer(), nullable=False)
        batch_op.create_check_constraint('ck_bookings_held_base_fare', 'held_base_fare >= 0')
    op.drop_index('ix_passenger_seats_segment_id', table_name='passenger_seats')
    op.drop_table('passenger_seats')
    op.drop_index('ix_booking_segments_flight_id', table_name='booking_segments')
    op.drop_index('ix_booking_segments_slice_id', table_name='booking_segments')
    op.drop_index('ix_booking_segments_booking_id', table_name='booking_segments')
    op.drop_table('booking_segments')
    op.drop_index('ix_booking_slices_booking_id', table_name='booking_slices')
    op.drop_table('booking_slices')
