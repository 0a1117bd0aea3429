import logging
from logging.config import fileConfig

from flask import current_app
from sqlalchemy import inspect, text

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging, unless the app has set logging up already
# (checkout/logging_setup.py): fileConfig would replace its handler; loggers that exist
# already (the app's, when a process migrates in-process: the demo, the tests) keep working.
if not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    # Flask-SQLAlchemy 3: the engine attribute (get_engine() is deprecated).
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


# Revision ids before each migration was named after its file's number (0004_disputes.py
# was revision '0004_h8c', and so on). A database migrated back then has one of these in
# alembic_version, which Alembic would no longer find; it is renamed to the same migration's
# new id before Alembic reads it, so such a database upgrades like any other.
RENAMED_REVISIONS = {
    '0004_h8c': '0004',
    '0004_h8d': '0005',
    '0004_h8a': '0006',
    '0005_h10d': '0007',
    '0005_h9a': '0008',
    '0004_h10c': '0009',
    '0008_h11b': '0010',
    '0011_staff_order': '0011',
    '0011_h9p': '0012',
}


def rename_old_revisions(connection):
    """Rewrite an old revision id in alembic_version to its new one (in the migrations'
    transaction, so it stands or falls with them)."""
    if not inspect(connection).has_table('alembic_version'):
        return
    for old, new in RENAMED_REVISIONS.items():
        connection.execute(text('UPDATE alembic_version SET version_num = :new WHERE version_num = :old'),
                           {'old': old, 'new': new})


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        if connection.dialect.name == "postgresql":
            # A migration may rewrite a large table or wait for travellers' row locks: the
            # request-sized statement_timeout and lock_timeout (checkout/database.py) are not for it.
            connection.exec_driver_sql("SET statement_timeout = 0")
            connection.exec_driver_sql("SET lock_timeout = 0")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **conf_args
        )

        with context.begin_transaction():
            rename_old_revisions(connection)
            context.run_migrations()
        if connection.dialect.name == "postgresql":
            # Back to the connection's own settings before the pool hands it to anyone else.
            connection.exec_driver_sql("RESET statement_timeout")
            connection.exec_driver_sql("RESET lock_timeout")
            connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
