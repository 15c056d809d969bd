"""Email: django-anymail when ANYMAIL_ESP names a provider, else the console.

With DEBUG off (production) both ANYMAIL_ESP and ANYMAIL_WEBHOOK_SECRET are
required: the console would print every status link to a log and deliver
nothing, and without the secret the tracking webhook takes posts from anyone.
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import DEBUG, env

ANYMAIL_ESP: str = env.str("ANYMAIL_ESP", default="")
ANYMAIL: dict[str, str] = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_") and key != "ANYMAIL_ESP"
}
if not DEBUG and not ANYMAIL_ESP:
    raise ImproperlyConfigured(
        "The environment variable ANYMAIL_ESP is not set. It is required when DEBUG is off "
        "(production): without it, emails go to the console, so nobody gets their status "
        "link or confirmation. Set ANYMAIL_ESP to your provider (postmark, mailgun, "
        "sendgrid, amazon_ses, ...) with its ANYMAIL_* credentials, or set DEBUG=true for "
        "a local run."
    )
if not DEBUG and not ANYMAIL.get("WEBHOOK_SECRET"):
    raise ImproperlyConfigured(
        "The environment variable ANYMAIL_WEBHOOK_SECRET is not set. It is required when "
        "DEBUG is off (production): without it, /anymail/<esp>/tracking/ accepts delivery "
        "news from anyone. Set it to a random user:password and give your provider the "
        "webhook URL with the same credentials, or set DEBUG=true for a local run."
    )
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
