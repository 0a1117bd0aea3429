"""The benchmark's floor: a tiny Flask app served by the Procfile's gunicorn settings.

Three pages, each rendering the same small template, and nothing else (no session, no
CSRF, no security headers, no compression):
  GET  /bare        the template alone                       -> "baseline"
  GET  /bare/read   two SELECTs by primary key, then it      -> "read_baseline"
  POST /bare/write  one INSERT (own transaction), then it    -> "write_baseline"
Same driver (psycopg 3 through SQLAlchemy), same pool settings and the same database as
the app, so the app's pages can be compared with what any page must cost here.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask, render_template
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from config import Config, database_url  # noqa: E402

app = Flask(__name__, template_folder="templates")
engine = create_engine(database_url() or "", **Config.SQLALCHEMY_ENGINE_OPTIONS)

# bench/run.py creates the bench_writes table before starting us (two workers racing to
# create it would fail one of them).
with engine.connect() as setup:
    FLIGHT_ID = setup.execute(text("SELECT min(id) FROM flights")).scalar() or 1
    AIRPORT = setup.execute(text("SELECT min(code) FROM airports")).scalar() or "JFK"


@app.get("/bare")
def bare():
    return render_template("bare.html", title="Bare page", rows=[])


@app.get("/bare/read")
def bare_read():
    with engine.connect() as connection:
        flight = connection.execute(text("SELECT * FROM flights WHERE id = :id"), {"id": FLIGHT_ID}).mappings().one()
        airport = connection.execute(text("SELECT * FROM airports WHERE code = :code"), {"code": AIRPORT}).mappings().one()
    return render_template("bare.html", title="Bare read", rows=[dict(flight), dict(airport)])


@app.post("/bare/write")
def bare_write():
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO bench_writes (note) VALUES (:note)"), {"note": os.urandom(8).hex()})
    return render_template("bare.html", title="Bare write", rows=[])
