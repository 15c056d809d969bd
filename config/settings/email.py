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

# The email outbox (optout.notifications.emails, docs/durability.md). Every
# EMAIL_SWEEP_EVERY_SECONDS the sweeper sends each email that is due: never
# sent to the broker, sent but not taken for EMAIL_REQUEUE_AFTER_SECONDS (a
# lost message; a claim that old is a dead worker's, so it must stay well above
# the provider's timeout), or due for a retry. A failed attempt waits
# EMAIL_RETRY_BACKOFF_SECONDS, doubling up to EMAIL_RETRY_BACKOFF_MAX_SECONDS,
# with jitter; after EMAIL_MAX_ATTEMPTS the email fails for good.
EMAIL_SWEEP_EVERY_SECONDS: float = env.float("EMAIL_SWEEP_EVERY_SECONDS", default=60.0)
EMAIL_REQUEUE_AFTER_SECONDS: float = env.float("EMAIL_REQUEUE_AFTER_SECONDS", default=300.0)
EMAIL_MAX_ATTEMPTS: int = env.int("EMAIL_MAX_ATTEMPTS", default=8)
EMAIL_RETRY_BACKOFF_SECONDS: float = env.float("EMAIL_RETRY_BACKOFF_SECONDS", default=30.0)
EMAIL_RETRY_BACKOFF_MAX_SECONDS: float = env.float(
    "EMAIL_RETRY_BACKOFF_MAX_SECONDS", default=3600.0
)
