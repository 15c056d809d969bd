"""The request the re-check files for an owner's own signals on Flickr (kind flickr_signal).

Nobody filed it: the owner tagged a photo no_cv, changed its licence, made it
private, deleted it, or deleted their account, and we act on that as if they had
asked (docs/recheck.md). One request per owner per pass, with every signal on its
timeline. RECHECK_POLICY=remove approves it at once, through the same approving
use case as every request (so its deletion jobs are prepared with it); `review`
leaves it in the maintainers' queue. A deleted account also keeps the owner out of
future releases. There is no address to write to, except the one the owner
confirmed on an earlier request of theirs: that one gets a single short note.
"""

from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.db import transaction

from optout import workflow
from optout.models import (
    CLOSED_STATUSES,
    FlickrSignal,
    Photo,
    RemovalRequest,
    RequestEvent,
    RequestPhoto,
)
from optout.notifications import emails
from optout.requests import review
from optout.requests.filing import _photos_add, _request_insert

S = RemovalRequest.Status
# Signals written one event each on the timeline; the rest in one line.
EVENTS_SHOWN = 20
POLICY_WHY = {
    "remove": "Approved automatically: the owner said so on Flickr (RECHECK_POLICY=remove).",
    "review": "Waiting for a maintainer: signals found on Flickr are reviewed first "
    "(RECHECK_POLICY=review).",
}


class Signal(Protocol):
    """A signal as the re-check found it (optout.recheck.signals.Finding)."""

    @property
    def kind(self) -> str: ...

    @property
    def flickr_id(self) -> int | None: ...

    @property
    def detail(self) -> str: ...


def signal_photos(*, nsid: str, signals: Sequence[Signal]) -> list[int]:
    """The present photo rows the signals cover, in every dataset, and in no open request:
    a photo's own rows, or all of the owner's for a deleted account."""
    ids = {s.flickr_id for s in signals if s.flickr_id is not None}
    account = any(s.flickr_id is None for s in signals)
    rows = Photo.objects.filter(state=Photo.State.PRESENT)
    rows = rows.filter(owner_nsid=nsid) if account else rows.filter(flickr_id__in=ids)
    busy = RequestPhoto.objects.exclude(request__status__in=CLOSED_STATUSES).values("photo_id")
    return sorted(rows.exclude(pk__in=busy).values_list("pk", flat=True))


def signal_request_file(
    *, nsid: str, username: str, signals: Sequence[Signal]
) -> RemovalRequest | None:
    """File (and, by policy, approve) the owner's request for `signals`. None when
    the photos they cover are all gone or in an open request already."""
    if not signals:
        return None
    account = any(s.flickr_id is None for s in signals)
    with transaction.atomic():
        pks = signal_photos(nsid=nsid, signals=signals)
        if not pks:
            return None
        earlier = (
            RemovalRequest.objects.filter(
                owner_nsid=nsid,
                email_confirmed_at__isnull=False,
                personal_data_erased_at__isnull=True,
            )
            .exclude(email="")
            .order_by("-email_confirmed_at")
            .first()
        )
        removal = _request_insert(
            kind=RemovalRequest.Kind.FLICKR_SIGNAL,
            status=S.VERIFIED,
            owner_nsid=nsid,
            flickr_username=username,
            scope=RemovalRequest.Scope.ALL if account else RemovalRequest.Scope.SELECTED,
            future_releases=account,
            email=earlier.email if earlier else "",
            email_confirmed_at=earlier.email_confirmed_at if earlier else None,
        )
        _photos_add(removal, set(pks))
        FlickrSignal.objects.bulk_create(
            [
                FlickrSignal(
                    request=removal, kind=s.kind, flickr_id=s.flickr_id, detail=s.detail[:300]
                )
                for s in signals
            ],
            ignore_conflicts=True,
        )
        RequestEvent.objects.create(
            request=removal,
            actor="system",
            to_status=S.VERIFIED,
            why=f"Filed by our re-check of Flickr, for what the owner did there: "
            f"{_summary(signals)}.",
        )
        _timeline(removal, signals)
        if earlier is not None:
            emails.email_enqueue(removal=removal, kind="flickr_signal")
        policy = settings.RECHECK_POLICY
        if policy == "remove":
            review.request_approve(removal=removal, actor="system", why=POLICY_WHY[policy])
        else:
            workflow.request_move(
                removal=removal, to=S.NEEDS_REVIEW, actor="system", why=POLICY_WHY["review"]
            )
    return removal


def _summary(signals: Sequence[Signal]) -> str:
    labels = dict(FlickrSignal.Kind.choices)
    counts: dict[str, int] = {}
    for signal in signals:
        counts[signal.kind] = counts.get(signal.kind, 0) + 1
    parts = []
    for kind, count in counts.items():
        if kind == FlickrSignal.Kind.ACCOUNT:
            parts.append(str(labels[kind]))
        else:
            parts.append(f"{count} photo{'s' if count != 1 else ''} {labels[kind]}")
    return ", ".join(parts)


def _timeline(removal: RemovalRequest, signals: Sequence[Signal]) -> None:
    shown = list(signals[:EVENTS_SHOWN])
    events = [
        RequestEvent(
            request=removal, kind=RequestEvent.Kind.SIGNAL, actor="flickr", why=signal.detail
        )
        for signal in shown
    ]
    if len(signals) > len(shown):
        rest = len(signals) - len(shown)
        events.append(
            RequestEvent(
                request=removal,
                kind=RequestEvent.Kind.SIGNAL,
                actor="flickr",
                why=f"And {rest} more photo signal{'s' if rest != 1 else ''} of the same kinds.",
            )
        )
    RequestEvent.objects.bulk_create(events)
