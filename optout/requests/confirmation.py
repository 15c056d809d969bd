"""The requester's address: confirming it, reminding those who have not, and forgetting
shown-in-photo requests nobody confirmed."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from optout import secret_links, workflow
from optout.models import CLOSED_STATUSES, EmailLog, RemovalRequest, RequestEvent, RequestLink
from optout.notifications import emails

S = RemovalRequest.Status


def email_confirm(*, token: str) -> RemovalRequest:
    """Confirm the requester's address with a single-use link; raises secret_links.LinkInvalid.

    The requester then gets the latest news they missed (the receipt, if the
    request already completed) and status news from then on.
    """
    with transaction.atomic():
        link = secret_links.link_find(token=token, purpose=RequestLink.Purpose.CONFIRM)
        secret_links.link_spend(link=link)
        removal = RemovalRequest.objects.select_for_update().get(pk=link.request_id)
        if removal.email_confirmed_at is None:
            removal.email_confirmed_at = timezone.now()
            removal.save(update_fields=["email_confirmed_at", "updated_at"])
            RequestEvent.objects.create(
                request=removal,
                kind=RequestEvent.Kind.EMAIL_CONFIRMED,
                actor="requester",
                why="Email address confirmed.",
            )
            secret_links.links_expire_unused(removal=removal, purpose=RequestLink.Purpose.CONFIRM)
            emails.email_enqueue(removal=removal, kind="email_confirmed")
            emails.status_news_enqueue(removal=removal)
            if removal.status == S.PENDING_EMAIL:
                # A person shown in a photo: only a confirmed request reaches the queue.
                workflow.request_move(
                    removal=removal,
                    to=S.NEEDS_REVIEW,
                    actor="requester",
                    why="Email address confirmed; waiting for a maintainer's review.",
                )
        return removal


def confirm_reminders_send() -> int:
    """Remind requesters who have not confirmed their address after two days, once.

    An owner's removal does not wait for the address; the reminder says so. A
    person shown in a photo gets their own: nothing happens until they confirm,
    and the request is deleted unconfirmed when its week is up (the purge below).
    """
    now = timezone.now()
    cutoff = now - timedelta(hours=settings.CONFIRM_REMINDER_AFTER_HOURS)
    reminded = EmailLog.objects.filter(
        kind__in=("confirm_reminder", "shown_confirm_reminder")
    ).values("request_id")
    week_ago = now - secret_links.CONFIRM_LINK_LIFETIME
    due = (
        RemovalRequest.objects.filter(email_confirmed_at__isnull=True, created_at__lte=cutoff)
        # Past its week a shown-in-photo request is about to go: no link to send.
        .exclude(kind=RemovalRequest.Kind.SHOWN, created_at__lt=week_ago)
        .exclude(email="")
        .exclude(status__in=CLOSED_STATUSES)
        .exclude(pk__in=reminded)
    )
    count = 0
    with transaction.atomic():
        for removal in due.iterator():
            shown = removal.kind == RemovalRequest.Kind.SHOWN
            kind = "shown_confirm_reminder" if shown else "confirm_reminder"
            emails.email_enqueue(removal=removal, kind=kind)
            count += 1
    return count


def shown_unconfirmed_purge() -> int:
    """Delete shown-in-photo requests whose email was never confirmed, once the link expired.

    Nobody proved the address was theirs, so we keep nothing they typed.
    """
    cutoff = timezone.now() - secret_links.CONFIRM_LINK_LIFETIME
    stale = RemovalRequest.objects.filter(
        kind=RemovalRequest.Kind.SHOWN,
        status=S.PENDING_EMAIL,
        email_confirmed_at__isnull=True,
        created_at__lt=cutoff,
    )
    with transaction.atomic():
        count = stale.count()
        stale.delete()
    return count
