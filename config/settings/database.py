"""The database: PostgreSQL in production (DATABASE_URL), SQLite under VAR_DIR by default."""

from config.settings.base import VAR_DIR, env

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write to the same file: WAL lets readers go
    # on during a write, IMMEDIATE transactions take the write lock up front
    # (no "database is locked" half-way through), and the timeout waits for it.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The same backend, with a health check that costs no round trip while
        # the kept connection is quiet (optout/infra/postgres/base.py).
        DATABASES["default"]["ENGINE"] = "optout.infra.postgres"
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # Server-side parameters, and psycopg prepares a statement on a
        # connection once it has run there 5 times (psycopg's default; Django's
        # is never). The look-up's query then skips PostgreSQL's parse and
        # plan, most of its cost (docs/performance.md). Prepared statements
        # live per connection, which CONN_MAX_AGE keeps. Turn this off behind
        # a transaction-pooling PgBouncer older than 1.21.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
