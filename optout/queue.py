"""Enqueue background work by task name, after commit.

Domain code never imports `optout.tasks` (an entry point, above it): it names
the task here, and Celery routes the message by that name. A test checks that
every name below is a registered task.

A broker that is down only delays the work: every task sent from here has a
database row (an outbox) that a beat sweeper sends again when it is due.
"""

import logging

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

log = logging.getLogger(__name__)

EMAIL_SEND = "optout.tasks.email_send"
DELETION_RUN = "optout.tasks.deletion_run"
WEBHOOK_SEND = "optout.tasks.webhook_send"
LICENSEE_NOTICE_SEND = "optout.tasks.licensee_notice_send"
ACKNOWLEDGEMENT_CHECK = "optout.tasks.acknowledgement_check"
TASK_NAMES = frozenset(
    {EMAIL_SEND, DELETION_RUN, WEBHOOK_SEND, LICENSEE_NOTICE_SEND, ACKNOWLEDGEMENT_CHECK}
)
# Hashing an import's pictures for the look-up by picture (optout/pictures/).
PICTURES_HASH = "optout.tasks.pictures_hash"
TASK_NAMES |= {PICTURES_HASH}
# A signed-in owner's public photo list (optout/recheck/listing.py).
LISTING_RUN = "optout.tasks.listing_run"
TASK_NAMES |= {LISTING_RUN}


def enqueue(name: str, *args: object, countdown: float = 0) -> bool:
    """Send task `name` now; False when the broker could not take it (the sweeper will)."""
    if name not in TASK_NAMES:
        raise ValueError(f"unknown task {name!r}: add it to optout.queue.TASK_NAMES")
    try:
        current_app.send_task(name, args=args, countdown=countdown or None)
    except (BrokerError, OSError) as error:
        log.warning("task %s%r not sent, its sweeper will resend it: %s", name, args, error)
        return False
    return True


def enqueue_on_commit(name: str, *args: object) -> None:
    """Send task `name` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(name, *args))
