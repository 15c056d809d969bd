"""How far each copy is behind, for the maintainers (the admin's licensee list, the
dashboard) and for the licensee's own daily email.

A removal waits on a copy from the moment it was in the copy's feed: when it was
published, or when the copy was registered if that was later (a licensee that
joined after the removal is not behind from before it joined). A copy is overdue
once its oldest waiting removal has waited LICENSEE_ACK_DAYS.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from optout.models import FeedEntry, Licensee, LicenseeDataset

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _waiting_entries() -> QuerySet[FeedEntry]:
    """The entries waiting on the copy of the outer query (a LicenseeDataset)."""
    return FeedEntry.objects.filter(
        dataset_id=OuterRef("dataset_id"),
        seq__gt=OuterRef("acked_seq"),
        removed_at__gte=Coalesce(OuterRef("since"), Value(EPOCH), output_field=DateTimeField()),
    )


def holdings_annotated(holdings: QuerySet[LicenseeDataset]) -> QuerySet[LicenseeDataset]:
    """Copies with `waiting` (removals not acknowledged) and `waiting_since` (when the
    oldest of them reached the copy; None when nothing waits)."""
    count = _waiting_entries().order_by().values("dataset_id").annotate(n=Count("pk")).values("n")
    oldest = (
        _waiting_entries()
        .annotate(
            reached=Greatest("published_at", OuterRef("created_at"), output_field=DateTimeField())
        )
        .order_by("seq")
        .values("reached")[:1]
    )
    return holdings.annotate(
        waiting=Coalesce(Subquery(count, output_field=IntegerField()), 0),
        waiting_since=Subquery(oldest),
    )


def licensees_annotated(licensees: QuerySet[Licensee]) -> QuerySet[Licensee]:
    """Licensees with `waiting_since`: the oldest wait over their copies (overdue first
    when ordered by it)."""
    # The stubs cannot see the annotation this orders and picks.
    oldest = (
        holdings_annotated(LicenseeDataset.objects.filter(licensee_id=OuterRef("pk")))  # type: ignore[misc]
        .filter(Q(waiting_since__isnull=False))
        .order_by("waiting_since")
        .values("waiting_since")[:1]
    )
    return licensees.annotate(waiting_since=Subquery(oldest))


def overdue_before(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.LICENSEE_ACK_DAYS)


@dataclass(frozen=True)
class CopyState:
    holding: LicenseeDataset
    waiting: int
    waiting_since: datetime | None
    overdue: bool

    @property
    def waiting_days(self) -> int | None:
        if self.waiting_since is None:
            return None
        return (timezone.now() - self.waiting_since).days


def copy_states(*, licensee: Licensee, now: datetime | None = None) -> list[CopyState]:
    cutoff = overdue_before(now)
    rows = holdings_annotated(
        LicenseeDataset.objects.filter(licensee=licensee).select_related("dataset")
    ).order_by("dataset__slug")
    # ignore[attr-defined] below: waiting and waiting_since are holdings_annotated's.
    return [
        CopyState(
            holding=row,
            waiting=row.waiting,  # type: ignore[attr-defined]
            waiting_since=row.waiting_since,  # type: ignore[attr-defined]
            overdue=row.waiting_since is not None and row.waiting_since < cutoff,  # type: ignore[attr-defined]
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Summary:
    licensees: int  # active ones
    up_to_date: int  # with nothing waiting
    overdue: int  # with a removal waiting past LICENSEE_ACK_DAYS


def licensees_summary(now: datetime | None = None) -> Summary:
    """The dashboard's figure: n of m licensees up to date, k overdue."""
    rows = licensees_annotated(Licensee.objects.filter(revoked_at__isnull=True))
    total = rows.count()
    waiting = rows.filter(Q(waiting_since__isnull=False))
    return Summary(
        licensees=total,
        up_to_date=total - waiting.count(),
        overdue=waiting.filter(Q(waiting_since__lt=overdue_before(now))).count(),
    )
