"""Extension singletons, bound to the app in create_app() with init_app()."""
from functools import cache

import redis
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# expire_on_commit=False, set here and nowhere else: an object this session loaded keeps
# its values after a commit, so a page renders from the objects its service just saved
# instead of reading each back (a SELECT per object and relationship). Whatever must see a
# change another transaction made reads it afresh itself: the units of work lock the row
# and read it with populate_existing (bookings.service.lock_booking), the payment services
# refresh the attempt they lock (ADR 0127).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
csrf = CSRFProtect()
compress = Compress()
# No default limits: each sensitive endpoint names its own.
limiter = Limiter(key_func=get_remote_address)


def upsert_insert(model):
    """An INSERT with ON CONFLICT support, on PostgreSQL and on the demo's SQLite alike."""
    from sqlalchemy.dialects import postgresql, sqlite
    return (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert(model)


@cache
def insert_if_absent(model, columns: tuple[str, ...], unique: tuple[str, ...], returning: str) -> TextClause:
    """`INSERT INTO t (columns) VALUES (:column, ...) ON CONFLICT (unique) DO NOTHING RETURNING returning`.

    Execute it with a dict of `columns`. It is the same statement upsert_insert builds, as
    SQL text: SQLAlchemy never caches a PostgreSQL INSERT with ON CONFLICT (its Insert has
    no cache key), so it compiled one on every call, a third of a webhook's time and part
    of every seat taken. Text is cached; its parameters keep their columns' types (our UTC
    timestamps), and the syntax is PostgreSQL's and the demo's SQLite's alike.
    """
    table = model.__table__
    # Text has none of the ORM's defaults: every column the database cannot fill must be named.
    unfilled = [c.name for c in table.columns if c.name not in columns and c.server_default is None and (
        c.default is not None or (not c.nullable and not (c.primary_key and c.autoincrement)))]
    if unfilled:
        raise ValueError(f"insert_if_absent({table.name}) leaves out {', '.join(unfilled)}")
    statement = text(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
                     f"ON CONFLICT ({', '.join(unique)}) DO NOTHING RETURNING {returning}")
    return statement.bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns)).columns(table.c[returning])


def redis_options(timeout: float | None) -> dict:
    """Connection options for every Redis client we make (sessions, funnel counts, rate
    limits): each connect and each command ends within `timeout` seconds and is not retried.
    redis-py would otherwise wait for ever on a frozen server and retry a timed-out command
    three times; a page must answer (or refuse) within its deadline instead."""
    if not timeout:
        return {}
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry": Retry(NoBackoff(), 0)}


@cache
def redis_client(url: str, timeout: float | None = None) -> redis.Redis:
    """One connection pool per URL (and timeout) for the process (sessions, funnel counts)."""
    return redis.Redis.from_url(url, **redis_options(timeout))
