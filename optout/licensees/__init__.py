"""Downstream copies: the organisations holding a copy of a dataset (licensees) learn of
every removal and confirm the deletion; owners see the confirmations.

- registry: licensees and their credentials (API token, webhook signing secret).
- cursors: the feed's opaque, signed cursors.
- feed: a copy's removal feed, and acknowledgements (only forward).
- webhooks: `removals.available`, signed per Standard Webhooks, retried, swept.
- digests: the daily digest or reminder to the contacts.
- overview: how far each copy is behind (admin, dashboard).
- copies: what an owner sees, and `downstream_done` when every copy is clean.

The write side lives in the deletion pipeline (optout.deletion.downstream): the
transaction that completes a request numbers its removals in the feeds and writes
the webhook outbox rows, so nothing here is called from below.
"""

from optout.licensees.copies import (
    Copies,
    acknowledgement_check,
    acknowledgements_sweep,
    receipt_counter,
    request_copies,
)
from optout.licensees.cursors import CursorInvalid
from optout.licensees.digests import digests_send, notice_deliver
from optout.licensees.feed import (
    PAGE_DEFAULT,
    PAGE_MAX,
    Acknowledged,
    FeedPage,
    NotHeld,
    acknowledgement_record,
    feed_read,
    holding_find,
)
from optout.licensees.overview import Summary, copy_states, licensees_summary
from optout.licensees.registry import (
    Credentials,
    LicenseeInvalid,
    licensee_authenticate,
    licensee_create,
    licensee_revoke,
    token_rotate,
    webhook_resume,
    webhook_secret_rotate,
)
from optout.licensees.webhooks import webhook_deliver, webhooks_sweep

__all__ = [
    "PAGE_DEFAULT",
    "PAGE_MAX",
    "Acknowledged",
    "Copies",
    "Credentials",
    "CursorInvalid",
    "FeedPage",
    "LicenseeInvalid",
    "NotHeld",
    "Summary",
    "acknowledgement_check",
    "acknowledgement_record",
    "acknowledgements_sweep",
    "copy_states",
    "digests_send",
    "feed_read",
    "holding_find",
    "licensee_authenticate",
    "licensee_create",
    "licensee_revoke",
    "licensees_summary",
    "notice_deliver",
    "receipt_counter",
    "request_copies",
    "token_rotate",
    "webhook_deliver",
    "webhook_resume",
    "webhook_secret_rotate",
    "webhooks_sweep",
]
