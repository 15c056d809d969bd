"""Email: django-anymail when ANYMAIL_ESP names a provider, else the console."""

from config.settings.base import env

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
