"""Fly2Any checkout: the application factory."""
from __future__ import annotations

import os

from flask import Flask

from .extensions import compress, csrf, db, limiter, migrate


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app. `config_name` (or FLASK_CONFIG) picks development/test/production."""
    from config import CONFIGS, INSTANCE_DIR

    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder="../templates",
        static_folder="../static",
    )
    name = config_name or os.environ.get("FLASK_CONFIG", "production")
    if name not in CONFIGS:
        raise RuntimeError(f"FLASK_CONFIG={name!r} is not one of {', '.join(CONFIGS)}.")
    app.config.from_object(CONFIGS[name])
    if overrides:
        app.config.update(overrides)
    # Refuse to start, naming everything at once, rather than run on a stand-in value.
    problems = CONFIGS[name].problems(app.config)
    if problems:
        raise RuntimeError(f"Cannot start the {name} configuration: " + "; ".join(problems)
                           + ". Set them in the environment (.env.example lists every one); `make demo` needs none.")
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config.get("REDIS_URL") is None and str(app.config.get("RATELIMIT_STORAGE_URI")).startswith(("redis://", "rediss://")):
        # The Redis every worker already shares for rate limits also keeps sessions and counts.
        app.config["REDIS_URL"] = app.config["RATELIMIT_STORAGE_URI"]

    from . import encryption, logging_setup, operations
    logging_setup.init_app(app)  # request ids, JSON logs in production, Sentry when SENTRY_DSN is set
    encryption.init_app(app)  # passport numbers at rest: a malformed PII_ENCRYPTION_KEYS stops the start
    from . import database
    # Deadlines and the pool's limits for PostgreSQL (database.py), then the engine with them.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config)
    db.init_app(app)
    database.init_app(app)
    from . import transactions
    transactions.init_app(app)  # a request that only read commits, so prepared statements survive
    migrate.init_app(app, db, render_as_batch=True, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    if str(app.config.get("RATELIMIT_STORAGE_URI")).startswith(("redis://", "rediss://")):
        # A frozen Redis must not hold a request: the limit check ends within REDIS_TIMEOUT_SECONDS.
        from .extensions import redis_options
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {**redis_options(app.config.get("REDIS_TIMEOUT_SECONDS")),
                                                   **app.config.get("RATELIMIT_STORAGE_OPTIONS", {})}
    limiter.init_app(app)
    compress.init_app(app)  # pages and JSON, br or gzip as the client accepts, not under 500 bytes

    from . import form_fields, static_files
    form_fields.remember_attributes()  # WTForms' attributes drawn once per process (form_fields.html_params)
    static_files.init_app(app)  # fingerprinted, a year's cache, compressed once per process

    from .web_session import session_interface
    app.session_interface = session_interface(app)

    from . import errors, inputs, monitoring, presentation, security
    security.init_app(app)  # proxy hops, safe JSON, security headers, /csp-report
    presentation.init_app(app)
    errors.init_app(app)
    inputs.init_app(app)  # control characters refused once, before any view (400)
    monitoring.init_app(app)  # ErrorEvent rows for 4xx/5xx answers (the monitoring dashboard)

    from .catalog.routes import bp as catalog_bp
    from .steps.customize import bp as customize_bp
    from .steps.passengers import bp as passengers_bp
    from .steps.review import bp as review_bp
    from .bookings.routes import bp as bookings_bp
    from .api import bp as api_bp
    from .api import bookings, flights, openapi  # noqa: F401  (their routes go on the api blueprint)
    from .payments.routes import bp as payments_bp
    from .staff.routes import bp as staff_bp
    from .staff.dashboard import bp as dashboard_bp
    from .manage import bp as manage_bp

    for blueprint in (catalog_bp, customize_bp, passengers_bp, review_bp, bookings_bp, api_bp, payments_bp,
                      staff_bp, dashboard_bp, manage_bp):
        app.register_blueprint(blueprint)
    operations.init_app(app)  # /healthz and /readyz for the load balancer
    if app.config.get("STRIPE_API_BASE"):
        # Offline only: the Stripe.js stand-in and its server half. Never against real Stripe.
        from .payments.offline import bp as offline_bp
        app.register_blueprint(offline_bp)

    from .cli import register_cli
    register_cli(app)
    return app
