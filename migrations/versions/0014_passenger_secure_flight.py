"""passengers: gender, redress number and Known Traveler Number for TSA Secure Flight

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 22:00:00.000000

Gender is one letter (M, F, X, U); the redress number and Known Traveler Number hold
Fernet tokens like passport_number (checkout/encryption.py), hence 255 characters. All
nullable: passengers booked before these were asked keep working. See docs/adr 0135.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('passengers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gender', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('redress_number', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('known_traveler_number', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('passengers', schema=None) as batch_op:
        batch_op.drop_column('known_traveler_number')
        batch_op.drop_column('redress_number')
        batch_op.drop_column('gender')
