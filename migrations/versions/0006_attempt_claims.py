"""payment attempts are claimed before their PaymentIntent exists

An attempt row is inserted (and committed) under the booking's row lock before Stripe is
asked for its PaymentIntent, so the lock is never held across a Stripe call; until the
answer is recorded the row has no payment_intent_id.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.alter_column('payment_intent_id', existing_type=sa.String(length=64), nullable=True)


def downgrade():
    # A claim whose PaymentIntent was never recorded has nothing to keep.
    op.execute("DELETE FROM payment_attempts WHERE payment_intent_id IS NULL")
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.alter_column('payment_intent_id', existing_type=sa.String(length=64), nullable=False)
