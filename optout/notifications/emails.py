"""The one seam to email: one named message per moment, over template triplets.

Templates: templates/emails/<kind>-subject.txt, -body.txt, -body.html.
Messages are sent by a Celery task after commit (`optout.tasks.email_send`), each at
most once: an `EmailLog` row keyed by what the message is about is claimed
before the provider is called, and a retry never sends news already sent.
Status news goes only to a confirmed address; the first message, which asks
for confirmation, is the exception.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

import requests
from anymail.exceptions import AnymailAPIError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from optout import queue, secret_links
from optout.models import EmailLog, RemovalRequest, RequestLink

log = logging.getLogger(__name__)

S = RemovalRequest.Status

# The news a requester gets when their request reaches a state.
STATUS_NEWS: dict[str, str] = {
    S.APPROVED: "approved",
    S.COMPLETED: "completed",
    S.REJECTED: "rejected",
    S.CANCELLED: "cancelled",
    S.FAILED: "failed",
}
KINDS = (
    "received",
    "shown_received",
    "confirm_reminder",
    "shown_confirm_reminder",
    "email_confirmed",
    *STATUS_NEWS.values(),
)
# Messages that ask for confirmation, and so may go to an unconfirmed address.
ASKS_FOR_CONFIRMATION = frozenset(
    {"received", "shown_received", "confirm_reminder", "shown_confirm_reminder"}
)
RECEIPT_IDS_IN_EMAIL = 200
CLAIM_STALE_AFTER = timedelta(minutes=10)


class EmailTransientError(Exception):
    """The provider or the network failed in a way a later try may not."""


@dataclass(frozen=True)
class Outcome:
    sent: bool
    reason: str = ""


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def email_enqueue(*, removal: RemovalRequest, kind: str) -> None:
    """Send `kind` about `removal` from a worker, once the transaction commits."""
    queue.enqueue_on_commit(queue.EMAIL_SEND, removal.pk, kind)


def status_news_enqueue(*, removal: RemovalRequest) -> None:
    """After a state change: tell a confirmed requester, if the new state is news."""
    kind = STATUS_NEWS.get(removal.status)
    if kind and removal.email and removal.email_confirmed:
        email_enqueue(removal=removal, kind=kind)


def receipt(removal: RemovalRequest) -> list[dict[str, object]]:
    """Per dataset: name, release, and the removed photo ids of this request."""
    rows = (
        removal.photos.filter(state="removed")
        .values_list("dataset__name", "dataset__release", "flickr_id")
        .order_by("dataset__name", "flickr_id")
    )
    by_dataset: dict[tuple[str, str], list[int]] = {}
    for name, release, flickr_id in rows:
        by_dataset.setdefault((name, release), []).append(flickr_id)
    return [
        {"dataset": name, "release": release, "count": len(ids), "ids": ids}
        for (name, release), ids in by_dataset.items()
    ]


def _context(removal: RemovalRequest, kind: str) -> dict[str, object]:
    status_token = secret_links.link_mint(removal=removal, purpose=RequestLink.Purpose.STATUS)
    context: dict[str, object] = {
        "request": removal,
        "status_url": absolute(reverse("request_status", args=[status_token])),
        "site_url": settings.SITE_URL,
        "photo_count": removal.photos.count(),
        "deadline": removal.deadline,
    }
    if kind in ASKS_FOR_CONFIRMATION and not removal.email_confirmed:
        confirm_token = secret_links.link_mint(removal=removal, purpose=RequestLink.Purpose.CONFIRM)
        context["confirm_url"] = absolute(reverse("email_confirm", args=[confirm_token]))
        context["confirm_days"] = secret_links.CONFIRM_LINK_LIFETIME.days
        # A shown-in-photo request waits for the address, and goes without it.
        context["purge_on"] = removal.created_at + secret_links.CONFIRM_LINK_LIFETIME
    if kind == "completed":
        datasets = receipt(removal)
        context["receipt"] = datasets
        context["receipt_total"] = sum(int(d["count"]) for d in datasets)  # type: ignore[call-overload]
        context["receipt_limit"] = RECEIPT_IDS_IN_EMAIL
        context["receipt_url"] = absolute(reverse("request_receipt", args=[status_token]))
    return context


def render(kind: str, context: dict[str, object]) -> tuple[str, str, str]:
    subject = render_to_string(f"emails/{kind}-subject.txt", context).strip()
    text = render_to_string(f"emails/{kind}-body.txt", context)
    html = render_to_string(f"emails/{kind}-body.html", context)
    return " ".join(subject.split()), text, html


def email_deliver(*, request_id: int, kind: str) -> Outcome:
    """Send one named message about a request, at most once. Called by the task."""
    if kind not in KINDS:
        raise ValueError(f"unknown email kind {kind!r}")
    removal = RemovalRequest.objects.filter(pk=request_id).first()
    if removal is None or not removal.email:
        return Outcome(False, "no request or no address")
    if kind not in ASKS_FOR_CONFIRMATION and not removal.email_confirmed:
        return Outcome(False, "address not confirmed")
    if kind in ASKS_FOR_CONFIRMATION and removal.email_confirmed:
        return Outcome(False, "already confirmed")
    entry, _ = EmailLog.objects.get_or_create(
        dedupe_key=f"{kind}:{removal.pk}",
        defaults={"request": removal, "kind": kind, "to": removal.email},
    )
    if entry.outcome not in (EmailLog.Outcome.SENDING, EmailLog.Outcome.FAILED):
        return Outcome(False, "already sent")
    # Claim this attempt: of two workers holding the same message, one wins, and
    # a message in flight is left alone unless its claim is stale (a dead worker).
    now = timezone.now()
    claimed = (
        EmailLog.objects.filter(pk=entry.pk, attempts=entry.attempts)
        .filter(
            Q(outcome=EmailLog.Outcome.FAILED)
            | Q(outcome=EmailLog.Outcome.SENDING, claimed_at__isnull=True)
            | Q(outcome=EmailLog.Outcome.SENDING, claimed_at__lt=now - CLAIM_STALE_AFTER)
        )
        .update(attempts=F("attempts") + 1, outcome=EmailLog.Outcome.SENDING, claimed_at=now)
    )
    if not claimed:
        return Outcome(False, "another worker has it")

    try:
        # Links minted for a failed attempt roll back with it.
        with transaction.atomic():
            subject, text, html = render(kind, _context(removal, kind))
            message = EmailMultiAlternatives(subject, text, to=[removal.email])
            message.attach_alternative(html, "text/html")
            message.tags = [kind]  # type: ignore[attr-defined]
            message.metadata = {"request": removal.public_id, "kind": kind}  # type: ignore[attr-defined]
            message.send()
    except (AnymailAPIError, requests.RequestException, OSError) as error:
        status = getattr(error, "status_code", None)
        EmailLog.objects.filter(pk=entry.pk).update(
            outcome=EmailLog.Outcome.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        if status is None or status >= 500 or status == 429:
            raise EmailTransientError(str(error)) from error
        log.error("email %s for %s refused by the provider: %s", kind, removal, error)
        return Outcome(False, "refused by the provider")
    status = getattr(message, "anymail_status", None)
    message_id = str(status.message_id) if status and status.message_id is not None else ""
    EmailLog.objects.filter(pk=entry.pk).update(
        outcome=EmailLog.Outcome.SENT, sent_at=timezone.now(), provider_message_id=message_id
    )
    return Outcome(True)
