"""`make demo`: everything a newcomer needs, offline, with one command.

Generates the secrets it needs (kept under instance/ so sessions survive a restart),
runs the migrations, seeds the demo catalogue and serves http://127.0.0.1:5000
(PORT overrides). With DATABASE_URL unset the data lives in instance/demo.sqlite3.
"""
from __future__ import annotations

import os
import secrets
import sys
from datetime import date
from pathlib import Path


def _secret(instance: Path, name: str) -> str:
    path = instance / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Run the Fly2Any checkout demo.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--days", type=int, default=60, help="days of flights to seed")
    args = parser.parse_args(argv)

    from config import INSTANCE_DIR
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    secret_key = os.environ.get("SECRET_KEY") or _secret(INSTANCE_DIR, "demo-secret-key")

    from flask_migrate import upgrade

    from . import create_app
    from .catalog.seed import seed_all

    app = create_app("development", {"SECRET_KEY": secret_key})
    with app.app_context():
        upgrade()
        created = seed_all(date.today(), args.days)
    where = app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1]
    print(f"Database ready ({where}); {created} new flights seeded.", flush=True)
    print(f"Fly2Any demo: http://127.0.0.1:{args.port}  (Ctrl-C stops it)", flush=True)
    app.run(host="127.0.0.1", port=args.port, threaded=True, use_reloader=False, debug=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
