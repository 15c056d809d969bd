"""The licensees' daily email: a digest to the contacts while removals wait
unacknowledged, which becomes a reminder once the oldest has waited
LICENSEE_ACK_DAYS. At most one a day per licensee.

The requesters' outbox (EmailLog) is keyed by request; these emails have none, so
their outbox is `LicenseeNotice`, with the same rules: the row is written first
(one per licensee and day, so a repeated pass writes nothing), a task sends it
after commit, a worker claims it with a conditional UPDATE before calling the
provider, and the hourly pass sends again what a lost message or a failed
attempt left. Templates and provider are the requesters' emails' own
(templates/emails/licensee_digest-*, licensee_reminder-*).
"""

import logging
from datetime import datetime, timedelta

import requests
from anymail.exceptions import AnymailError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from optout import queue
from optout.licensees.overview import copy_states
from optout.models import Licensee, LicenseeNotice
from optout.notifications import emails

log = logging.getLogger(__name__)

N = LicenseeNotice.Outcome
# A day, less a margin for the hourly pass's own drift, between two emails.
EVERY = timedelta(hours=24) - timedelta(minutes=10)
CLAIM_STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 6
# What a failed attempt can raise: the provider's API, the network, a socket.
SEND_ERRORS: tuple[type[BaseException], ...] = (
    AnymailError,
    requests.RequestException,
    OSError,
)


def digests_send(*, now: datetime | None = None) -> int:
    """Write today's digest or reminder for each licensee with removals waiting that
    has had none for a day, and send again what is left unsent. Returns how many written."""
    now = now or timezone.now()
    recent = LicenseeNotice.objects.filter(licensee=OuterRef("pk"), created_at__gt=now - EVERY)
    written = 0
    due = Licensee.objects.filter(revoked_at__isnull=True).exclude(Exists(recent)).order_by("pk")
    for licensee in due:
        states = copy_states(licensee=licensee, now=now)
        waiting = sum(state.waiting for state in states)
        if not waiting or not licensee.contact_list:
            continue
        overdue = any(state.overdue for state in states)
        kind = LicenseeNotice.Kind.REMINDER if overdue else LicenseeNotice.Kind.DIGEST
        with transaction.atomic():
            notice, created = LicenseeNotice.objects.get_or_create(
                licensee=licensee,
                day=now.date(),
                defaults={"kind": kind, "to": ", ".join(licensee.contact_list), "waiting": waiting},
            )
            if created:
                queue.enqueue_on_commit(queue.LICENSEE_NOTICE_SEND, notice.pk)
                written += 1
    left = LicenseeNotice.objects.filter(
        Q(outcome=N.SENDING, created_at__lt=now - CLAIM_STALE_AFTER)
        | Q(outcome=N.FAILED, attempts__lt=MAX_ATTEMPTS),
        licensee__revoked_at__isnull=True,
    ).filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_STALE_AFTER))
    for pk in left.values_list("pk", flat=True)[:500]:
        queue.enqueue(queue.LICENSEE_NOTICE_SEND, pk)
    return written


def _context(licensee: Licensee) -> dict[str, object]:
    states = [state for state in copy_states(licensee=licensee) if state.waiting]
    api = emails.absolute(reverse("api_openapi"))
    return {
        "licensee": licensee,
        "copies": [
            {
                "dataset": state.holding.dataset.name,
                "slug": state.holding.dataset.slug,
                "waiting": state.waiting,
                "waiting_days": state.waiting_days,
                "overdue": state.overdue,
                "feed_url": emails.absolute(
                    reverse("licensee_feed", args=[state.holding.dataset.slug])
                ),
            }
            for state in states
        ],
        "waiting": sum(state.waiting for state in states),
        "ack_days": settings.LICENSEE_ACK_DAYS,
        "api_url": api,
        "site_url": settings.SITE_URL,
    }


def notice_deliver(*, notice_id: int) -> str:
    """Send one digest or reminder, at most once. Called by the task."""
    notice = LicenseeNotice.objects.select_related("licensee").filter(pk=notice_id).first()
    if notice is None:
        return "no such notice"
    if notice.outcome == N.SENT:
        return "already sent"
    licensee = notice.licensee
    if not licensee.is_active or not licensee.contact_list:
        return "licensee revoked or without contacts"
    now = timezone.now()
    claimed = (
        LicenseeNotice.objects.filter(pk=notice.pk, outcome__in=(N.SENDING, N.FAILED))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_STALE_AFTER))
        .update(claimed_at=now, attempts=F("attempts") + 1, outcome=N.SENDING)
    )
    if not claimed:
        return "another worker has it"
    context = _context(licensee)
    if not context["waiting"]:
        # Acknowledged since the notice was written: nothing to tell after all.
        LicenseeNotice.objects.filter(pk=notice.pk).update(
            outcome=N.SENT, sent_at=now, error="not sent: nothing waiting any more"
        )
        return "nothing waiting any more"
    try:
        subject, text, html = emails.render(notice.kind, context, licensee.language)
        message = EmailMultiAlternatives(subject, text, to=licensee.contact_list)
        message.attach_alternative(html, "text/html")
        # ignore[attr-defined] twice: anymail reads tags and metadata off the message;
        # Django's class has no such fields.
        message.tags = [notice.kind]  # type: ignore[attr-defined]
        message.metadata = {"licensee": str(licensee.pk), "kind": notice.kind}  # type: ignore[attr-defined]
        message.send()
    except SEND_ERRORS as error:
        LicenseeNotice.objects.filter(pk=notice.pk).update(
            outcome=N.FAILED, claimed_at=None, error=f"{type(error).__name__}: {error}"[:2000]
        )
        log.warning("licensee %s %s not sent: %s", licensee.pk, notice.kind, error)
        return f"failed: {error}"
    LicenseeNotice.objects.filter(pk=notice.pk).update(
        outcome=N.SENT, sent_at=timezone.now(), to=", ".join(licensee.contact_list), error=""
    )
    return "sent"
