"""Configuration classes, read from the environment (never from the repository).

Production has no defaults for what it cannot run without: a missing setting must stop
the start (see ProductionConfig.REQUIRED), not be papered over by a local value (an
in-memory rate limit, an SQLite file, a test address). The demo and the tests keep
their own local defaults (LocalDefaults).
"""
import base64
import ipaddress
import os
from pathlib import Path

from dotenv import dotenv_values

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def env(name: str) -> str | None:
    """The variable's value, or None when it is unset or empty (empty means "not given")."""
    return os.environ.get(name) or None


def database_url() -> str | None:
    """DATABASE_URL (or POSTGRES_URL), with Heroku-style postgres:// read as psycopg 3."""
    url = env("DATABASE_URL") or env("POSTGRES_URL")
    if url:
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
    return url


def read_env_file(path: str | Path) -> dict[str, str]:
    """The variables of an env file such as .env.example, as python-dotenv reads a .env.

    Taken literally (no ${VAR} expansion), as a process manager would; a bare NAME is "".
    """
    return {name: value or "" for name, value in dotenv_values(path, interpolate=False).items()}


class Config:
    SECRET_KEY = env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the server-side session
    SESSION_COOKIE_NAME = "fly2any_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    SESSION_LIFETIME_MINUTES = 120
    # Values that belong to the browser, not to anything we keep (Flask-WTF's CSRF secret, the
    # funnel's visitor id): a signed cookie, so looking around writes no session (web_session.py).
    SESSION_BROWSER_KEYS = ("csrf_token", "visitor")
    # Sessions and funnel counts shared by every worker. Unset: the Redis of RATELIMIT_STORAGE_URI
    # when it is one, else sessions in the database and counts written at once (the demo).
    REDIS_URL = env("REDIS_URL")
    # Flask-Compress: pages and JSON in brotli or gzip, whichever the client accepts (brotli first);
    # answers under 500 bytes (most fragments' errors, 204s) are not worth a header. Static files
    # are compressed once per process instead (static_files.py).
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIN_SIZE = 500
    COMPRESS_STREAMS = False
    # Request bodies above this are refused with 413 before anything parses them. Our largest
    # honest bodies (a booking with nine passengers, a Stripe event) are a few KB.
    MAX_CONTENT_LENGTH = 256 * 1024
    # Load balancers / proxies in front of us that append X-Forwarded-For and -Proto. 0 trusts
    # none: a client could otherwise forge the address that rate limits and lock-outs key on.
    TRUSTED_PROXY_HOPS = os.environ.get("TRUSTED_PROXY_HOPS", "0")
    # The networks those proxies connect from (comma-separated CIDRs, e.g. 10.0.0.0/8). Only a
    # request whose peer is in one has its X-Forwarded-For believed; any other is keyed by its
    # own address. Needed when TRUSTED_PROXY_HOPS > 0.
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "")
    HSTS_SECONDS = 0  # Strict-Transport-Security is sent only in production
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "fly2any")
    RATELIMIT_HEADERS_ENABLED = True
    # How long a traveller's seats and quoted price are held, in minutes.
    HOLD_MINUTES = int(os.environ.get("HOLD_MINUTES", "15"))
    # POST /api/bookings holds seats: calls per minute per address, and open (unpaid, unexpired)
    # holds per address and per email. The benchmark raises them; see docs/SECURITY.md ("Access control").
    API_BOOKINGS_PER_MINUTE = int(os.environ.get("API_BOOKINGS_PER_MINUTE", "10"))
    API_OPEN_HOLDS_PER_ADDRESS = int(os.environ.get("API_OPEN_HOLDS_PER_ADDRESS", "5"))
    API_OPEN_HOLDS_PER_EMAIL = int(os.environ.get("API_OPEN_HOLDS_PER_EMAIL", "5"))
    STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
    STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
    # Seconds before a Stripe call that has not answered counts as "unreachable".
    STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "10"))
    # Network retries in the background (sweeper); empty = 2 on real Stripe, 0 offline.
    # Calls made while a traveller waits never retry (checkout/payments/gateway.py).
    STRIPE_MAX_NETWORK_RETRIES = os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "")
    SUPPORT_EMAIL = env("SUPPORT_EMAIL")
    OPS_EMAIL = env("OPS_EMAIL")
    # Email: SMTP by default; MAIL_BACKEND=file writes .eml files under instance/mail (the demo).
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_SERVER = env("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))  # seconds per SMTP operation
    PUBLIC_BASE_URL = env("PUBLIC_BASE_URL")  # links in emails, Stripe's return URL: never the Host header
    # Fernet keys for passport numbers at rest, newest first (checkout/encryption.py).
    PII_ENCRYPTION_KEYS = os.environ.get("PII_ENCRYPTION_KEYS", "")
    # Operations (checkout/logging_setup.py, checkout/operations.py).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")  # json | text
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    SENTRY_DSN = os.environ.get("SENTRY_DSN", "")  # empty: no error reports leave the server
    SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "production")
    SENTRY_TRACES_SAMPLE_RATE = float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0"))
    READINESS_TIMEOUT_SECONDS = float(os.environ.get("READINESS_TIMEOUT_SECONDS", "2"))
    # Deadlines and bulkheads: one stuck dependency must not stall pages that do not use it
    # (docs/DEPLOY.md, "Deadlines", lists each with what the traveller sees). 0 turns one off.
    # Stripe calls at once per process while a traveller waits (of the Procfile's 4 threads):
    # the next one is refused at once with "Payments are slow right now" (a 503).
    STRIPE_CONCURRENT_CALLS = int(os.environ.get("STRIPE_CONCURRENT_CALLS", "2"))
    # PostgreSQL. Client-side deadlines per round trip, by request kind: pages and API reads
    # (GET, HEAD) and writes (other methods, the webhook too); they also hold when the server
    # is frozen and cannot enforce its own. Past one the connection is dropped and the request
    # answers 503 "try again in a moment".
    DB_READ_TIMEOUT_SECONDS = float(os.environ.get("DB_READ_TIMEOUT_SECONDS", "2"))
    DB_WRITE_TIMEOUT_SECONDS = float(os.environ.get("DB_WRITE_TIMEOUT_SECONDS", "5"))
    # libpq's connect_timeout (at least 2: libpq and psycopg raise anything smaller to 2).
    DB_CONNECT_TIMEOUT_SECONDS = int(os.environ.get("DB_CONNECT_TIMEOUT_SECONDS", "2"))
    # Server side, for every session (the sweeper and mailer too; migrations turn them off):
    # a statement is cancelled past DB_STATEMENT_TIMEOUT_SECONDS, a row lock given up past
    # DB_LOCK_TIMEOUT_SECONDS.
    DB_STATEMENT_TIMEOUT_SECONDS = float(os.environ.get("DB_STATEMENT_TIMEOUT_SECONDS", "5"))
    DB_LOCK_TIMEOUT_SECONDS = float(os.environ.get("DB_LOCK_TIMEOUT_SECONDS", "3"))
    # Connections per process: DB_POOL_SIZE (the Procfile's 4 threads) and half as many again
    # for side writes (error and funnel records take their own); a request waits at most
    # DB_POOL_TIMEOUT_SECONDS for one, then answers 503.
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "4"))
    DB_POOL_TIMEOUT_SECONDS = float(os.environ.get("DB_POOL_TIMEOUT_SECONDS", "1"))
    # The database's bulkhead: after PostgreSQL missed a deadline, requests that need it answer
    # 503 at once for this long instead of each waiting its own deadline (no thread waits on
    # it meanwhile); then one request tries again.
    DB_RETRY_AFTER_SECONDS = float(os.environ.get("DB_RETRY_AFTER_SECONDS", "5"))
    # Redis (sessions, funnel counts, rate limits): seconds per connect and per command, no retry.
    REDIS_TIMEOUT_SECONDS = float(os.environ.get("REDIS_TIMEOUT_SECONDS", "0.5"))
    DEMO = False
    # Staff passwords and recovery codes: a profile in argon2.profiles (checkout/staff/passwords.py).
    # Not read from the environment: every deployed configuration hashes at the recommended cost.
    ARGON2_PROFILE = "RFC_9106_LOW_MEMORY"

    # Environment variable -> the config key it fills; create_app() refuses to start while
    # any of these is empty. Every configuration needs a secret key (the demo makes one).
    REQUIRED = {"SECRET_KEY": "SECRET_KEY"}
    # Config key -> (test of a usable value, what a usable value is), for values that would
    # let the app start and then fail, or quietly do the wrong thing, later.
    FORMS: dict = {}

    @classmethod
    def problems(cls, config) -> list[str]:
        """Every reason `config` (the app's, after overrides) cannot run, one line each."""
        missing = [name for name, key in cls.REQUIRED.items() if not config.get(key)]
        found = []
        if missing:
            found.append("missing " + ", ".join(ENV_LABELS.get(name, name) for name in missing))
        for key, (usable, wanted) in cls.FORMS.items():
            value = config.get(key)
            if value and not usable(str(value)):
                found.append(f"{_env_name(cls, key)} must be {wanted}")
        hops = str(config.get("TRUSTED_PROXY_HOPS", 0))
        if not (hops.isascii() and hops.isdigit()):
            found.append("TRUSTED_PROXY_HOPS must be a whole number (0 = no proxy in front)")
        found.extend(_proxy_problems(hops, config.get("TRUSTED_PROXIES", "")))
        return found


def proxy_networks(setting) -> list:
    """TRUSTED_PROXIES read: comma-separated networks (CIDR, or single addresses). ValueError
    names the entry that is not one."""
    networks = []
    for entry in str(setting or "").split(","):
        if entry.strip():
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(f"{entry.strip()!r} is not one") from None
    return networks


def _proxy_problems(hops: str, proxies) -> list[str]:
    """Proxies in front need their networks: without them we could not tell the balancer's
    X-Forwarded-For from one a client sent straight to us."""
    try:
        networks = proxy_networks(proxies)
    except ValueError as err:
        return [f"TRUSTED_PROXIES must be comma-separated networks such as 10.0.0.0/8 ({err})"]
    if hops.isascii() and hops.isdigit() and int(hops) > 0 and not networks:
        return [f"TRUSTED_PROXY_HOPS={hops} needs TRUSTED_PROXIES, the networks the proxies connect from "
                "(e.g. 10.0.0.0/8); X-Forwarded-For from anywhere else is ignored"]
    return []


# How a missing variable is named in the refusal, where more than one name is accepted.
ENV_LABELS = {"DATABASE_URL": "DATABASE_URL (or POSTGRES_URL)"}


def _env_name(config_class, key: str) -> str:
    return next((name for name, k in config_class.REQUIRED.items() if k == key), key)


class LocalDefaults:
    """Stand-ins for settings that only make sense on a developer's machine."""
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI") or "memory://"
    MAIL_SERVER = env("MAIL_SERVER") or "localhost"
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER") or "Fly2Any <bookings@fly2any.test>"
    PUBLIC_BASE_URL = env("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    SUPPORT_EMAIL = env("SUPPORT_EMAIL") or "support@fly2any.test"
    OPS_EMAIL = env("OPS_EMAIL") or "ops@fly2any.test"


class DevelopmentConfig(LocalDefaults, Config):
    """`make demo`: local, no keys; secrets are generated by the demo launcher."""
    # The demo keeps its data in an embedded SQLite file unless DATABASE_URL names a PostgreSQL.
    SQLALCHEMY_DATABASE_URI = database_url() or f"sqlite:///{INSTANCE_DIR / 'demo.sqlite3'}"
    SESSION_COOKIE_SECURE = False
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "development")
    DEMO = True


class TestConfig(LocalDefaults, Config):
    TESTING = True
    SECRET_KEY = os.environ.get("SECRET_KEY", "test-secret-key-not-for-production")
    SESSION_COOKIE_SECURE = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    SENTRY_DSN = ""  # tests never report to a real Sentry
    # The suite's races run many threads on a shared 2-core machine: no client-side database
    # deadline or Stripe bulkhead there unless a test sets one (tests/faults do, small ones).
    DB_READ_TIMEOUT_SECONDS = float(os.environ.get("DB_READ_TIMEOUT_SECONDS", "0"))
    DB_WRITE_TIMEOUT_SECONDS = float(os.environ.get("DB_WRITE_TIMEOUT_SECONDS", "0"))
    DB_STATEMENT_TIMEOUT_SECONDS = float(os.environ.get("DB_STATEMENT_TIMEOUT_SECONDS", "0"))
    DB_LOCK_TIMEOUT_SECONDS = float(os.environ.get("DB_LOCK_TIMEOUT_SECONDS", "0"))
    STRIPE_CONCURRENT_CALLS = int(os.environ.get("STRIPE_CONCURRENT_CALLS", "0"))
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "0"))  # 0: SQLAlchemy's own pool sizing and wait
    DB_POOL_TIMEOUT_SECONDS = float(os.environ.get("DB_POOL_TIMEOUT_SECONDS", "0"))
    # The cheapest argon2id (microseconds a hash instead of ~230 ms): a supervisor costs eleven
    # hashes, and the suite makes hundreds of accounts. Production's cost is asserted in
    # tests/test_production_settings.py.
    ARGON2_PROFILE = "CHEAPEST"
    # A throwaway key per test process, like the demo's generated one.
    PII_ENCRYPTION_KEYS = os.environ.get("PII_ENCRYPTION_KEYS") or base64.urlsafe_b64encode(os.urandom(32)).decode()


class ProductionConfig(Config):
    HSTS_SECONDS = 63072000  # two years, subdomains included (security.py)
    REQUIRED = {
        "SECRET_KEY": "SECRET_KEY",
        "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
        "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
        "STRIPE_SECRET_KEY": "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY": "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET": "STRIPE_WEBHOOK_SECRET",
        "MAIL_SERVER": "MAIL_SERVER",
        "MAIL_DEFAULT_SENDER": "MAIL_DEFAULT_SENDER",
        "PUBLIC_BASE_URL": "PUBLIC_BASE_URL",
        "SUPPORT_EMAIL": "SUPPORT_EMAIL",
        "OPS_EMAIL": "OPS_EMAIL",
        "PII_ENCRYPTION_KEYS": "PII_ENCRYPTION_KEYS",
    }
    FORMS = {
        # Seats and payments are locked with SELECT ... FOR UPDATE, which SQLite lacks.
        "SQLALCHEMY_DATABASE_URI": (lambda v: v.startswith("postgresql"), "a PostgreSQL URL (postgresql://...)"),
        # memory:// counts per worker: two workers let twice the limit through.
        "RATELIMIT_STORAGE_URI": (lambda v: not v.startswith("memory:"),
                                  "storage shared by every worker (redis://...), not memory://"),
        "STRIPE_SECRET_KEY": (lambda v: v.startswith(("sk_", "rk_")), "a Stripe secret key (sk_...)"),
        "STRIPE_PUBLISHABLE_KEY": (lambda v: v.startswith("pk_"), "a Stripe publishable key (pk_...)"),
        "STRIPE_WEBHOOK_SECRET": (lambda v: v.startswith("whsec_"), "the webhook's signing secret (whsec_...)"),
        "PUBLIC_BASE_URL": (lambda v: v.startswith(("https://", "http://")), "an absolute URL (https://...)"),
    }


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
