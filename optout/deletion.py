"""The deletion pipeline: an approved request's photos out of every dataset we hold.

Entering `approved` (whatever the path: auto-approval, the admin, a retry)
creates one `DeletionJob` per dataset and enqueues it after commit. A worker
claims the job with a conditional update, moves the request to `deleting`,
then works in batches, each one transaction: lock the batch's photo rows,
delete their files through the storage API, turn the rows into tombstones,
record a `Suppression` per photo, advance the job's progress and heartbeat.
A killed worker rolls its batch back; its files may already be gone, and
deleting a missing file is a no-op, so the next run finishes the batch
without deleting anything twice. After the last batch a verification pass
checks every file key and photo state; the last job to pass completes the
request (which queues the receipt).

What a tombstone keeps: `flickr_id` and `dataset` (the receipt, the public
removal list, and the unique row that keeps a re-import from inserting the
photo again), `license` and `release`. Everything else a manifest told us
about the person or the picture is cleared, the owner's NSID included: the
photo's Suppression keeps the keyed hash of it instead (optout/owner_keys.py),
which is all the owner's look-up needs to say "N removed". `file_keys` is
emptied once verification saw the files gone.
"""

import logging
import os
import random
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from optout import suppressions, workflow
from optout.models import DeletionJob, Photo, RemovalRequest, RequestPhoto

log = logging.getLogger(__name__)

S = RemovalRequest.Status
J = DeletionJob.Status
# Worth another try: storage hiccups (OSError covers local disks and most
# network file systems), a dropped or locked database, the broker.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    OperationalError,
    InterfaceError,
    BrokerError,
)
CLEARED = {
    "title": "",
    "owner_nsid": "",
    "owner_name": "",
    "page_url": "",
    "image_url": "",
    "server": "",
    "secret": "",
    "farm": None,
    "extra": {},
}
FAILED_WHY = (
    "The removal hit a problem on our side. The maintainers have been told and will retry it."
)


STOPPED_ERROR = (
    "Its worker stopped on every attempt (killed, or an unexpected error: see the worker log)."
)


class VerificationFailed(Exception):
    """After the last batch, a photo in scope is still present or a file still exists."""


class ClaimLost(Exception):
    """The sweeper gave this job to another worker while this one stalled."""


@dataclass(frozen=True)
class Claimed:
    job: DeletionJob
    token: str


def _scope(job: DeletionJob) -> QuerySet[Photo]:
    return Photo.objects.filter(
        dataset_id=job.dataset_id,
        pk__in=RequestPhoto.objects.filter(request_id=job.request_id).values("photo_id"),
    )


def jobs_prepare(*, request: RemovalRequest) -> list[int]:
    """On entering `approved`: a job per dataset of the request, each enqueued after commit.

    Called by workflow.request_move inside its transaction. A retried request
    keeps its finished jobs and re-queues the others with fresh attempts.
    """
    now = timezone.now()
    per_dataset = dict(_photo_counts(request))
    existing = {job.dataset_id: job for job in request.deletion_jobs.all()}
    queued: list[int] = []
    for dataset_id, count in per_dataset.items():
        job = existing.get(dataset_id)
        if job is None:
            job = DeletionJob.objects.create(
                request=request, dataset_id=dataset_id, total=count, queued_at=now
            )
        elif job.status in (J.QUEUED, J.FAILED, J.CANCELLED):
            DeletionJob.objects.filter(pk=job.pk).update(
                status=J.QUEUED, total=count, attempts=0, claim="", queued_at=now
            )
        else:
            continue  # done, or still running for a worker that will finish it
        queued.append(job.pk)
    transaction.on_commit(lambda: jobs_enqueue(job_ids=queued), robust=True)
    return queued


def _photo_counts(request: RemovalRequest) -> list[tuple[int, int]]:
    return list(
        Photo.objects.filter(requestphoto__request=request)
        .values_list("dataset_id")
        .annotate(n=Count("id"))
        .order_by("dataset_id")
    )


def jobs_enqueue(*, job_ids: Iterable[int], countdown: float = 0) -> int:
    """Send a task per job; a broker that is down only delays them (the sweeper resends)."""
    from optout import tasks

    sent = 0
    for job_id in job_ids:
        try:
            if countdown:
                tasks.deletion_run.apply_async((job_id,), countdown=countdown)
            else:
                tasks.deletion_run.delay(job_id)
        except (BrokerError, OSError) as error:
            log.warning(
                "deletion job %s not enqueued, the sweeper will resend it: %s", job_id, error
            )
            continue
        sent += 1
    return sent


def jobs_sweep(
    *, queued_after: timedelta | None = None, stale_after: timedelta | None = None
) -> int:
    """Re-enqueue jobs left behind: queued for long (a broker that was down, a lost
    message) or running with a stopped heartbeat (a killed worker). Returns how many."""
    now = timezone.now()
    queued_after = queued_after if queued_after is not None else _requeue_after()
    stale_after = stale_after if stale_after is not None else _stale_after()
    due = DeletionJob.objects.filter(
        Q(status=J.QUEUED, queued_at__lte=now - queued_after)
        | Q(status=J.RUNNING, heartbeat_at__lte=now - stale_after),
        request__status__in=(S.APPROVED, S.DELETING),
    )
    job_ids = list(due.values_list("pk", flat=True))
    if not job_ids:
        return 0
    DeletionJob.objects.filter(pk__in=job_ids).update(queued_at=now)
    sent = jobs_enqueue(job_ids=job_ids)
    log.info("deletion sweep: %s of %s left-behind jobs re-enqueued", sent, len(job_ids))
    return sent


def _requeue_after() -> timedelta:
    return timedelta(seconds=settings.DELETION_REQUEUE_AFTER_SECONDS)


def _stale_after() -> timedelta:
    return timedelta(seconds=settings.DELETION_STALE_AFTER_SECONDS)


def job_run(*, job_id: int) -> str:
    """Claim the job and work it to the end. Returns what happened, for the task log.

    Transient errors propagate (the task retries); verification failures too
    (the task fails the job at once).
    """
    claimed = _claim(job_id)
    if isinstance(claimed, str):
        return claimed
    job, token = claimed.job, claimed.token
    request = RemovalRequest.objects.get(pk=job.request_id)
    storage = default_storage
    batch_size = settings.DELETION_BATCH_SIZE
    after: int | None = 0
    while after is not None:
        after = _batch(job, token, request, storage, batch_size, after)
    _verify(job, token, storage)
    return _finish(job, token)


def _claim(job_id: int) -> Claimed | str:
    """Take the job if nobody holds it (or its holder stopped beating); start the request."""
    job = DeletionJob.objects.filter(pk=job_id).first()
    if job is None:
        return "no such job"
    now = timezone.now()
    with transaction.atomic():
        # Request first, then job, everywhere: two jobs finishing together serialize
        # on the request row, and no two paths take the locks in opposite order.
        # NO KEY: a batch writing removed_by (a foreign key to this row) takes a key
        # share lock on it, which FOR UPDATE would block (a deadlock with the job lock).
        request = RemovalRequest.objects.select_for_update(no_key=True).get(pk=job.request_id)
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        if job.status in (J.DONE, J.FAILED, J.CANCELLED):
            return f"already {job.status}"
        if job.status == J.RUNNING and job.heartbeat_at and job.heartbeat_at > now - _stale_after():
            return "another worker has it"
        if job.status == J.RUNNING and job.attempts >= settings.DELETION_MAX_ATTEMPTS:
            # Its worker stopped on every attempt: killed each time, or an error that
            # is not on the transient list (the worker log has it). Stop sending it.
            error = job.last_error or STOPPED_ERROR
            DeletionJob.objects.filter(pk=job.pk).update(
                status=J.FAILED, claim="", last_error=error, finished_at=now
            )
            if request.status == S.DELETING:
                workflow.request_move(
                    request=request, to=S.FAILED, actor="system", why=FAILED_WHY, expect=S.DELETING
                )
            return f"failed: {error}"
        if request.status in (S.CANCELLED, S.REJECTED):
            DeletionJob.objects.filter(pk=job.pk).update(status=J.CANCELLED, finished_at=now)
            return f"request {request.status}: nothing deleted"
        if request.status == S.APPROVED:
            workflow.request_move(
                request=request,
                to=S.DELETING,
                actor="system",
                why="Deletion started.",
                expect=S.APPROVED,
            )
        elif request.status != S.DELETING:
            return f"request {request.status}: left as it is"
        token = uuid.uuid4().hex
        present = _scope(job).filter(state=Photo.State.PRESENT).count()
        DeletionJob.objects.filter(pk=job.pk).update(
            status=J.RUNNING,
            claim=token,
            claimed_by=f"{socket.gethostname()}:{os.getpid()}",
            attempts=F("attempts") + 1,
            heartbeat_at=now,
            started_at=job.started_at or now,
            done=max(job.total - present, 0),
        )
    job.refresh_from_db()
    return Claimed(job, token)


def _batch(
    job: DeletionJob,
    token: str,
    request: RemovalRequest,
    storage: Storage,
    size: int,
    after: int = 0,
) -> int | None:
    """One batch in one transaction, photos past pk `after`; returns the last pk done,
    None when nothing in scope is left present. Keyset paging: each batch's query
    starts where the last one ended instead of stepping over the removed rows."""
    with transaction.atomic():
        if not DeletionJob.objects.select_for_update().filter(pk=job.pk, claim=token).exists():
            raise ClaimLost(f"job {job.pk} was given to another worker")
        rows = list(
            _scope(job)
            .select_for_update(of=("self",))
            .filter(state=Photo.State.PRESENT, pk__gt=after)
            .order_by("pk")
            .values_list("pk", "file_keys", "dataset_id", "flickr_id", "owner_nsid")[:size]
        )
        if not rows:
            return None
        for _, keys, *_ in rows:
            for key in keys or ():
                storage.delete(key)
        now = timezone.now()
        ids = [pk for pk, *_ in rows]
        Photo.objects.filter(pk__in=ids, state=Photo.State.PRESENT).update(
            state=Photo.State.REMOVED,
            removed_at=now,
            removed_by_id=request.pk,
            updated_at=now,
            **CLEARED,
        )
        suppressions.photos_suppress(
            [(dataset_id, flickr_id, nsid) for _, _, dataset_id, flickr_id, nsid in rows], now
        )
        DeletionJob.objects.filter(pk=job.pk).update(done=F("done") + len(rows), heartbeat_at=now)
    return ids[-1] if len(rows) == size else None


def _verify(job: DeletionJob, token: str, storage: Storage) -> None:
    """No photo in scope present, no file of one left; then forget the file keys."""
    scope = _scope(job)
    still = scope.filter(state=Photo.State.PRESENT).count()
    if still:
        raise VerificationFailed(f"{still} photos in scope are still present after the last batch")
    checked: list[int] = []
    for pk, keys in scope.values_list("pk", "file_keys").iterator(chunk_size=2000):
        if not keys:
            continue
        left = [key for key in keys if storage.exists(key)]
        if left:
            raise VerificationFailed(
                f"{len(left)} files still exist after deletion, e.g. {left[0]!r}"
            )
        checked.append(pk)
    for start in range(0, len(checked), 2000):
        Photo.objects.filter(pk__in=checked[start : start + 2000]).update(file_keys=[])
    DeletionJob.objects.filter(pk=job.pk, claim=token).update(heartbeat_at=timezone.now())


def _finish(job: DeletionJob, token: str) -> str:
    """Mark the job done; the last job of the request completes it (one winner)."""
    now = timezone.now()
    with transaction.atomic():
        request = RemovalRequest.objects.select_for_update(no_key=True).get(pk=job.request_id)
        finished = DeletionJob.objects.filter(pk=job.pk, claim=token, status=J.RUNNING).update(
            status=J.DONE, finished_at=now, heartbeat_at=now, last_error=""
        )
        if not finished:
            raise ClaimLost(f"job {job.pk} was given to another worker")
        if request.status != S.DELETING:
            return f"done; request {request.status}"
        if request.deletion_jobs.exclude(status=J.DONE).exists():
            return "done; other datasets to go"
        if request.future_releases and request.owner_nsid:
            suppressions.owner_suppress(request.owner_nsid)
        removed = Photo.objects.filter(requestphoto__request=request, state=Photo.State.REMOVED)
        count = removed.count()
        workflow.request_move(
            request=request,
            to=S.COMPLETED,
            actor="system",
            why=f"{count} photo{'s' if count != 1 else ''} removed and checked gone.",
            expect=S.DELETING,
        )
    return "done; request completed"


def job_release(*, job_id: int, error: BaseException) -> int:
    """After a transient error: back to queued with the error kept; returns attempts so far."""
    now = timezone.now()
    DeletionJob.objects.filter(pk=job_id, status=J.RUNNING).update(
        status=J.QUEUED, claim="", last_error=_describe(error), queued_at=now
    )
    job = DeletionJob.objects.filter(pk=job_id).first()
    return job.attempts if job else 0


def job_fail(*, job_id: int, error: BaseException) -> None:
    """Give up on the job: the error stays on it, the request moves to failed (once)."""
    job = DeletionJob.objects.filter(pk=job_id).first()
    if job is None:
        return
    with transaction.atomic():
        request = RemovalRequest.objects.select_for_update(no_key=True).get(pk=job.request_id)
        failed = DeletionJob.objects.filter(pk=job_id, status__in=(J.QUEUED, J.RUNNING)).update(
            status=J.FAILED, claim="", last_error=_describe(error), finished_at=timezone.now()
        )
        if failed and request.status == S.DELETING:
            workflow.request_move(
                request=request, to=S.FAILED, actor="system", why=FAILED_WHY, expect=S.DELETING
            )
    log.error("deletion job %s failed: %s", job_id, _describe(error))


def job_retry(*, request: RemovalRequest, actor: str) -> RemovalRequest:
    """A maintainer retries a failed request: back to approved, failed jobs re-queued.

    Entering `approved` re-queues every job not done (jobs_prepare), so the
    photos already removed are not touched again. Raises TransitionRefused.
    """
    if request.status != S.FAILED:
        raise workflow.TransitionRefused(
            request,
            S.APPROVED,
            f"Only a failed request can be retried; this one is {request.get_status_display()}.",
        )
    return workflow.request_move(
        request=request,
        to=S.APPROVED,
        actor=actor,
        why="Retried by a maintainer.",
        expect=S.FAILED,
    )


def backoff(attempts: int) -> float:
    """Seconds before the next try: exponential, capped, with jitter so a storage
    outage does not bring every job back in the same second."""
    base = settings.DELETION_RETRY_BACKOFF_SECONDS
    delay = min(base * 2 ** max(attempts - 1, 0), settings.DELETION_RETRY_BACKOFF_MAX_SECONDS)
    return delay * random.uniform(0.8, 1.2)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
