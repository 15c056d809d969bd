"""Settings for optout, read from environment variables.

Every value has a safe local default so that `make run` works on a fresh
machine; production sets DEBUG off and must then provide its secrets (a
missing one stops the start with a message naming the variable). Every
variable is listed in README.md, section "Configuration".
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG: bool = env.bool("DEBUG", default=False)

# All local state (SQLite file, folder broker, media, beat schedule, caches)
# lives under VAR_DIR, so two copies of the app with different VAR_DIRs never
# see each other's work.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var"))).resolve()


def required(name: str, dev_default: str) -> str:
    """A secret that production must set; local runs (DEBUG on) get a default."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(
        f"The environment variable {name} is not set. It is required when DEBUG "
        f"is off (production). Set {name}, or set DEBUG=true for a local run."
    )


SECRET_KEY = required("SECRET_KEY", "insecure-local-development-key-do-not-use-in-production")
# The HMAC key of suppressed owners' NSIDs (optout/owner_keys.py). Separate from
# SECRET_KEY, which may be rotated: this one must never change, or imports stop
# recognising the owners who asked to be left out.
OWNER_KEY_SECRET = required("OWNER_KEY_SECRET", "insecure-local-owner-key-do-not-use-in-production")
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin with our site: the maintainers' queue, dashboard and who may enter.
    "optout.admin.apps.QueueAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "anymail",
    "optout",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before whitenoise, so static files carry the policy and no-training headers too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "optout.policies.NoTrainingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "optout.urls"
WSGI_APPLICATION = "optout.wsgi.application"

TEMPLATES = [
    # The public pages (templates/base.html, templates/optout/) are Jinja2, for
    # speed (optout/templating.py says why); this engine answers for those
    # names only. The admin and the emails are Django templates, below.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "optout.templating.environment",
            # `request`, `csrf_input` and `csrf_token` come with the engine.
            "context_processors": [
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # {{ csp_nonce }} for the few inline <style>/<script> blocks.
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Database: PostgreSQL in production (DATABASE_URL), SQLite under VAR_DIR by default.
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
        # the kept connection is quiet (optout/postgres/base.py).
        DATABASES["default"]["ENGINE"] = "optout.postgres"
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # Server-side parameters, and psycopg prepares a statement on a
        # connection once it has run there 5 times (psycopg's default; Django's
        # is never). The look-up's query then skips PostgreSQL's parse and
        # plan, most of its cost: 0.45 -> 0.13 ms of server CPU. Prepared
        # statements live per connection, which CONN_MAX_AGE keeps. Turn this
        # off behind a transaction-pooling PgBouncer older than 1.21.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Queue and cache: Redis when REDIS_URL is set; otherwise kombu's filesystem
# transport (a real broker between separate processes, no server needed) and a
# file cache, both under VAR_DIR.
REDIS_URL: str = env.str("REDIS_URL", default="")
CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
CELERY_PROCESSED_DIR = VAR_DIR / "celery" / "processed"
CELERY_CONTROL_DIR = VAR_DIR / "celery" / "control"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        # Above the longest task, so a task a worker holds is not handed to a
        # second worker while the first is still on it (acks_late).
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=6 * 3600),
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Both folders must be the same one for the filesystem transport.
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "processed_folder": str(CELERY_PROCESSED_DIR),
        "store_processed": False,
        # The exchange table; kombu's default is a "control" folder in the cwd.
        "control_folder": str(CELERY_CONTROL_DIR),
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_TIMEZONE = "UTC"

# Sessions in the database, never in signed cookies: the session holds the
# OAuth request-token secret during the Flickr sign-in.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True

# Email: django-anymail when ANYMAIL_ESP names a provider; every other
# ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"]. Unset: the console.
ANYMAIL_ESP: str = env.str("ANYMAIL_ESP", default="")
ANYMAIL: dict[str, str] = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_") and key != "ANYMAIL_ESP"
}
MAILERS = {
    "default": {
        "BACKEND": f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
        if ANYMAIL_ESP
        else "django.core.mail.backends.console.EmailBackend",
    }
}
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="optout <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Flickr. With no FLICKR_API_KEY and DEBUG on, the local Flickr simulator
# stands in (it can never be on with DEBUG off).
FLICKR_API_KEY: str = env.str("FLICKR_API_KEY", default="")
FLICKR_API_SECRET: str = env.str("FLICKR_API_SECRET", default="")
FLICKR_SIMULATOR: bool = DEBUG and not FLICKR_API_KEY
FLICKR_SIMULATOR_PORT: int = env.int("FLICKR_SIMULATOR_PORT", default=8001)
if FLICKR_SIMULATOR:
    # A fixed local key pair that `manage.py flickr_simulator` is started with;
    # it opens nothing but the simulator on 127.0.0.1.
    FLICKR_API_KEY = "optoutlocaldemokey00000000000000"
    FLICKR_API_SECRET = "optoutlocaldemosecret"  # noqa: S105 (a local stand-in, not a secret)
    _flickr_default = f"http://127.0.0.1:{FLICKR_SIMULATOR_PORT}/services"
    _flickr_api_default = _flickr_default
else:
    _flickr_default = "https://www.flickr.com/services"
    _flickr_api_default = "https://api.flickr.com/services"
FLICKR_OAUTH_URL: str = env.str("FLICKR_OAUTH_URL", default=f"{_flickr_default}/oauth")
FLICKR_API_URL: str = env.str("FLICKR_API_URL", default=f"{_flickr_api_default}/rest")
FLICKR_TIMEOUT: float = env.float("FLICKR_TIMEOUT", default=10.0)
# Where thumbnails are built from (server/ID_secret_q.jpg); the simulator serves
# placeholders, so the demo shows pictures without reaching Flickr.
FLICKR_STATIC_URL: str = env.str(
    "FLICKR_STATIC_URL",
    default=f"http://127.0.0.1:{FLICKR_SIMULATOR_PORT}/static"
    if FLICKR_SIMULATOR
    else "https://live.staticflickr.com",
)
# Flickr allows 3,600 calls an hour per key; we count in clock hours, and two
# adjacent full hours could overlap one rolling hour on Flickr's side: stay under.
FLICKR_CALLS_PER_HOUR: int = env.int("FLICKR_CALLS_PER_HOUR", default=3000)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Behind a TLS-terminating proxy in production.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if not DEBUG else None
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=False)
# A load balancer's health check speaks plain HTTP to the app.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS: bool = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD: bool = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Status links are secrets: the Referer must never carry them to another site.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# How many proxies of ours put their address in X-Forwarded-For (0: none, use
# the socket's address). Read by optout.ratelimit.client_ip.
TRUSTED_PROXY_COUNT: int = env.int("TRUSTED_PROXY_COUNT", default=0)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def csp_config(*, static_url: str, oauth_url: str) -> dict[str, list[str]]:
    """The Content-Security-Policy: our own files, nonce'd inline blocks, Flickr's thumbnails.

    form-action names Flickr's sign-in host because browsers apply it to the
    redirect that follows our "Sign in with Flickr" form. Nothing inline runs or
    styles without the nonce: no `style` attributes either (the admin dashboard
    draws its bars as SVG, whose heights are plain attributes).
    """
    return {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF, CSP.NONCE],
        "style-src": [CSP.SELF, CSP.NONCE],
        "img-src": [CSP.SELF, "data:", origin(static_url)],
        "font-src": [CSP.SELF],
        "connect-src": [CSP.SELF],
        "object-src": [CSP.NONE],
        "base-uri": [CSP.NONE],
        "frame-ancestors": [CSP.NONE],
        "form-action": [CSP.SELF, origin(oauth_url)],
    }


SECURE_CSP = csp_config(static_url=FLICKR_STATIC_URL, oauth_url=FLICKR_OAUTH_URL)

# Requests.
# Absolute links in emails point here.
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000")
REQUEST_DEADLINE_DAYS: int = env.int("REQUEST_DEADLINE_DAYS", default=30)
# Verified owner requests go straight to the deletion queue; off: they wait in needs_review.
AUTO_APPROVE_OWNER_REQUESTS: bool = env.bool("AUTO_APPROVE_OWNER_REQUESTS", default=True)
CONFIRM_REMINDER_AFTER_HOURS: int = env.int("CONFIRM_REMINDER_AFTER_HOURS", default=48)
# Days after a request closes before optout.retention erases the requester's email and words.
RETENTION_DAYS: int = env.int("RETENTION_DAYS", default=90)
PHOTOS_PER_PAGE: int = 48
# Rate limits, per client IP per minute (optout.ratelimit). The check APIs
# (/api/v1/check, /api/v2/query/urls/) share one counter.
API_RATE_LIMIT_PER_MINUTE: int = env.int("API_RATE_LIMIT_PER_MINUTE", default=60)
# Look-ups (/?q=).
RATE_LIMIT_LOOKUP_PER_MINUTE: int = env.int("RATE_LIMIT_LOOKUP_PER_MINUTE", default=30)
# Starting a Flickr sign-in (each one spends Flickr calls of our key).
RATE_LIMIT_SIGNIN_PER_MINUTE: int = env.int("RATE_LIMIT_SIGNIN_PER_MINUTE", default=10)
# Form posts: choosing photos and filing, the report form, confirming, cancelling.
RATE_LIMIT_FORMS_PER_MINUTE: int = env.int("RATE_LIMIT_FORMS_PER_MINUTE", default=20)

# Deletion pipeline (optout.deletion). Photos per batch (one transaction each);
# attempts before a job fails and its request with it; retry backoff; when the
# sweeper resends a job still queued, or one running whose heartbeat stopped
# (a killed worker). A batch must take well under DELETION_STALE_AFTER_SECONDS.
DELETION_BATCH_SIZE: int = env.int("DELETION_BATCH_SIZE", default=1000)
DELETION_MAX_ATTEMPTS: int = env.int("DELETION_MAX_ATTEMPTS", default=6)
DELETION_RETRY_BACKOFF_SECONDS: float = env.float("DELETION_RETRY_BACKOFF_SECONDS", default=30.0)
DELETION_RETRY_BACKOFF_MAX_SECONDS: float = env.float(
    "DELETION_RETRY_BACKOFF_MAX_SECONDS", default=1800.0
)
DELETION_REQUEUE_AFTER_SECONDS: int = env.int("DELETION_REQUEUE_AFTER_SECONDS", default=300)
DELETION_STALE_AFTER_SECONDS: int = env.int("DELETION_STALE_AFTER_SECONDS", default=600)
DELETION_SWEEP_EVERY_SECONDS: float = env.float("DELETION_SWEEP_EVERY_SECONDS", default=120.0)

CELERY_BEAT_SCHEDULE = {
    "deletion-sweep": {
        "task": "optout.tasks.deletion_sweep",
        "schedule": DELETION_SWEEP_EVERY_SECONDS,
    },
    "confirm-reminders": {"task": "optout.tasks.confirm_reminders_send", "schedule": 3600.0},
    "shown-unconfirmed-purge": {"task": "optout.tasks.shown_unconfirmed_purge", "schedule": 3600.0},
    "personal-data-erase": {"task": "optout.tasks.personal_data_erase", "schedule": 86400.0},
}
