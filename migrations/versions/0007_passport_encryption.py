"""passport numbers encrypted at rest; when personal data was purged after travel

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00.000000

Widens passengers.passport_number for Fernet tokens and encrypts the plaintext already
stored, with the first key of PII_ENCRYPTION_KEYS (the app's configuration, which reads
the environment; the demo passes its generated key). Without a key, and with passport
numbers stored, it stops with a message rather than leave them in plain text. The code
is self-contained (cryptography only), so later changes to the app cannot change it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

passengers = sa.table('passengers', sa.column('id', sa.Integer), sa.column('passport_number', sa.String))


def _keyring():
    import os

    from cryptography.fernet import Fernet, MultiFernet
    from flask import current_app
    setting = current_app.config.get('PII_ENCRYPTION_KEYS') or os.environ.get('PII_ENCRYPTION_KEYS') or ''
    keys = [key.strip() for key in setting.split(',') if key.strip()]
    return MultiFernet([Fernet(key) for key in keys]) if keys else None


def _stored(bind):
    return bind.execute(sa.select(passengers.c.id, passengers.c.passport_number)
                        .where(passengers.c.passport_number.isnot(None))).all()


def _rewrite(bind, rows, change):
    for row_id, value in rows:
        new = change(value)
        if new != value:
            bind.execute(passengers.update().where(passengers.c.id == row_id).values(passport_number=new))


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pii_purged_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('passengers', schema=None) as batch_op:
        batch_op.alter_column('passport_number', existing_type=sa.String(length=20), type_=sa.String(length=255),
                              existing_nullable=True)

    bind = op.get_bind()
    rows = _stored(bind)
    if not rows:
        return
    keyring = _keyring()
    if keyring is None:
        raise RuntimeError(
            f"{len(rows)} passport numbers are stored in plain text and PII_ENCRYPTION_KEYS is not set. "
            "Set it (a Fernet key: python -c \"from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())\") and run the migration again.")

    from cryptography.fernet import InvalidToken

    def encrypted(value):
        try:
            keyring.decrypt(value.encode())
            return value  # already encrypted (a re-run after a partial upgrade)
        except InvalidToken:
            return keyring.encrypt(value.encode()).decode()
    _rewrite(bind, rows, encrypted)


def downgrade():
    bind = op.get_bind()
    rows = _stored(bind)
    if rows:
        keyring = _keyring()
        if keyring is None:
            raise RuntimeError(f"{len(rows)} passport numbers are encrypted; set PII_ENCRYPTION_KEYS to decrypt "
                               "them before downgrading.")
        _rewrite(bind, rows, lambda value: keyring.decrypt(value.encode()).decode())
    with op.batch_alter_table('passengers', schema=None) as batch_op:
        batch_op.alter_column('passport_number', existing_type=sa.String(length=255), type_=sa.String(length=20),
                              existing_nullable=True)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('pii_purged_at')
