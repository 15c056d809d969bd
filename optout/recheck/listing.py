"""Owners found by their photo list: after a sign-in, read the owner's public photos
on Flickr (flickr.people.getPublicPhotos, 500 a page, key only) and give every
dataset row of those photo ids its owner. Datasets of links name no owner, so this
is how their rows get one; the anonymous look-up counts them from then on.

The `PhotoListing` row is the outbox (docs/durability.md): written at sign-in,
enqueued after commit, claimed by a worker with a conditional UPDATE, resumed at
the next page after a failure, and sent again by the sweeper when its message was
lost or its worker died. Its calls spend from the sign-in share of the budget,
which goes ahead of the background re-check.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from optout import flickr, queue
from optout.models import Dataset, Photo, PhotoListing

log = logging.getLogger(__name__)

L = PhotoListing.Status
# After Flickr failed: the wait before the next attempt, when Flickr did not say.
RETRY_SECONDS = 60


@dataclass(frozen=True)
class ListingProgress:
    """What "Your photos" shows of a listing: pages read of pages to read, and the outcome."""

    status: str
    pages_read: int
    pages: int | None
    matched: int
    message: str
    waiting_until: datetime | None = None

    @property
    def done(self) -> bool:
        return self.status in (L.DONE, L.FAILED)

    def as_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "done": self.done,
            "pages_read": self.pages_read,
            "pages": self.pages,
            "matched": self.matched,
            "message": self.message,
        }


def listing_start(*, nsid: str, username: str) -> PhotoListing:
    """At sign-in: queue the owner's listing, unless a fresh one is done or under way.

    Fresh: finished within FLICKR_LISTING_FRESH_SECONDS and after the last import
    (a dataset imported since may hold more of their photos)."""
    now = timezone.now()
    with transaction.atomic():
        listing, created = PhotoListing.objects.select_for_update().get_or_create(
            nsid=nsid, defaults={"username": username, "queued_at": now}
        )
        if not created:
            if listing.status in (L.QUEUED, L.RUNNING):
                return listing  # on its way; the sweeper sees to a lost one
            if listing.status == L.DONE and _fresh(listing, now):
                return listing
            listing.username = username or listing.username
            listing.status = L.QUEUED
            listing.pages = None
            listing.pages_read = listing.photos_listed = listing.matched = listing.attempts = 0
            listing.error = listing.claim = ""
            listing.next_attempt_at = listing.started_at = listing.finished_at = None
            listing.heartbeat_at = None
            listing.queued_at = now
            listing.save()
        queue.enqueue_on_commit(queue.LISTING_RUN, listing.pk)
    return listing


def _fresh(listing: PhotoListing, now: datetime) -> bool:
    if listing.finished_at is None:
        return False
    if listing.finished_at < now - timedelta(seconds=settings.FLICKR_LISTING_FRESH_SECONDS):
        return False
    last_import = Dataset.objects.aggregate(last=Max("updated_at"))["last"]
    return last_import is None or listing.finished_at >= last_import


def listing_progress(*, nsid: str) -> ListingProgress | None:
    listing = PhotoListing.objects.filter(nsid=nsid).first()
    if listing is None:
        return None
    waiting = listing.next_attempt_at if listing.status == L.QUEUED else None
    if waiting is not None and waiting <= timezone.now():
        waiting = None
    return ListingProgress(
        status=listing.status,
        pages_read=listing.pages_read,
        pages=listing.pages,
        matched=listing.matched,
        message=_message(listing, waiting),
        waiting_until=waiting,
    )


def _message(listing: PhotoListing, waiting: datetime | None) -> str:
    if listing.status == L.DONE:
        found = listing.matched
        listed = {"count": number_format(listing.photos_listed, force_grouping=True)}
        # Two whole sentences, so that each language can order its own.
        read = (
            ngettext(
                "We read %(count)s public photo of yours on Flickr.",
                "We read %(count)s public photos of yours on Flickr.",
                listing.photos_listed,
            )
            % listed
        )
        if not found:
            return f"{read} " + ngettext(
                "It is not in any dataset that does not name its owner.",
                "None of them is in a dataset that does not name its owner.",
                listing.photos_listed,
            )
        more = ngettext(
            "We found %(count)s more photo of yours in datasets that do not name their owner.",
            "We found %(count)s more photos of yours in datasets that do not name their owner.",
            found,
        ) % {"count": number_format(found, force_grouping=True)}
        return f"{read} {more}"
    if listing.status == L.FAILED:
        return (
            gettext(
                "We could not read your photos on Flickr, so photos of yours in datasets that "
                "do not name their owner may be missing here."
            )
            + f" {listing.error}"
        ).strip()
    if waiting is not None:
        why = gettext("Flickr cannot answer us right now; we go on by ourselves.")
        return f"{why} {listing.error}".strip()
    if listing.pages is None:
        return gettext("We are starting to read your public photos on Flickr.")
    return gettext(
        "We are reading your public photos on Flickr, to find yours in datasets that do "
        "not name their owner: page %(read)s of %(pages)s read."
    ) % {"read": listing.pages_read, "pages": listing.pages}


# -- the worker's side ----------------------------------------------------------------
def listing_run(*, listing_id: int) -> str:
    """Read the listing's remaining pages and give matching rows their owner.

    Idempotent: a listing that is done, or held by a live worker, or not due yet, is
    left alone. On a Flickr failure it waits in its row (next_attempt_at) and a new
    message is sent for then; the pages read stay read."""
    token = _claim(listing_id)
    if token is None:
        return "not due, done, or held by another worker"
    listing = PhotoListing.objects.get(pk=listing_id)
    page = listing.pages_read + 1
    while listing.pages is None or page <= listing.pages:
        try:
            got = flickr.public_photos(
                listing.nsid, page=page, purpose=flickr.Purpose.SIGNIN, extras=""
            )
        except flickr.FlickrNotFound:
            return _finish(listing, token, error="Flickr lists no public photos for you.")
        except flickr.FlickrError as error:
            return _wait(listing, token, error)
        ids = [photo.id for photo in got.photos]
        with transaction.atomic():
            matched = (
                Photo.objects.filter(flickr_id__in=ids, state=Photo.State.PRESENT)
                .exclude(owner_nsid=listing.nsid)
                .update(owner_nsid=listing.nsid, owner_name=listing.username[:255])
                if ids
                else 0
            )
            moved = PhotoListing.objects.filter(pk=listing.pk, claim=token).update(
                pages=got.pages,
                pages_read=page,
                photos_listed=listing.photos_listed + len(ids),
                matched=listing.matched + matched,
                heartbeat_at=timezone.now(),
            )
            if not moved:
                # The sweeper gave the listing to another worker (this one stalled).
                transaction.set_rollback(True)
                return "claim lost"
        listing.refresh_from_db()
        page += 1
        if not got.photos:
            break
    return _finish(listing, token)


def _claim(listing_id: int) -> str | None:
    now = timezone.now()
    token = secrets.token_hex(16)
    stale = now - timedelta(seconds=settings.LISTING_STALE_AFTER_SECONDS)
    claimed = (
        PhotoListing.objects.filter(pk=listing_id)
        .filter(
            Q(status=L.QUEUED, next_attempt_at__isnull=True)
            | Q(status=L.QUEUED, next_attempt_at__lte=now)
            | Q(status=L.RUNNING, heartbeat_at__lt=stale)
        )
        .update(status=L.RUNNING, claim=token, heartbeat_at=now, started_at=now)
    )
    return token if claimed else None


def _finish(listing: PhotoListing, token: str, *, error: str = "") -> str:
    PhotoListing.objects.filter(pk=listing.pk, claim=token).update(
        status=L.DONE, claim="", error=error, next_attempt_at=None, finished_at=timezone.now()
    )
    listing.refresh_from_db()
    log.info("listing of %s done: %s photos matched", listing.nsid, listing.matched)
    return f"done: {listing.pages_read} pages, {listing.matched} matched"


def _wait(listing: PhotoListing, token: str, error: flickr.FlickrError) -> str:
    attempts = listing.attempts + 1
    if attempts >= settings.LISTING_MAX_ATTEMPTS:
        PhotoListing.objects.filter(pk=listing.pk, claim=token).update(
            status=L.FAILED, claim="", attempts=attempts, error=error.message,
            next_attempt_at=None, finished_at=timezone.now(),
        )  # fmt: skip
        log.warning("listing of %s failed after %s attempts: %s", listing.nsid, attempts, error)
        return f"failed: {error.message}"
    delay = error.retry_after or RETRY_SECONDS
    now = timezone.now()
    PhotoListing.objects.filter(pk=listing.pk, claim=token).update(
        status=L.QUEUED, claim="", attempts=attempts, error=error.message,
        next_attempt_at=now + timedelta(seconds=delay), queued_at=now,
    )  # fmt: skip
    queue.enqueue(queue.LISTING_RUN, listing.pk, countdown=delay)
    return f"waiting {delay} s: {error.message}"


def listings_sweep(*, now: datetime | None = None) -> int:
    """Send a task for every listing left behind: due and queued for longer than
    LISTING_REQUEUE_AFTER_SECONDS (a lost message, a broker that was down), or running
    with a heartbeat older than LISTING_STALE_AFTER_SECONDS (a killed worker)."""
    now = now or timezone.now()
    requeue = now - timedelta(seconds=settings.LISTING_REQUEUE_AFTER_SECONDS)
    stale = now - timedelta(seconds=settings.LISTING_STALE_AFTER_SECONDS)
    due = list(
        PhotoListing.objects.filter(
            Q(status=L.QUEUED, queued_at__lte=requeue)
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            | Q(status=L.RUNNING, heartbeat_at__lt=stale)
        ).values_list("pk", flat=True)[:1000]
    )
    if not due:
        return 0
    PhotoListing.objects.filter(pk__in=due).update(queued_at=now)
    sent = sum(queue.enqueue(queue.LISTING_RUN, pk) for pk in due)
    log.info("listing sweep: %s of %s left-behind listings sent", sent, len(due))
    return sent
