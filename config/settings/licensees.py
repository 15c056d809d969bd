"""Licensees: the organisations holding a copy of a dataset (optout.licensees,
docs/licensees.md): their webhooks, acknowledgements and digest emails."""

from config.settings.base import env

# Days a removal may wait unacknowledged before the daily email becomes a reminder
# and the licensee shows as overdue to the maintainers.
LICENSEE_ACK_DAYS: int = env.int("LICENSEE_ACK_DAYS", default=30)
# Webhooks (`removals.available`): each attempt waits at most WEBHOOK_TIMEOUT_SECONDS
# for the endpoint (to connect, and between bytes of its answer). A failed one is
# tried again after WEBHOOK_RETRY_BACKOFF_SECONDS, doubling up to
# WEBHOOK_RETRY_BACKOFF_MAX_SECONDS, for WEBHOOK_RETRY_HOURS after the event; then
# it is given up (the feed and the digest still carry the removals).
WEBHOOK_TIMEOUT_SECONDS: float = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_RETRY_HOURS: float = env.float("WEBHOOK_RETRY_HOURS", default=24.0)
WEBHOOK_RETRY_BACKOFF_SECONDS: float = env.float("WEBHOOK_RETRY_BACKOFF_SECONDS", default=30.0)
WEBHOOK_RETRY_BACKOFF_MAX_SECONDS: float = env.float(
    "WEBHOOK_RETRY_BACKOFF_MAX_SECONDS", default=3600.0
)
# The sweeper sends every WEBHOOK_SWEEP_EVERY_SECONDS what is due: a retry whose time
# has come, and an event whose task the broker lost (not taken within
# WEBHOOK_REQUEUE_AFTER_SECONDS, which must stay well above the timeout: a claim that
# old belongs to a worker that died).
WEBHOOK_SWEEP_EVERY_SECONDS: float = env.float("WEBHOOK_SWEEP_EVERY_SECONDS", default=30.0)
WEBHOOK_REQUEUE_AFTER_SECONDS: float = env.float("WEBHOOK_REQUEUE_AFTER_SECONDS", default=120.0)
