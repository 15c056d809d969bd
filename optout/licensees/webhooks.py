"""Sending `removals.available` webhooks, signed per the Standard Webhooks specification.

The `WebhookDelivery` row is the outbox (optout.deletion.downstream writes it with
the removals it announces). A task sends it after commit; the beat sweeper sends
what is due: a retry whose time has come, or an event whose task never came.

One event is one delivery id (`webhook-id`) and one body, the same on every
attempt; the timestamp and signature are the attempt's own. Before calling the
endpoint a worker claims the row with a conditional UPDATE, so of two tasks for
one event only one sends it, and a 2xx is written at once: after it, the event
is never sent again. (A worker killed between the endpoint's 2xx and that write
leaves a claim the sweeper takes back: the receiver then sees the id twice, which
the specification tells receivers to expect.)

A 2xx ends the event. A 410 pauses the licensee's webhook until a maintainer
resumes it. Anything else (no connection, no answer within the timeout, a 3xx,
since redirects are not followed, a 4xx or 5xx) is retried with backoff until
WEBHOOK_RETRY_HOURS after the event, then given up: the feed and the daily
digest still carry the removals. An endpoint that fails holds up nothing but
its own events.
"""

import json
import logging
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import requests
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks import Webhook

from optout.deletion import downstream
from optout.licensees.cursors import cursor_encode
from optout.models import Licensee, WebhookAttempt, WebhookDelivery

log = logging.getLogger(__name__)

EVENT = "removals.available"
USER_AGENT = "optout-webhooks/1 (+https://www.standardwebhooks.com/)"
D = WebhookDelivery.Status
SWEEP_BATCH = 1000


def body_of(delivery: WebhookDelivery) -> bytes:
    """The event, identical on every attempt: which dataset, and through which cursor."""
    cursor = cursor_encode(
        licensee_id=delivery.licensee_id, dataset_id=delivery.dataset_id, seq=delivery.seq
    )
    event = {
        "type": EVENT,
        "timestamp": delivery.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": {"dataset": delivery.dataset.slug, "cursor": cursor},
    }
    return json.dumps(event, separators=(",", ":")).encode()


def headers_of(*, secret: str, webhook_id: str, at: datetime, body: bytes) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=webhook_id, timestamp=at, data=body.decode())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def backoff(attempts: int) -> float:
    """Seconds before the next try: doubling from the base, capped, with jitter so
    endpoints that come back together do not get every event in the same second."""
    base = settings.WEBHOOK_RETRY_BACKOFF_SECONDS
    delay = min(base * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_BACKOFF_MAX_SECONDS)
    return delay * random.uniform(0.8, 1.2)


def _stale(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.WEBHOOK_REQUEUE_AFTER_SECONDS)


def _deadline(delivery: WebhookDelivery) -> datetime:
    return delivery.created_at + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """(HTTP status, error): the status when the endpoint answered, else None."""
    try:
        response = requests.post(
            url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,  # the answer's body is not ours to read
        )
    except requests.Timeout:
        return None, f"no answer within {settings.WEBHOOK_TIMEOUT_SECONDS:g} s"
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:2000]
    response.close()
    code = response.status_code
    if 300 <= code < 400:
        where = response.headers.get("Location", "?")[:500]
        return code, f"redirected to {where}: redirects are not followed"
    if not 200 <= code < 300:
        return code, f"HTTP {code} {response.reason or ''}".strip()[:2000]
    return code, ""


def webhook_deliver(*, delivery_id: int) -> str:
    """Send one delivery if it is due and nobody else is sending it. Returns what
    happened, for the task log. Called by the task; never raises for the endpoint."""
    delivery = (
        WebhookDelivery.objects.select_related("licensee", "dataset").filter(pk=delivery_id).first()
    )
    if delivery is None:
        return "no such delivery"
    if delivery.status != D.PENDING:
        return f"already {delivery.status}"
    licensee = delivery.licensee
    now = timezone.now()
    if not licensee.is_active or not licensee.webhook_url:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=D.PENDING).update(
            status=D.CANCELLED, last_error="licensee revoked, or its webhook removed"
        )
        return "cancelled"
    if licensee.webhook_paused_at:
        return "webhook paused"
    if now > _deadline(delivery):
        _give_up(delivery)
        return "given up"
    token = uuid.uuid4().hex
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery.pk, status=D.PENDING, next_attempt_at__lte=now)
        .filter(Q(claim="") | Q(claimed_at__lt=_stale(now)))
        .update(claim=token, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "not due, or another worker has it"
    attempts = delivery.attempts + 1
    body = body_of(delivery)
    headers = headers_of(
        secret=licensee.webhook_secret, webhook_id=delivery.webhook_id, at=now, body=body
    )
    started = time.monotonic()
    code, error = _post(licensee.webhook_url, body, headers)
    took = int((time.monotonic() - started) * 1000)
    done = timezone.now()
    WebhookAttempt.objects.create(
        delivery=delivery, at=now, status_code=code, error=error, duration_ms=took
    )
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, claim=token)
    if not error:
        mine.update(
            status=D.DELIVERED, delivered_at=done, claim="", last_status_code=code, last_error=""
        )
        return f"delivered ({code})"
    if code == 410:
        why = f"The endpoint answered 410 Gone on {done:%Y-%m-%d %H:%M} UTC."
        Licensee.objects.filter(pk=licensee.pk).update(
            webhook_paused_at=done, webhook_paused_why=why
        )
        mine.update(status=D.PAUSED, claim="", last_status_code=code, last_error=error)
        log.warning("webhook of licensee %s paused: %s", licensee.pk, why)
        return "paused (410)"
    retry_at = done + timedelta(seconds=backoff(attempts))
    if retry_at > _deadline(delivery):
        mine.update(status=D.FAILED, claim="", last_status_code=code, last_error=error)
        log.warning("webhook %s given up after %s attempts: %s", delivery.pk, attempts, error)
        return f"failed after {attempts} attempts: {error}"
    mine.update(claim="", next_attempt_at=retry_at, last_status_code=code, last_error=error)
    return f"attempt {attempts} failed, next at {retry_at:%H:%M:%S}: {error}"


def _give_up(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk, status=D.PENDING).update(
        status=D.FAILED,
        claim="",
        last_error=delivery.last_error or "never sent within the retry window",
    )


def webhooks_sweep() -> int:
    """Send what is due: never sent (the broker refused), sent but never taken (a lost
    message or a dead worker's claim), or due for a retry. Gives up the expired."""
    now = timezone.now()
    expired = WebhookDelivery.objects.filter(
        status=D.PENDING,
        created_at__lt=now - timedelta(hours=settings.WEBHOOK_RETRY_HOURS),
    ).filter(Q(claim="") | Q(claimed_at__lt=_stale(now)))
    for delivery in expired:
        _give_up(delivery)
    due = (
        WebhookDelivery.objects.filter(
            status=D.PENDING,
            next_attempt_at__lte=now,
            licensee__revoked_at__isnull=True,
            licensee__webhook_paused_at__isnull=True,
        )
        .exclude(licensee__webhook_url="")
        .filter(Q(claim="") | Q(claimed_at__lt=_stale(now)))
        .filter(
            Q(queued_at__isnull=True)
            | Q(queued_at__lt=F("next_attempt_at"))
            | Q(queued_at__lt=_stale(now))
        )
        .order_by("next_attempt_at")
    )
    ids = list(due.values_list("pk", flat=True)[:SWEEP_BATCH])
    if not ids:
        return 0
    WebhookDelivery.objects.filter(pk__in=ids).update(queued_at=now)
    sent = downstream.deliveries_enqueue(delivery_ids=ids)
    log.info("webhook sweep: %s of %s due deliveries sent", sent, len(ids))
    return sent
