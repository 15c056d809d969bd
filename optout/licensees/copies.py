"""What an owner sees of the copies: how many of the organisations holding a copy of
their removed photos have confirmed deleting them, and the one email when all have.

A licensee holds a copy of a removed photo when it holds the photo's dataset (and
is not revoked) and took its copy before the photo was removed, or at a time we do
not know: the feed of such a copy holds the removal, so a licensee registered after
the removal counts as well. It has confirmed once its acknowledged position in
that dataset's feed has reached the photo's.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from optout.licensees.feed import holdings_active
from optout.models import (
    Acknowledgement,
    FeedEntry,
    LicenseeDataset,
    RemovalRequest,
    RequestPhoto,
)
from optout.notifications import emails

DOWNSTREAM_DONE = "downstream_done"
# An acknowledgement's check not done this long after it is the sweeper's.
SWEEP_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Copy:
    licensee_id: int
    name: str  # "" unless the licensee allows owners to see it
    confirmed: bool


@dataclass(frozen=True)
class Copies:
    copies: list[Copy]

    @property
    def total(self) -> int:
        return len(self.copies)

    @property
    def confirmed(self) -> int:
        return sum(copy.confirmed for copy in self.copies)

    @property
    def all_confirmed(self) -> bool:
        return bool(self.copies) and self.confirmed == self.total

    @property
    def sentence(self) -> str:
        """ "3 of 5 organisations with a copy have confirmed the deletion." """
        if not self.copies:
            return ""
        counts = {"confirmed": self.confirmed, "total": self.total}
        if self.all_confirmed:
            if self.total == 1:
                return gettext("The 1 organisation with a copy has confirmed the deletion.")
            return (
                gettext("All %(total)s organisations with a copy have confirmed the deletion.")
                % counts
            )
        if self.total == 1:
            return gettext("The 1 organisation with a copy has not confirmed the deletion yet.")
        return (
            ngettext(
                "%(confirmed)s of %(total)s organisations with a copy has confirmed the deletion.",
                "%(confirmed)s of %(total)s organisations with a copy have confirmed the deletion.",
                self.confirmed,
            )
            % counts
        )

    @property
    def named(self) -> list[Copy]:
        return sorted((c for c in self.copies if c.name), key=lambda c: c.name.casefold())


def _entries_of(removal: RemovalRequest) -> QuerySet[FeedEntry]:
    return FeedEntry.objects.filter(
        photo_id__in=RequestPhoto.objects.filter(request=removal).values("photo_id")
    )


def request_copies(*, removal: RemovalRequest) -> Copies:
    """The copies of `removal`'s removed photos we know of, each confirmed or not."""
    entries = _entries_of(removal)
    dataset_ids = list(entries.values_list("dataset_id", flat=True).distinct())
    if not dataset_ids:
        return Copies([])
    holdings = holdings_active().filter(dataset_id__in=dataset_ids).select_related("licensee")
    # Per licensee: held (any of the photos is in its copy), and confirmed for all.
    held: dict[int, bool] = {}
    names: dict[int, str] = {}
    for holding in holdings:
        relevant = entries.filter(dataset_id=holding.dataset_id)
        if holding.since is not None:
            relevant = relevant.filter(removed_at__gte=holding.since)
        needed = relevant.aggregate(last=Max("seq"))["last"]
        if needed is None:
            continue
        licensee = holding.licensee
        names[licensee.pk] = licensee.name if licensee.show_name else ""
        held[licensee.pk] = held.get(licensee.pk, True) and holding.acked_seq >= needed
    return Copies([Copy(pk, names[pk], done) for pk, done in held.items()])


type Counter = Callable[[int, int | None, datetime | None], tuple[int, int]]


def receipt_counter(*, removal: RemovalRequest) -> Counter:
    """For the receipt's rows: (dataset id, feed position, removed at) of a photo ->
    (copies that confirmed deleting it, copies holding it)."""
    dataset_ids = set(_entries_of(removal).values_list("dataset_id", flat=True))
    by_dataset: dict[int, list[tuple[datetime | None, int]]] = defaultdict(list)
    for holding in holdings_active().filter(dataset_id__in=dataset_ids):
        by_dataset[holding.dataset_id].append((holding.since, holding.acked_seq))

    def count(dataset_id: int, seq: int | None, removed_at: datetime | None) -> tuple[int, int]:
        if seq is None or removed_at is None:
            return 0, 0
        copies = [
            acked
            for since, acked in by_dataset.get(dataset_id, ())
            if since is None or since <= removed_at
        ]
        return sum(acked >= seq for acked in copies), len(copies)

    return count


def acknowledgement_check(*, ack_id: int) -> int:
    """After an acknowledgement: the owners of the removals it confirmed whose every
    copy is now confirmed get `downstream_done` (once: the outbox keys it by request).
    Returns how many were told."""
    ack = Acknowledgement.objects.select_related("holding").filter(pk=ack_id).first()
    if ack is None or ack.checked_at is not None:
        return 0
    holding: LicenseeDataset = ack.holding
    confirmed = FeedEntry.objects.filter(
        dataset_id=holding.dataset_id, seq__gt=ack.from_seq, seq__lte=ack.to_seq
    )
    if holding.since is not None:
        confirmed = confirmed.filter(removed_at__gte=holding.since)
    told = 0
    candidates = (
        RemovalRequest.objects.filter(
            pk__in=RequestPhoto.objects.filter(photo_id__in=confirmed.values("photo_id")).values(
                "request_id"
            ),
            status=RemovalRequest.Status.COMPLETED,
            email_confirmed_at__isnull=False,
        )
        .exclude(email="")
        .exclude(emails__kind=DOWNSTREAM_DONE)
        .order_by("pk")
    )
    for removal in candidates.iterator(chunk_size=500):
        if request_copies(removal=removal).all_confirmed:
            emails.email_enqueue(removal=removal, kind=DOWNSTREAM_DONE)
            told += 1
    Acknowledgement.objects.filter(pk=ack.pk).update(checked_at=timezone.now())
    return told


def acknowledgements_sweep() -> int:
    """Checks the task never ran (a lost message): the Acknowledgement row is its outbox."""
    due = Acknowledgement.objects.filter(
        checked_at__isnull=True, at__lt=timezone.now() - SWEEP_AFTER
    ).order_by("pk")
    return sum(acknowledgement_check(ack_id=pk) for pk in due.values_list("pk", flat=True)[:500])
