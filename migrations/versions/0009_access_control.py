"""access control: traveller proof failures apart from staff sign-in failures, the address
that created an API booking (open holds per address), staff two-factor sign-in

Revision ID: 0009
Revises: 0008

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('proof_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('proof_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proof_failures_at'), ['at'], unique=False)
        batch_op.create_index('ix_proof_failures_reference_at', ['reference', 'at'], unique=False)
    # Traveller look-up failures used to share login_failures (keyed 'manage:<reference>'),
    # where they counted against staff sign-in from the same address: they go.
    op.execute("DELETE FROM login_failures WHERE email LIKE 'manage:%' OR email LIKE 'manage-lock:%'")
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_address', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_bookings_client_address'), ['client_address'], unique=False)
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.create_table('staff_recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_recovery_codes_staff_user_id'), ['staff_user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_recovery_codes_staff_user_id'))
    op.drop_table('staff_recovery_codes')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_client_address'))
        batch_op.drop_column('client_address')
    with op.batch_alter_table('proof_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_proof_failures_reference_at')
        batch_op.drop_index(batch_op.f('ix_proof_failures_at'))
    op.drop_table('proof_failures')
