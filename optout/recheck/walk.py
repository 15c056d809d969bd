"""The re-check's walk over the owners of every dataset: round-robin by NSID, within the
re-check's share of the hourly Flickr budget, the cursor kept in the database.

The beat task (`recheck_tick`) takes a slice of the share each time it runs
(FLICKR_RECHECK_CALLS_PER_HOUR for RECHECK_EVERY_SECONDS), checks owners after the
cursor until the slice is spent, and moves the cursor past each owner it finished.
When Flickr gives no clear answer (down, slow, 5xx, 429, an unreadable answer, the
budget spent) the owner under check is left as it is, nothing is filed for them,
and the pass pauses until Flickr said to come back (or a few minutes); the next
tick starts again with that owner. `recheck_run` does the same in the foreground
for `manage.py recheck_flickr`, over a dataset or one owner if asked.
"""

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import ngettext

from optout import flickr
from optout.models import (
    CLOSED_STATUSES,
    Dataset,
    FlickrSignal,
    Photo,
    RecheckOwner,
    RecheckPass,
    RemovalRequest,
    RequestPhoto,
)
from optout.recheck.check import CheckInterrupted, OwnerCheck, owner_check
from optout.requests.flickr_signals import signal_request_file

log = logging.getLogger(__name__)

LOCK_KEY = "recheck:running"
OWNERS_PER_QUERY = 50
# After Flickr failed without saying when to come back.
PAUSE_SECONDS = 300


class RecheckProblem(Exception):
    """The re-check cannot run as asked (an unknown dataset); the message says why."""


@dataclass
class OwnerResult:
    check: OwnerCheck
    removal: RemovalRequest | None = None
    # The photo ids, per Flickr photo id, the findings cover (for --dry-run's output).
    datasets: dict[int, list[str]] = field(default_factory=dict)


@dataclass
class Run:
    owners: int = 0
    photos: int = 0
    calls: int = 0
    signals: dict[str, int] = field(default_factory=dict)
    acted: list[OwnerResult] = field(default_factory=list)
    stopped: str = ""  # why it stopped before the end: Flickr's trouble, for a person
    retry_after: int | None = None
    finished: bool = False


# -- what is walked -------------------------------------------------------------------
def owners_in_scope(*, dataset_id: int | None = None, after: str = "") -> QuerySet[Photo, str]:
    """The NSIDs with present photos (in the dataset, if given), in NSID order."""
    rows = Photo.objects.filter(state=Photo.State.PRESENT).exclude(owner_nsid="")
    if dataset_id is not None:
        rows = rows.filter(dataset_id=dataset_id)
    if after:
        rows = rows.filter(owner_nsid__gt=after)
    return rows.order_by("owner_nsid").values_list("owner_nsid", flat=True).distinct()


def photos_to_check(*, nsid: str, dataset_id: int | None = None) -> dict[int, str]:
    """The owner's present photos (Flickr photo id -> the licence a manifest gave),
    but those whose signal was counted already or that an open request covers."""
    rows = Photo.objects.filter(owner_nsid=nsid, state=Photo.State.PRESENT)
    if dataset_id is not None:
        rows = rows.filter(dataset_id=dataset_id)
    signalled = FlickrSignal.objects.filter(flickr_id__isnull=False).values("flickr_id")
    busy = RequestPhoto.objects.exclude(request__status__in=CLOSED_STATUSES).values("photo_id")
    rows = rows.exclude(flickr_id__in=signalled).exclude(pk__in=busy)
    found: dict[int, str] = {}
    for flickr_id, license in rows.values_list("flickr_id", "license").order_by("flickr_id"):
        found.setdefault(flickr_id, license)
    return found


def owner_recheck(
    *, nsid: str, dataset_id: int | None = None, dry_run: bool = False
) -> OwnerResult:
    """Check one owner; file (and by policy approve) the request for their signals.

    Raises CheckInterrupted when Flickr gave no clear answer: nothing is filed then.
    """
    photos = photos_to_check(nsid=nsid, dataset_id=dataset_id)
    if not photos:
        return OwnerResult(OwnerCheck(nsid=nsid, photos=0))
    memory = RecheckOwner.objects.filter(nsid=nsid).first()
    check = owner_check(
        nsid=nsid, photos=photos, public_photos=memory.public_photos if memory else None
    )
    result = OwnerResult(check)
    if check.findings:
        result.datasets = _datasets_of(nsid, check)
    if dry_run:
        return result
    with transaction.atomic():
        RecheckOwner.objects.update_or_create(
            nsid=nsid,
            defaults={
                "public_photos": check.public_photos
                if check.public_photos is not None
                else (memory.public_photos if memory else None),
                "checked_at": timezone.now(),
                "calls": check.calls,
            },
        )
        if check.findings:
            username = (
                Photo.objects.filter(owner_nsid=nsid)
                .exclude(owner_name="")
                .values_list("owner_name", flat=True)
                .first()
                or ""
            )
            result.removal = signal_request_file(
                nsid=nsid, username=username, signals=check.findings
            )
    return result


def _datasets_of(nsid: str, check: OwnerCheck) -> dict[int, list[str]]:
    ids = [f.flickr_id for f in check.findings if f.flickr_id is not None]
    rows = Photo.objects.filter(state=Photo.State.PRESENT)
    rows = rows.filter(owner_nsid=nsid) if check.account_gone else rows.filter(flickr_id__in=ids)
    found: dict[int, list[str]] = {}
    for flickr_id, slug in rows.values_list("flickr_id", "dataset__slug").order_by("flickr_id"):
        found.setdefault(flickr_id, []).append(slug)
    return found


def _count(run: Run, result: OwnerResult) -> None:
    run.owners += 1
    run.photos += result.check.photos
    run.calls += result.check.calls
    for finding in result.check.findings:
        run.signals[finding.kind] = run.signals.get(finding.kind, 0) + 1
    if result.check.findings:
        run.acted.append(result)


def _record(row: RecheckPass, result: OwnerResult | None, *, calls: int = 0) -> None:
    if result is not None:
        row.owners_checked += 1
        row.photos_checked += result.check.photos
        row.calls += result.check.calls
        row.cursor = result.check.nsid
        for finding in result.check.findings:
            row.signals[finding.kind] = int(row.signals.get(finding.kind, 0)) + 1
    row.calls += calls
    row.save()


def _new_pass(*, scope: str = "", dataset_id: int | None = None) -> RecheckPass:
    photos = Photo.objects.filter(state=Photo.State.PRESENT).exclude(owner_nsid="")
    if dataset_id is not None:
        photos = photos.filter(dataset_id=dataset_id)
    totals = photos.aggregate(
        owners=Count("owner_nsid", distinct=True), photos=Count("flickr_id", distinct=True)
    )
    return RecheckPass.objects.create(
        scope=scope, owners_total=totals["owners"], photos_total=totals["photos"]
    )


# -- the background pass (beat) ---------------------------------------------------------
def calls_per_tick() -> int:
    share = settings.FLICKR_RECHECK_CALLS_PER_HOUR
    return max(1, math.ceil(share * settings.RECHECK_EVERY_SECONDS / 3600)) if share > 0 else 0


def recheck_tick(*, now: datetime | None = None) -> str:
    """One slice of the background pass. Returns what it did, for the worker's log."""
    allowance = calls_per_tick()
    if allowance <= 0:
        return "off: FLICKR_RECHECK_CALLS_PER_HOUR is 0"
    # One walker at a time (a slow tick, two beats): the cursor is not shared.
    if not cache.add(LOCK_KEY, 1, timeout=int(settings.RECHECK_EVERY_SECONDS * 10)):
        return "another worker is re-checking"
    try:
        return _tick(allowance, now or timezone.now())
    finally:
        cache.delete(LOCK_KEY)


def current_pass() -> RecheckPass | None:
    return RecheckPass.objects.filter(scope="").order_by("-started_at", "-pk").first()


def _tick(allowance: int, now: datetime) -> str:
    row = current_pass()
    if row is None or row.finished_at is not None:
        row = _new_pass()
    if row.paused_until and row.paused_until > now:
        return f"paused until {row.paused_until:%H:%M:%S}: {row.last_error}"
    spent = owners = 0
    while spent < allowance:
        nsids = list(owners_in_scope(after=row.cursor)[:OWNERS_PER_QUERY])
        if not nsids:
            row.finished_at = timezone.now()
            row.save(update_fields=["finished_at"])
            return f"pass finished: {row.owners_checked} owners, {row.calls} calls"
        for nsid in nsids:
            try:
                result = owner_recheck(nsid=nsid)
            except CheckInterrupted as stop:
                _pause(row, stop)
                return f"paused: {stop.error.message}"
            _record(row, result)
            spent += result.check.calls
            owners += 1
            if spent >= allowance:
                break
    if row.paused_until or row.last_error:
        row.paused_until, row.last_error = None, ""
        row.save(update_fields=["paused_until", "last_error"])
    return f"{owners} owners checked, {spent} calls"


def _pause(row: RecheckPass, stop: CheckInterrupted) -> None:
    seconds = stop.error.retry_after or PAUSE_SECONDS
    row.paused_until = timezone.now() + timedelta(seconds=seconds)
    row.last_error = stop.error.message
    _record(row, None, calls=stop.calls)
    log.warning("re-check paused for %s s: %s", seconds, stop.error.message)


# -- a pass in the foreground (manage.py recheck_flickr) --------------------------------
def recheck_run(
    *,
    dataset: str = "",
    owner: str = "",
    dry_run: bool = False,
    started: Callable[[int], None] | None = None,
    progress: Callable[[OwnerResult], None] | None = None,
) -> Run:
    """Check every owner in scope now (the whole registry, a dataset, or one owner).

    Stops at the first owner Flickr gives no clear answer about (`Run.stopped`),
    having acted on nothing of that owner. A dry run files nothing and records nothing.
    """
    dataset_id = None
    if dataset:
        found = Dataset.objects.filter(slug=dataset).values_list("pk", flat=True).first()
        if found is None:
            slugs = ", ".join(Dataset.objects.values_list("slug", flat=True)[:20]) or "none yet"
            raise RecheckProblem(f"No dataset {dataset!r}. Datasets: {slugs}.")
        dataset_id = found
    nsids = list(owners_in_scope(dataset_id=dataset_id))
    if owner:
        nsids = [nsid for nsid in nsids if nsid == owner]
    if started:
        started(len(nsids))
    scope = f"owner:{owner}" if owner else f"dataset:{dataset}" if dataset else "command"
    row = None if dry_run else _new_pass(scope=scope, dataset_id=dataset_id)
    run = Run()
    for nsid in nsids:
        try:
            result = owner_recheck(nsid=nsid, dataset_id=dataset_id, dry_run=dry_run)
        except CheckInterrupted as stop:
            run.calls += stop.calls
            run.stopped = stop.error.message
            run.retry_after = stop.error.retry_after
            if row is not None:
                row.last_error = stop.error.message
                _record(row, None, calls=stop.calls)
            break
        _count(run, result)
        if row is not None:
            _record(row, result)
        if progress:
            progress(result)
    else:
        run.finished = True
    if row is not None and run.finished:
        row.finished_at = timezone.now()
        row.save(update_fields=["finished_at"])
    return run


# -- the dashboard ----------------------------------------------------------------------
@dataclass(frozen=True)
class PassFigures:
    started_at: datetime | None
    finished_at: datetime | None
    owners_checked: int
    owners_total: int
    photos_checked: int
    photos_total: int
    calls: int
    calls_last_hour: int
    calls_per_hour: int
    signals: list[tuple[str, int]]  # (label, count) of this pass
    signals_ever: list[tuple[str, int]]
    calls_per_photo: float | None
    full_pass_hours: float | None
    paused_until: datetime | None
    last_error: str
    policy: str

    @property
    def full_pass(self) -> str:
        """The projected length of a full pass, in the unit a person reads best, in the
        dashboard's language. Hours and days carry a decimal ("1.5 hours"): the plural form
        is picked by the whole part (French says "1,5 heure"); where a decimal is always
        plural (English), both forms read the same."""
        hours = self.full_pass_hours
        if hours is None:
            return ""
        if hours < 1:
            minutes = max(1, math.ceil(hours * 60))
            return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
        if hours < 48:
            # Translators: the count has one decimal ("1.5"); the form follows its whole part.
            return ngettext("%(count)s hours", "%(count)s hours", int(hours)) % {
                "count": number_format(hours, 1)
            }
        days = hours / 24
        # Translators: the count has one decimal ("2.5"); the form follows its whole part.
        return ngettext("%(count)s days", "%(count)s days", int(days)) % {
            "count": number_format(days, 1)
        }


def recheck_figures() -> PassFigures:
    """The current background pass, and how long a whole pass takes at the current budget."""
    row = current_pass()
    last_done = (
        RecheckPass.objects.filter(scope="", finished_at__isnull=False, photos_checked__gt=0)
        .order_by("-finished_at")
        .first()
    )
    labels = dict(FlickrSignal.Kind.choices)
    basis = row if row is not None and row.photos_checked else last_done
    per_photo = basis.calls / basis.photos_checked if basis is not None else None
    share = settings.FLICKR_RECHECK_CALLS_PER_HOUR
    photos_total = row.photos_total if row is not None else 0
    hours = photos_total * per_photo / share if per_photo is not None and share > 0 else None
    ever = FlickrSignal.objects.values_list("kind").annotate(n=Count("pk")).order_by("kind")
    return PassFigures(
        started_at=row.started_at if row else None,
        finished_at=row.finished_at if row else None,
        owners_checked=row.owners_checked if row else 0,
        owners_total=row.owners_total if row else 0,
        photos_checked=row.photos_checked if row else 0,
        photos_total=photos_total,
        calls=row.calls if row else 0,
        calls_last_hour=flickr.budget_used(flickr.Purpose.RECHECK),
        calls_per_hour=share,
        signals=[(str(labels.get(k, k)), int(n)) for k, n in (row.signals if row else {}).items()],
        signals_ever=[(str(labels.get(k, k)), n) for k, n in ever],
        calls_per_photo=per_photo,
        full_pass_hours=hours,
        paused_until=row.paused_until if row else None,
        last_error=row.last_error if row else "",
        policy=settings.RECHECK_POLICY,
    )
