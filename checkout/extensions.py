"""Extension singletons, bound to the app in create_app() with init_app()."""
from functools import cache

import redis
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
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
def redis_client(url: str) -> redis.Redis:
    """One connection pool per URL for the process (sessions, funnel counts)."""
    return redis.Redis.from_url(url)
