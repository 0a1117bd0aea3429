"""the dashboard's closed days rolled up (kept exact by triggers), and the staff queue of
bookings that need attention read from its own small indexes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 14:00:00.000000

At a million bookings the dashboard read every row of its period (541 ms of database time
for 30 days) and "needs attention" tested every booking, newest first (188 ms). See
docs/adr/0094-dashboard-days-rolled-up.md, docs/adr/0095-staff-search-page-per-key.md and
docs/PERFORMANCE.md.

`dashboard_days` holds one row per closed UTC day that the sweeper rolled up
(`staff/dashboard_days.roll_up`). On PostgreSQL, triggers on every table the dashboard counts delete the
rows of the days a change touches, in the changing transaction, so a stored day is never
stale: the dashboard counts a missing day from the rows, and the next sweep stores it again.
Each trigger takes a shared advisory lock per day it touches (writers never wait for each
other); the sweeper rolls a day up only under that day's exclusive lock, taken with
try-lock, so it never waits and never stores a day a transaction still in flight has
changed. The demo's SQLite has no triggers, and there the dashboard never reads the table.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# The advisory lock class of the dashboard's days (the other key: days since 2000-01-01);
# staff/dashboard_days.py takes the same.
LOCK_CLASS = 7301

# table: (the column that dates a row to a day, the columns the dashboard reads,
#         the column naming the booking whose refunds' days also change, if any).
# A refund counts as revenue only while its booking is confirmed and it gives back the
# booking's first succeeded attempt, so a booking's confirmation and an attempt's status
# also change the days of that booking's refunds.
TRACKED = {
    "payment_attempts": ("created_at", ("created_at", "status", "used_3ds", "confirm_requested_at", "succeeded_at",
                                        "number", "booking_id"), "booking_id"),
    "webhook_events": ("received_at", ("received_at", "status"), None),
    "bookings": ("confirmed_at", ("confirmed_at", "total_amount", "currency"), "id"),
    "refunds": ("created_at", ("created_at", "status", "amount", "currency", "payment_attempt_id", "booking_id"), None),
    "funnel_events": ("at", ("at", "stage"), None),
}


def _utc_day(expression: str) -> str:
    return f"({expression} AT TIME ZONE 'UTC')::date"


def _create_triggers() -> None:
    op.execute(f"""
CREATE FUNCTION dashboard_forget(days date[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    d date;
BEGIN
    FOR d IN SELECT DISTINCT x FROM unnest(days) AS x WHERE x IS NOT NULL ORDER BY x LOOP
        PERFORM pg_advisory_xact_lock_shared({LOCK_CLASS}, d - date '2000-01-01');
    END LOOP;
    DELETE FROM dashboard_days WHERE day = ANY (days);
END $$""")
    op.execute("""
CREATE FUNCTION dashboard_forget_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM dashboard_days;
    RETURN NULL;
END $$""")
    for table, (day, columns, booking) in TRACKED.items():
        refund_days_of_rows = (f" UNION SELECT {_utc_day('r.created_at')} FROM refunds r"
                               f" JOIN changed_rows c ON r.booking_id = c.{booking}") if booking else ""
        refund_days_of_row = (f" || ARRAY(SELECT {_utc_day('r.created_at')} FROM refunds r"
                              f" WHERE r.booking_id IN (OLD.{booking}, NEW.{booking}))") if booking else ""
        op.execute(f"""
CREATE FUNCTION dashboard_{table}_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dashboard_forget(ARRAY(SELECT {_utc_day('c.' + day)} FROM changed_rows c{refund_days_of_rows}));
    RETURN NULL;
END $$""")
        op.execute(f"""
CREATE FUNCTION dashboard_{table}_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dashboard_forget(ARRAY[{_utc_day('OLD.' + day)}, {_utc_day('NEW.' + day)}]{refund_days_of_row});
    RETURN NULL;
END $$""")
        # Inserts and deletes: once per statement (a bulk load looks at each day once).
        # Updates: per row, and only when a column the dashboard reads changed, so the steps
        # of the checkout, which update bookings all the time, never call the function.
        op.execute(f"CREATE TRIGGER dashboard_{table}_insert AFTER INSERT ON {table} "
                   f"REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION dashboard_{table}_rows()")
        op.execute(f"CREATE TRIGGER dashboard_{table}_delete AFTER DELETE ON {table} "
                   f"REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION dashboard_{table}_rows()")
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
        op.execute(f"CREATE TRIGGER dashboard_{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
                   f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION dashboard_{table}_row()")
        op.execute(f"CREATE TRIGGER dashboard_{table}_truncate AFTER TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION dashboard_forget_all()")


def _drop_triggers() -> None:
    for table in TRACKED:
        for event in ("insert", "delete", "update", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS dashboard_{table}_{event} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS dashboard_{table}_rows()")
        op.execute(f"DROP FUNCTION IF EXISTS dashboard_{table}_row()")
    op.execute("DROP FUNCTION IF EXISTS dashboard_forget_all()")
    op.execute("DROP FUNCTION IF EXISTS dashboard_forget(date[])")


def upgrade():
    op.create_table(
        'dashboard_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('attempts_succeeded', sa.Integer(), nullable=False),
        sa.Column('attempts_failed', sa.Integer(), nullable=False),
        sa.Column('attempts_three_ds', sa.Integer(), nullable=False),
        sa.Column('webhooks_received', sa.Integer(), nullable=False),
        sa.Column('webhooks_processed', sa.Integer(), nullable=False),
        sa.Column('webhooks_failed', sa.Integer(), nullable=False),
        sa.Column('sales_amount', sa.BigInteger(), nullable=False),
        sa.Column('sales_bookings', sa.Integer(), nullable=False),
        sa.Column('refunds_amount', sa.BigInteger(), nullable=False),
        sa.Column('funnel_search', sa.Integer(), nullable=False),
        sa.Column('funnel_results_viewed', sa.Integer(), nullable=False),
        sa.Column('funnel_booking_started', sa.Integer(), nullable=False),
        sa.Column('funnel_payment_reached', sa.Integer(), nullable=False),
        sa.Column('funnel_payment_completed', sa.Integer(), nullable=False),
        sa.Column('rolled_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )
    op.create_table(
        'dashboard_payment_times',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('milliseconds', sa.Integer(), nullable=False),
        sa.Column('payments', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['day'], ['dashboard_days.day'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('day', 'milliseconds'),
    )
    # "Needs attention": the few flagged bookings and failed refunds, each from its own index.
    op.create_index('ix_bookings_needing_attention', 'bookings', ['id'], unique=False,
                    postgresql_where=sa.text('attention_reason IS NOT NULL'),
                    sqlite_where=sa.text('attention_reason IS NOT NULL'))
    op.create_index('ix_refunds_failed', 'refunds', ['booking_id'], unique=False,
                    postgresql_where=sa.text("status = 'failed'"), sqlite_where=sa.text("status = 'failed'"))
    if op.get_bind().dialect.name == "postgresql":
        _create_triggers()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _drop_triggers()
    op.drop_index('ix_refunds_failed', table_name='refunds')
    op.drop_index('ix_bookings_needing_attention', table_name='bookings')
    op.drop_table('dashboard_payment_times')
    op.drop_table('dashboard_days')
