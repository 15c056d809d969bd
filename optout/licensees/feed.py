"""A licensee's removal feed of one dataset, and its acknowledgements.

The feed of a copy is every removal from the dataset since the copy was taken
(`LicenseeDataset.since`; unknown: every removal), in the order of the feed's
positions (optout.deletion.downstream numbers them in commit order). A page
ends at a cursor; the last page's cursor is the feed's head, past any removal
older than the copy, so acknowledging it leaves nothing behind. An
acknowledgement moves the copy's position forward only.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from optout import queue
from optout.licensees.cursors import cursor_decode, cursor_encode
from optout.models import Acknowledgement, DatasetFeed, FeedEntry, Licensee, LicenseeDataset

PAGE_MAX = 10_000
PAGE_DEFAULT = 1000


class NotHeld(Exception):
    """No such dataset, or one this licensee does not hold: the same from outside."""


@dataclass(frozen=True)
class FeedPage:
    removals: list[tuple[int, datetime]]  # (flickr id, removed at)
    cursor: str
    has_more: bool


@dataclass(frozen=True)
class Acknowledged:
    confirmed: int  # removals this acknowledgement confirmed (0 for a repeat)
    remaining: int  # removals in the feed past the copy's position now
    cursor: str  # the copy's position now


def holding_find(*, licensee: Licensee, slug: str) -> LicenseeDataset:
    holding = (
        LicenseeDataset.objects.select_related("dataset", "licensee")
        .filter(licensee=licensee, dataset__slug=slug)
        .first()
    )
    if holding is None:
        raise NotHeld(slug)
    return holding


def feed_head(*, dataset_id: int) -> int:
    head = DatasetFeed.objects.filter(dataset_id=dataset_id).values_list("last_seq", flat=True)
    return head.first() or 0


def entries(holding: LicenseeDataset) -> QuerySet[FeedEntry]:
    """The copy's feed: the dataset's removals since the copy was taken."""
    rows = FeedEntry.objects.filter(dataset_id=holding.dataset_id)
    if holding.since is not None:
        rows = rows.filter(removed_at__gte=holding.since)
    return rows


def waiting(holding: LicenseeDataset) -> QuerySet[FeedEntry]:
    """Removals in the copy's feed it has not acknowledged."""
    return entries(holding).filter(seq__gt=holding.acked_seq)


def cursor_for(holding: LicenseeDataset, seq: int) -> str:
    return cursor_encode(licensee_id=holding.licensee_id, dataset_id=holding.dataset_id, seq=seq)


def position_of(holding: LicenseeDataset, cursor: str) -> int:
    return cursor_decode(cursor, licensee_id=holding.licensee_id, dataset_id=holding.dataset_id)


def feed_read(
    *, holding: LicenseeDataset, after: str | None, limit: int = PAGE_DEFAULT
) -> FeedPage:
    """One page of the copy's feed after cursor `after` (None: from the start).
    CursorInvalid for a cursor we did not hand out; `limit` is 1..PAGE_MAX."""
    if not 1 <= limit <= PAGE_MAX:
        raise ValueError(f"limit is 1 to {PAGE_MAX:,}")
    start = position_of(holding, after) if after else 0
    # The head first: every position up to it is committed, so a page that reaches
    # it may end there, past removals older than the copy.
    head = feed_head(dataset_id=holding.dataset_id)
    rows = list(
        entries(holding)
        .filter(seq__gt=start, seq__lte=head)
        .order_by("seq")
        .values_list("seq", "flickr_id", "removed_at")[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    end = rows[-1][0] if has_more else max(head, start)
    LicenseeDataset.objects.filter(pk=holding.pk).update(last_read_at=timezone.now())
    return FeedPage(
        removals=[(flickr_id, removed_at) for _, flickr_id, removed_at in rows],
        cursor=cursor_for(holding, end),
        has_more=has_more,
    )


def acknowledgement_record(*, holding: LicenseeDataset, through: str) -> Acknowledged:
    """The licensee deleted everything in the copy's feed through cursor `through`.

    Moves the copy's position forward only (a repeat, or an older cursor, confirms
    nothing and is no error), and writes an Acknowledgement row whose check of the
    owners' copy counts runs in a task after commit. CursorInvalid for a cursor we
    did not hand out.
    """
    seq = position_of(holding, through)
    now = timezone.now()
    with transaction.atomic():
        locked = LicenseeDataset.objects.select_for_update().get(pk=holding.pk)
        before = locked.acked_seq
        confirmed = 0
        if seq > before:
            confirmed = entries(locked).filter(seq__gt=before, seq__lte=seq).count()
            LicenseeDataset.objects.filter(pk=locked.pk).update(acked_seq=seq, acked_at=now)
            ack = Acknowledgement.objects.create(
                holding=locked, from_seq=before, to_seq=seq, confirmed=confirmed
            )
            queue.enqueue_on_commit(queue.ACKNOWLEDGEMENT_CHECK, ack.pk)
            locked.acked_seq = seq
    remaining = waiting(locked).count()
    return Acknowledged(
        confirmed=confirmed, remaining=remaining, cursor=cursor_for(locked, locked.acked_seq)
    )


def holdings_active() -> QuerySet[LicenseeDataset]:
    """Copies of active licensees: those whose confirmations owners see counted."""
    return LicenseeDataset.objects.filter(licensee__revoked_at__isnull=True)


def since_covers(removed_at: datetime) -> Q:
    """Copies taken before a removal at `removed_at` (or taken at an unknown time)."""
    return Q(since__isnull=True) | Q(since__lte=removed_at)
