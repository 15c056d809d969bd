"""Privacy retention: what a closed request keeps once RETENTION_DAYS have passed.

The request row stays as the receipt (public id, kind, status, dates, its photos
through RequestPhoto, the tombstones and suppressions it made, the audit trail's
rows). What the requester told us goes: email, statement, contact, relation,
photo links, Flickr username and NSID, the free text of a rejection, the
addresses on our email log, the hashed links, and any audit text that named
them. An owner who asked to stay out of future releases stays out: the
suppression list holds only the keyed hash of the NSID (optout/infra/owner_keys.py).
A removed photo keeps its picture's perceptual hash (optout/pictures/), like the
tombstone's other fields: it is not the picture, and it names nobody.

A sign-in's reading of the owner's Flickr photos (PhotoListing: the NSID, the
username, counts) goes too once it has ended that long ago: what it found is on
the photos it matched, and a later sign-in reads the photos again anyway.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from optout.models import (
    CLOSED_STATUSES,
    EmailLog,
    Photo,
    PhotoListing,
    PictureHash,
    RejectReason,
    RemovalRequest,
    RequestEvent,
    RequestLink,
    Suppression,
)

logger = logging.getLogger(__name__)
S = RemovalRequest.Status
K = RequestEvent.Kind

# The audit trail keeps who did what and when; these say so without the person.
NEUTRAL_WHY: dict[str, str] = {
    K.STATUS: "Details that named the requester were erased (retention).",
    K.EMAIL_CONFIRMED: "Email address confirmed.",
    K.EMAIL_BOUNCED: "An email to the requester bounced (address erased).",
    K.EMAIL_COMPLAINED: "An email to the requester was marked as spam.",
    K.JOINED: "Photos added to this request.",
    K.NOTE: "Internal note erased: it named the requester (retention).",
}


@dataclass
class Erased:
    """What one run erased: requests, and the rows touched in other tables."""

    requests: int = 0
    email_logs: int = 0
    links: int = 0
    events: int = 0
    failed: int = 0
    listings: int = 0
    public_ids: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.requests} requests erased; {self.email_logs} email addresses, "
            f"{self.links} links, {self.events} audit texts; {self.failed} failed; "
            f"{self.listings} Flickr photo listings"
        )


def retention_cutoff(*, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.RETENTION_DAYS)


def requests_due(*, now: datetime | None = None) -> QuerySet[RemovalRequest]:
    """Closed requests past the retention period whose personal data is still here."""
    return RemovalRequest.objects.filter(
        status__in=CLOSED_STATUSES,
        closed_at__isnull=False,
        closed_at__lt=retention_cutoff(now=now),
        personal_data_erased_at__isnull=True,
    )


def _names(text: str, needles: list[str]) -> bool:
    # Whole words only: a username like "ana" must not match "banana".
    return any(
        re.search(rf"(?<![\w@.]){re.escape(needle)}(?![\w@])", text, re.IGNORECASE)
        for needle in needles
    )


def _event_why(event: RequestEvent, removal: RemovalRequest, needles: list[str]) -> str | None:
    """The text an event keeps, or None when it may stay as written."""
    standard = RejectReason.sentence(removal.reject_reason_code)
    if event.to_status == S.REJECTED and event.why != standard and removal.reject_reason:
        # The rejection event carries the reason as sent, free text included.
        return standard or "Rejected by a maintainer (reason erased after retention)."
    if needles and _names(event.why, needles):
        return NEUTRAL_WHY.get(event.kind, NEUTRAL_WHY[K.STATUS])
    return None


def _request_erase(*, pk: int, now: datetime) -> Erased | None:
    done = Erased()
    with transaction.atomic():
        # Re-checked under the lock: a concurrent run, or a request reopened since.
        removal = requests_due(now=now).select_for_update().filter(pk=pk).first()
        if removal is None:
            return None
        needles = [
            value
            for value in {
                removal.email.strip(),
                removal.flickr_username.strip(),
                removal.owner_nsid.strip(),
            }
            # Short usernames would match ordinary words.
            if len(value) >= 3
        ]
        for event in removal.events.all():
            why = _event_why(event, removal, needles)
            if why is not None and why != event.why:
                RequestEvent.objects.filter(pk=event.pk).update(why=why)
                done.events += 1
        done.email_logs = EmailLog.objects.filter(request=removal).exclude(to="").update(to="")
        done.links, _ = RequestLink.objects.filter(request=removal).delete()
        RemovalRequest.objects.filter(pk=removal.pk).update(
            email="",
            statement="",
            contact="",
            relation="",
            photo_links="",
            flickr_username="",
            owner_nsid="",
            reject_reason=RejectReason.sentence(removal.reject_reason_code),
            personal_data_erased_at=now,
            updated_at=now,
        )
        RequestEvent.objects.create(
            request=removal,
            kind=K.STATUS,
            actor="system",
            why=f"Personal data erased after {settings.RETENTION_DAYS} days (retention).",
            public=False,
        )
        done.requests = 1
        done.public_ids.append(removal.public_id)
    return done


def personal_data_erase(*, now: datetime | None = None) -> Erased:
    """Erase the personal data of every request due; one transaction per request.

    A second run finds nothing due and changes nothing. A request that fails is
    rolled back whole, logged and left for the next run; the others go on.
    """
    now = now or timezone.now()
    total = Erased()
    for pk in list(requests_due(now=now).order_by("closed_at").values_list("pk", flat=True)):
        try:
            done = _request_erase(pk=pk, now=now)
        except Exception:
            logger.exception("Retention: erasing request %s failed; next run retries it", pk)
            total.failed += 1
            continue
        if done is None:
            continue
        total.requests += done.requests
        total.email_logs += done.email_logs
        total.links += done.links
        total.events += done.events
        total.public_ids += done.public_ids
    total.listings = listings_due(now=now).delete()[0]
    return total


def listings_due(*, now: datetime | None = None) -> QuerySet[PhotoListing]:
    """Sign-ins' photo listings that ended (read or given up) before the retention cutoff.

    A listing still queued or running is the sweeper's, however old."""
    cutoff = retention_cutoff(now=now)
    ended = PhotoListing.objects.filter(
        status__in=(PhotoListing.Status.DONE, PhotoListing.Status.FAILED)
    )
    return ended.filter(
        Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, queued_at__lt=cutoff)
    )


# The privacy report.

AGE_BANDS: list[tuple[str, int | None, int | None]] = [
    ("<30d", None, 30),
    ("30-90d", 30, 90),
    (">90d", 90, None),
]


@dataclass
class ReportRow:
    what: str
    counts: list[int]
    note: str = ""


@dataclass
class PrivacyReport:
    rows: list[ReportRow]
    due_now: int
    next_due_at: datetime | None
    retention_days: int


def _by_age(queryset: QuerySet, field_name: str, now: datetime) -> list[int]:
    counts = []
    for _, newer_than, older_than in AGE_BANDS:
        q = Q()
        if newer_than is not None:
            q &= Q(**{f"{field_name}__lte": now - timedelta(days=newer_than)})
        if older_than is not None:
            q &= Q(**{f"{field_name}__gt": now - timedelta(days=older_than)})
        counts.append(queryset.filter(q).count())
    return counts


def privacy_report_build(*, now: datetime | None = None) -> PrivacyReport:
    """What personal data the database holds, by table and age, and what retention erases next."""
    now = now or timezone.now()
    with_email = RemovalRequest.objects.exclude(email="")
    with_words = RemovalRequest.objects.filter(
        Q(personal_data_erased_at__isnull=True)
        & (~Q(statement="") | ~Q(contact="") | ~Q(relation="") | ~Q(photo_links=""))
    )
    rows = [
        ReportRow("requests with an email", _by_age(with_email, "created_at", now), "email"),
        ReportRow(
            "requests with a Flickr username",
            _by_age(RemovalRequest.objects.exclude(flickr_username=""), "created_at", now),
            "username shown to maintainers",
        ),
        ReportRow(
            "requests with a statement/contact/links",
            _by_age(with_words, "created_at", now),
            "shown-in-photo requests",
        ),
        ReportRow(
            "requests with an NSID",
            _by_age(RemovalRequest.objects.exclude(owner_nsid=""), "created_at", now),
            "binds the request; erased with the rest",
        ),
        ReportRow(
            "email logs with an address",
            _by_age(EmailLog.objects.exclude(to=""), "created_at", now),
            "email",
        ),
        ReportRow(
            "audit events of unerased requests",
            _by_age(
                RequestEvent.objects.filter(request__personal_data_erased_at__isnull=True),
                "at",
                now,
            ),
            "may name the requester",
        ),
        ReportRow(
            "status/confirm links",
            _by_age(RequestLink.objects.all(), "created_at", now),
            "SHA-256 of the token only",
        ),
        ReportRow(
            "suppressed owners",
            _by_age(Suppression.objects.filter(kind=Suppression.Kind.OWNER), "created_at", now),
            "keyed hash of the NSID, kept",
        ),
        ReportRow(
            "removed photos' owners",
            _by_age(
                Suppression.objects.filter(kind=Suppression.Kind.PHOTO).exclude(owner_key=""),
                "created_at",
                now,
            ),
            "keyed hash of the NSID, kept",
        ),
        ReportRow(
            "tombstones with an owner NSID",
            _by_age(
                Photo.objects.filter(state=Photo.State.REMOVED).exclude(owner_nsid=""),
                "removed_at",
                now,
            ),
            "should be none: cleared at removal",
        ),
        ReportRow(
            "Flickr photo listings of sign-ins",
            _by_age(PhotoListing.objects.all(), "created_at", now),
            "NSID and username; erased after the period",
        ),
        # A tombstone keeps its picture's hash as it keeps its photo id: 256 bits that
        # find the same picture again ("removed"), not the picture, and no person.
        ReportRow(
            "picture hashes of removed photos",
            _by_age(PictureHash.objects.filter(photo__state=Photo.State.REMOVED), "hashed_at", now),
            "PDQ hash, kept with the tombstone",
        ),
    ]
    cutoff = retention_cutoff(now=now)
    earliest = RemovalRequest.objects.filter(
        status__in=CLOSED_STATUSES,
        closed_at__gte=cutoff,
        personal_data_erased_at__isnull=True,
    ).aggregate(first=Min("closed_at"))["first"]
    return PrivacyReport(
        rows=rows,
        due_now=requests_due(now=now).count(),
        next_due_at=earliest + timedelta(days=settings.RETENTION_DAYS) if earliest else None,
        retention_days=settings.RETENTION_DAYS,
    )


def privacy_report_text(report: PrivacyReport) -> str:
    headers = ["personal data", *(band for band, _, _ in AGE_BANDS), "total", "note"]
    body = [
        [row.what, *(str(n) for n in row.counts), str(sum(row.counts)), row.note]
        for row in report.rows
    ]
    widths = [max(len(line[i]) for line in [headers, *body]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        first, *numbers, note = cells
        middle = [cell.rjust(width) for cell, width in zip(numbers, widths[1:-1], strict=True)]
        return "  ".join([first.ljust(widths[0]), *middle, note]).rstrip()

    out = [line(headers), "  ".join("-" * width for width in widths)]
    out += [line(cells) for cells in body]
    next_due = (
        f"{report.next_due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        if report.next_due_at
        else "none scheduled"
    )
    out += [
        "",
        f"Retention: personal data of closed requests is erased {report.retention_days} days "
        "after they close.",
        f"Next run erases: {report.due_now} request{'s' if report.due_now != 1 else ''}.",
        f"Next request to become due: {next_due}.",
    ]
    return "\n".join(out) + "\n"
