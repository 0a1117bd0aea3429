"""access control: traveller proof failures apart from staff sign-in failures

Revision ID: 0004_h10c
Revises: 0003

"""
from alembic import op
import sqlalchemy as sa


revision = '0004_h10c'
down_revision = '0003'
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


def downgrade():
    with op.batch_alter_table('proof_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_proof_failures_reference_at')
        batch_op.drop_index(batch_op.f('ix_proof_failures_at'))
    op.drop_table('proof_failures')
