"""Settings every process shares: paths, apps, templates, static files, logging.

Read from environment variables. Every value has a safe local default so that
`make run` works on a fresh machine; production sets DEBUG off and must then
provide its secrets (a missing one stops the start with a message naming the
variable). docs/configuration.md lists every variable.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

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


INSTALLED_APPS = [
    # Django's admin with our site: the maintainers' queue, dashboard and who may enter.
    "optout.admin.apps.QueueAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # intcomma and naturalday for the emails' counts and dates, in the reader's language.
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "anymail",
    "optout",
]
if DEBUG:
    # The demo and the Flickr simulator, for `make run`; never in production.
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before whitenoise, so static files carry the policy and no-training headers too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "optout.web.policies.NoTrainingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switcher's cookie, else the browser's Accept-Language (URLs unchanged).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    # The public pages (templates/base.html, templates/optout/) are Jinja2, for
    # speed (optout/infra/templating.py says why); this engine answers for those
    # names only. The admin and the emails are Django templates, below.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "optout.infra.templating.environment",
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

# Sessions in the database, never in signed cookies: the session holds the
# OAuth request-token secret during the Flickr sign-in.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Each name in its own language: the footer's switcher shows them to people who may
# not read the page's current one. docs/i18n.md says how to add a language.
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("pt-br", "Português (Brasil)"),
]
# Compiled by `make run` and `make test` (compilemessages); the .po files are the source.
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates as the pages always had them ("3 December 2026"); the other languages
# take Django's own formats ("3 de diciembre de 2026").
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGE_COOKIE_NAME = "optout_language"
LANGUAGE_COOKIE_AGE = 365 * 86400
LANGUAGE_COOKIE_SAMESITE = "Lax"
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

# Status and confirmation links are secrets: RedactSecrets (optout/infra/logredact.py)
# takes them out of Django's request warnings ("Not Found: /r/<token>/", on the
# django.request logger, before any handler), runserver's lines, and whatever else
# reaches the console. gunicorn's access log: config/gunicorn.py.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "optout.infra.logredact.RedactSecrets"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # Django's own format for runserver's request lines.
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secrets"],
        },
    },
    "loggers": {
        "django.request": {"filters": ["redact_secrets"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
