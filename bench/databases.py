"""The bench's own databases on the server DATABASE_URL names (default: the local `test`)."""
from __future__ import annotations

import os
import re

import psycopg

SERVER = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"


def admin_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)


def fresh_database(name: str) -> str:
    """Drop and create database `name`; its URL on the same server."""
    with psycopg.connect(admin_url(SERVER), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", admin_url(SERVER), count=1)
