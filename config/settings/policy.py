"""optout's own policies: deadlines, approval, reminders, retention, rate limits, deletion."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import env

# Requests.
# Absolute links in emails point here.
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000")
REQUEST_DEADLINE_DAYS: int = env.int("REQUEST_DEADLINE_DAYS", default=30)
# Verified owner requests go straight to the deletion queue; off: they wait in needs_review.
AUTO_APPROVE_OWNER_REQUESTS: bool = env.bool("AUTO_APPROVE_OWNER_REQUESTS", default=True)
# What the re-check does with an owner's own signals on Flickr (no_cv, a licence
# change, a private or deleted photo, a deleted account): "remove" approves the request
# it files at once; "review" leaves it in the maintainers' queue.
RECHECK_POLICY: str = env.str("RECHECK_POLICY", default="remove")
if RECHECK_POLICY not in ("remove", "review"):
    raise ImproperlyConfigured(
        f"RECHECK_POLICY is {RECHECK_POLICY!r}; it must be remove (act on an owner's signals "
        "at once) or review (a maintainer approves each)."
    )
CONFIRM_REMINDER_AFTER_HOURS: int = env.int("CONFIRM_REMINDER_AFTER_HOURS", default=48)
# Days after a request closes before optout.privacy.retention erases the requester's
# email and words.
RETENTION_DAYS: int = env.int("RETENTION_DAYS", default=90)
PHOTOS_PER_PAGE: int = 48
# How long a Flickr sign-in stays good for seeing one's photos and filing: on a
# shared computer the next person must not file, or read titles, in the owner's name.
FLICKR_IDENTITY_MAX_AGE_SECONDS: int = env.int("FLICKR_IDENTITY_MAX_AGE_SECONDS", default=3600)
# Rate limits, per client IP per minute (optout.infra.ratelimit). The check APIs
# (/api/v1/check, /api/v2/query/urls/) share one counter.
API_RATE_LIMIT_PER_MINUTE: int = env.int("API_RATE_LIMIT_PER_MINUTE", default=60)
# ...and in items (photos or URLs checked): what the checks' CPU costs. A call with
# more items than the client has left this minute gets a 429 and counts nothing.
API_RATE_LIMIT_ITEMS_PER_MINUTE: int = env.int("API_RATE_LIMIT_ITEMS_PER_MINUTE", default=20_000)
# Look-ups (/?q=). One that needed Flickr's answer about a name costs
# RATE_LIMIT_LOOKUP_FLICKR_COST (Flickr's hourly budget is shared by everyone).
RATE_LIMIT_LOOKUP_PER_MINUTE: int = env.int("RATE_LIMIT_LOOKUP_PER_MINUTE", default=30)
RATE_LIMIT_LOOKUP_FLICKR_COST: int = env.int("RATE_LIMIT_LOOKUP_FLICKR_COST", default=5)
# The check APIs' body limit, per view (Django's DATA_UPLOAD_MAX_MEMORY_SIZE is for all):
# 10,000 links of about 100 bytes.
API_CHECK_MAX_BODY_BYTES: int = env.int("API_CHECK_MAX_BODY_BYTES", default=1_048_576)
# Starting a Flickr sign-in (each one spends Flickr calls of our key).
RATE_LIMIT_SIGNIN_PER_MINUTE: int = env.int("RATE_LIMIT_SIGNIN_PER_MINUTE", default=10)
# Form posts: choosing photos and filing, the report form, confirming, cancelling.
RATE_LIMIT_FORMS_PER_MINUTE: int = env.int("RATE_LIMIT_FORMS_PER_MINUTE", default=20)
# Look-ups by picture (/picture/, /api/v1/picture): each decodes and hashes an upload.
RATE_LIMIT_PICTURE_PER_MINUTE: int = env.int("RATE_LIMIT_PICTURE_PER_MINUTE", default=10)
# The maintainers' login (optout/admin/login.py): failed logins per username (from any
# address) and per address (any usernames), each within ADMIN_LOGIN_LOCKOUT_SECONDS of
# the one before, after which the login waits ADMIN_LOGIN_LOCKOUT_SECONDS from the last.
ADMIN_LOGIN_FAILURES_PER_USERNAME: int = env.int("ADMIN_LOGIN_FAILURES_PER_USERNAME", default=5)
ADMIN_LOGIN_FAILURES_PER_ADDRESS: int = env.int("ADMIN_LOGIN_FAILURES_PER_ADDRESS", default=20)
ADMIN_LOGIN_LOCKOUT_SECONDS: int = env.int("ADMIN_LOGIN_LOCKOUT_SECONDS", default=900)

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
