"""The one seam to email: one named message per moment, over template triplets.

Templates: templates/emails/<kind>-subject.txt, -body.txt, -body.html.

The `EmailLog` row is the outbox. `email_enqueue` writes it in the caller's
transaction (filing, a workflow move, a confirmation, a reminder), so the
email exists exactly when the change does; after commit a task
(`optout.tasks.email_send`) is sent to speed it up, and if the broker is down
or loses the message, the beat sweeper (`emails_sweep`) sends it. A worker
claims the row with a conditional UPDATE before calling the provider, so of
any number of messages for one email, one sends it. A failed attempt waits in
the row (`next_attempt_at`, exponential backoff with jitter), not in a worker;
a refusal (4xx) or the last attempt fails it for good, on the request's
timeline and the admin dashboard.

Status news goes only to a confirmed address, and its row is written only
then: news of a state reached while the address was unconfirmed is never
written, and confirming sends the news of the state the request is in by
then (optout.requests.confirmation). Messages that ask for confirmation go to
the unconfirmed address; one whose address got confirmed before it was sent
is skipped.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

import requests
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop

from optout import queue, secret_links
from optout.models import EmailLog, RemovalRequest, RequestEvent, RequestLink
from optout.notifications import wording

log = logging.getLogger(__name__)

S = RemovalRequest.Status
E = EmailLog.Outcome

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
    # Every organisation holding a copy confirmed the deletion (optout.licensees.copies).
    "downstream_done",
    # The one note about a request the re-check filed for the owner's signals on Flickr.
    "flickr_signal",
)
# Messages that ask for confirmation, and so may go to an unconfirmed address.
ASKS_FOR_CONFIRMATION = frozenset(
    {"received", "shown_received", "confirm_reminder", "shown_confirm_reminder"}
)
RECEIPT_IDS_IN_EMAIL = 200
# The flickr_signal email lists this many signals, then says how many more.
SIGNALS_SHOWN = 5
# Emails the sweeper sends at most per pass; the rest go on the next one.
SWEEP_BATCH = 1000
# What a failed attempt can raise: the provider's API, the network, a socket.
SEND_ERRORS: tuple[type[BaseException], ...] = (
    AnymailAPIError,
    AnymailRecipientsRefused,
    requests.RequestException,
    OSError,
)
STOPPED_ERROR = gettext_noop(
    "Its worker stopped on every attempt (killed, or an error: see the worker log)."
)
# Why an email was skipped, as stored on its row: ours, so the admin shows them in the
# maintainer's language (`error_in_language`); a provider's errors stay as it gave them.
NO_ADDRESS = gettext_noop("no request or no address")
NOT_CONFIRMED = gettext_noop("address not confirmed")
ALREADY_CONFIRMED = gettext_noop("already confirmed")
OUR_ERRORS = frozenset({STOPPED_ERROR, NO_ADDRESS, NOT_CONFIRMED, ALREADY_CONFIRMED})


def error_in_language(text: str) -> str:
    """An email row's error in the current language when it is one of ours."""
    return gettext(text) if text in OUR_ERRORS else text


@dataclass(frozen=True)
class Outcome:
    sent: bool
    reason: str = ""


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def dedupe_key(*, request_id: int, kind: str) -> str:
    return f"{kind}:{request_id}"


def email_enqueue(*, removal: RemovalRequest, kind: str) -> EmailLog | None:
    """Write `kind` about `removal` to the outbox, in the caller's transaction.

    One row per request and kind: if it exists, nothing happens. A worker gets
    a task for it after commit; the sweeper sends it if that task never comes.
    None when there is no address to write to.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown email kind {kind!r}")
    if not removal.email:
        return None
    now = timezone.now()
    entry, created = EmailLog.objects.get_or_create(
        dedupe_key=dedupe_key(request_id=removal.pk, kind=kind),
        defaults={
            "request": removal,
            "kind": kind,
            "to": removal.email,
            "outcome": E.QUEUED,
            "next_attempt_at": now,
            # Sent after commit, below; cleared if the broker does not take it.
            "enqueued_at": now,
        },
    )
    if created:
        entry_pk, request_pk = entry.pk, removal.pk
        # robust: the change is committed, and its email with it; a broker or
        # database hiccup here is the sweeper's to cover, not the caller's error.
        transaction.on_commit(lambda: _send_now(entry_pk, request_pk, kind), robust=True)
    return entry


def _send_now(entry_pk: int, request_id: int, kind: str) -> None:
    if not queue.enqueue(queue.EMAIL_SEND, request_id, kind):
        # The next sweep sends it, rather than the one after EMAIL_REQUEUE_AFTER_SECONDS.
        EmailLog.objects.filter(pk=entry_pk, outcome=E.QUEUED).update(enqueued_at=None)


def status_news_enqueue(*, removal: RemovalRequest) -> None:
    """After a state change: tell a confirmed requester, if the new state is news."""
    kind = STATUS_NEWS.get(removal.status)
    if removal.kind == RemovalRequest.Kind.FLICKR_SIGNAL:
        return  # nobody filed it: one note at filing (flickr_signal), no news after
    if kind and removal.email and removal.email_confirmed:
        email_enqueue(removal=removal, kind=kind)


class DatasetReceipt(TypedDict):
    dataset: str
    release: str
    count: int
    ids: list[int]


def receipt(removal: RemovalRequest) -> list[DatasetReceipt]:
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
        # Lazy: written in the email's language, which render() switches to.
        "reason": lazy_reason(removal.reject_reason),
    }
    if kind in ASKS_FOR_CONFIRMATION and not removal.email_confirmed:
        confirm_token = secret_links.link_mint(removal=removal, purpose=RequestLink.Purpose.CONFIRM)
        context["confirm_url"] = absolute(reverse("email_confirm", args=[confirm_token]))
        context["confirm_days"] = secret_links.CONFIRM_LINK_DAYS
        # A shown-in-photo request waits for the address, and goes without it.
        context["purge_on"] = removal.created_at + secret_links.CONFIRM_LINK_LIFETIME
    if kind == "flickr_signal":
        details = list(removal.flickr_signals.values_list("detail", flat=True)[:SIGNALS_SHOWN])
        # Lazy: in the email's language, which render() switches to.
        context["signals"] = [lazy_why(detail) for detail in details]
        context["signals_more"] = max(0, removal.flickr_signals.count() - SIGNALS_SHOWN)
    if kind == "completed":
        datasets = receipt(removal)
        context["receipt"] = datasets
        context["receipt_total"] = sum(int(d["count"]) for d in datasets)
        context["receipt_limit"] = RECEIPT_IDS_IN_EMAIL
        context["receipt_url"] = absolute(reverse("request_receipt", args=[status_token]))
    return context


def _reason(text: str) -> str:
    return wording.reason_in_language(text) if text else gettext("none given")


lazy_reason = lazy(_reason, str)
lazy_why = lazy(wording.why_in_language, str)


def render(kind: str, context: dict[str, object], language: str = "") -> tuple[str, str, str]:
    """Subject, text and HTML of `kind`, written in `language` (default: the site's).

    A worker or beat has no visitor's language: each email names its own, so one
    about a request filed in Spanish is in Spanish whoever sends it.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{kind}-subject.txt", context).strip()
        text = render_to_string(f"emails/{kind}-body.txt", context)
        html = render_to_string(f"emails/{kind}-body.html", context)
    return " ".join(subject.split()), text, html


def _unsendable(removal: RemovalRequest | None, kind: str) -> str:
    """Why this message must not go (any more), or "" when it may."""
    if removal is None or not removal.email:
        return NO_ADDRESS
    if kind not in ASKS_FOR_CONFIRMATION and not removal.email_confirmed:
        return NOT_CONFIRMED
    if kind in ASKS_FOR_CONFIRMATION and removal.email_confirmed:
        return ALREADY_CONFIRMED
    return ""


def email_deliver(*, request_id: int, kind: str) -> Outcome:
    """Send the outbox's `kind` about a request if it is due, at most once. Called by the task.

    Never raises for the provider: a failed attempt is written to the row,
    which the sweeper sends again when its retry is due.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown email kind {kind!r}")
    removal = RemovalRequest.objects.filter(pk=request_id).first()
    reason = _unsendable(removal, kind)
    key = dedupe_key(request_id=request_id, kind=kind)
    entry = EmailLog.objects.filter(dedupe_key=key).first()
    if entry is None:
        if reason:
            return Outcome(False, reason)
        # A message with no row (sent before the outbox existed): its row now.
        assert removal is not None
        entry, _ = EmailLog.objects.get_or_create(
            dedupe_key=key,
            defaults={"request": removal, "kind": kind, "to": removal.email},
        )
    if entry.outcome not in (E.QUEUED, E.SENDING):
        return Outcome(False, f"already {entry.outcome}")
    if reason:
        EmailLog.objects.filter(pk=entry.pk, outcome=E.QUEUED).update(
            outcome=E.SKIPPED, error=reason, next_attempt_at=None
        )
        return Outcome(False, reason)
    assert removal is not None

    # Claim this attempt. Of two workers holding messages for the same email
    # (a late one and the sweeper's), one wins; a queued email waits for its
    # retry time; one in flight is left alone unless its claim is stale (a
    # worker killed while sending).
    now = timezone.now()
    claimed = (
        EmailLog.objects.filter(pk=entry.pk, attempts=entry.attempts)
        .filter(
            Q(outcome=E.QUEUED, next_attempt_at__lte=now)
            | Q(outcome=E.QUEUED, next_attempt_at__isnull=True)
            | Q(outcome=E.SENDING, claimed_at__lt=now - requeue_delay())
        )
        .update(attempts=F("attempts") + 1, outcome=E.SENDING, claimed_at=now)
    )
    if not claimed:
        entry.refresh_from_db()
        if entry.outcome == E.QUEUED and entry.next_attempt_at and entry.next_attempt_at > now:
            return Outcome(False, f"not due until {entry.next_attempt_at:%H:%M:%S}")
        return Outcome(False, "another worker has it")
    attempt = entry.attempts + 1

    try:
        # The links are committed before the provider has the message: they must
        # work the moment it arrives, and a provider that failed may still deliver it.
        with transaction.atomic():
            subject, text, html = render(kind, _context(removal, kind), removal.language)
        message = EmailMultiAlternatives(subject, text, to=[removal.email])
        message.attach_alternative(html, "text/html")
        # ignore[attr-defined] twice: anymail reads tags and metadata off the message;
        # Django's class has no such fields.
        message.tags = [kind]  # type: ignore[attr-defined]
        message.metadata = {"request": removal.public_id, "kind": kind}  # type: ignore[attr-defined]
        message.send()
    except SEND_ERRORS as error:
        return _attempt_failed(entry=entry, attempt=attempt, error=error)
    except Exception as error:
        # Not the provider (a template, a bug): retried all the same, and the
        # traceback goes to the worker's log.
        _attempt_failed(entry=entry, attempt=attempt, error=error)
        raise
    status = getattr(message, "anymail_status", None)
    message_id = str(status.message_id) if status and status.message_id is not None else ""
    EmailLog.objects.filter(pk=entry.pk).update(
        outcome=E.SENT,
        sent_at=timezone.now(),
        provider_message_id=message_id,
        next_attempt_at=None,
    )
    return Outcome(True)


def _attempt_failed(*, entry: EmailLog, attempt: int, error: BaseException) -> Outcome:
    """Write a failed attempt to the row: retry later, or, refused or out of attempts, give up."""
    status = getattr(error, "status_code", None)
    refused = isinstance(error, AnymailRecipientsRefused) or (
        status is not None and status < 500 and status != 429
    )
    text = f"{type(error).__name__}: {error}"[:2000]
    if refused or attempt >= settings.EMAIL_MAX_ATTEMPTS:
        email_give_up(entry=entry, error=text, refused=refused)
        reason = "refused by the provider" if refused else f"failed after {attempt} attempts"
        return Outcome(False, reason)
    delay = backoff(attempt)
    EmailLog.objects.filter(pk=entry.pk, outcome=E.SENDING).update(
        outcome=E.QUEUED,
        error=text,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        enqueued_at=None,
        claimed_at=None,
    )
    log.warning(
        "email %s attempt %s failed, next in %.0f s: %s", entry.dedupe_key, attempt, delay, text
    )
    return Outcome(False, f"attempt {attempt} failed, next in {delay:.0f} s: {text}")


def email_give_up(*, entry: EmailLog, error: str, refused: bool = False) -> None:
    """Fail an email for good: the error on the row, a note on the request's timeline."""
    with transaction.atomic():
        failed = EmailLog.objects.filter(pk=entry.pk, outcome__in=(E.QUEUED, E.SENDING)).update(
            outcome=E.FAILED, error=error, next_attempt_at=None, claimed_at=None
        )
        if failed and entry.request_id:
            how = "was refused by the provider" if refused else "failed on every attempt"
            RequestEvent.objects.create(
                request_id=entry.request_id,
                kind=RequestEvent.Kind.EMAIL_FAILED,
                actor="system",
                why=f"Our email “{entry.kind}” to {entry.to} {how}; we gave up: {error}",
                public=False,
            )
    log.error("email %s given up: %s", entry.dedupe_key, error)


def emails_sweep(*, now: datetime | None = None) -> int:
    """Send a task for every email that is due; returns how many were sent.

    Due: queued and past its retry time, or claimed EMAIL_REQUEUE_AFTER_SECONDS
    ago and never finished (a killed worker); and with no task sent since it
    became due (the broker was down), or none for that long (a lost message).
    The claim makes a task for an email already sent or in flight a no-op.
    """
    now = now or timezone.now()
    stale = now - requeue_delay()
    stuck = EmailLog.objects.filter(
        outcome=E.SENDING, claimed_at__lt=stale, attempts__gte=settings.EMAIL_MAX_ATTEMPTS
    )
    for entry in stuck:
        email_give_up(entry=entry, error=STOPPED_ERROR)
    # A request deleted since (an unconfirmed shown-in-photo request): nothing to send.
    EmailLog.objects.filter(outcome=E.QUEUED, request__isnull=True).update(
        outcome=E.SKIPPED, error=NO_ADDRESS, next_attempt_at=None
    )
    due = list(
        EmailLog.objects.filter(
            Q(outcome=E.QUEUED, next_attempt_at__lte=now)
            | Q(outcome=E.SENDING, claimed_at__lt=stale),
            Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=stale),
            request__isnull=False,
        )
        .order_by("next_attempt_at")
        .values_list("pk", "request_id", "kind")[:SWEEP_BATCH]
    )
    if not due:
        return 0
    EmailLog.objects.filter(pk__in=[pk for pk, _, _ in due]).update(enqueued_at=now)
    sent = 0
    for n, (_pk, request_id, kind) in enumerate(due):
        if not queue.enqueue(queue.EMAIL_SEND, request_id, kind):
            # The broker is down: the rest wait for the next sweep, not for the requeue delay.
            unsent = [pk for pk, _, _ in due[n:]]
            EmailLog.objects.filter(pk__in=unsent, outcome=E.QUEUED).update(enqueued_at=None)
            break
        sent += 1
    log.info("email sweep: %s of %s due emails sent to the broker", sent, len(due))
    return sent


def requeue_delay() -> timedelta:
    return timedelta(seconds=settings.EMAIL_REQUEUE_AFTER_SECONDS)


def backoff(attempts: int) -> float:
    """Seconds before the next try: exponential, capped, with jitter so a provider
    outage does not bring every email back in the same second."""
    base = settings.EMAIL_RETRY_BACKOFF_SECONDS
    delay = min(base * 2 ** max(attempts - 1, 0), settings.EMAIL_RETRY_BACKOFF_MAX_SECONDS)
    return float(delay * random.uniform(0.8, 1.2))
