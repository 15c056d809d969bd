"""Deletion jobs, the outbox of the deletion pipeline (an approved request's photos out
of every dataset we hold).

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
photo's Suppression keeps the keyed hash of it instead (optout/infra/owner_keys.py),
which is all the owner's look-up needs to say "N removed". `file_keys` is
emptied once verification saw the files gone.
"""

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from optout import queue, workflow
from optout.models import DeletionJob, Photo, RemovalRequest

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
FAILED_WHY = (
    "The removal hit a problem on our side. The maintainers have been told and will retry it."
)


STOPPED_ERROR = (
    "Its worker stopped on every attempt (killed, or an unexpected error: see the worker log)."
)


def jobs_prepare(*, removal: RemovalRequest) -> list[int]:
    """On entering `approved`: a job per dataset of the request, each enqueued after commit.

    Called by the approving use case (optout.requests.review) inside its transaction.
    A retried request keeps its finished jobs and re-queues the others with fresh attempts.
    """
    now = timezone.now()
    per_dataset = dict(_photo_counts(removal))
    existing = {job.dataset_id: job for job in removal.deletion_jobs.all()}
    queued: list[int] = []
    for dataset_id, count in per_dataset.items():
        job = existing.get(dataset_id)
        if job is None:
            job = DeletionJob.objects.create(
                request=removal, dataset_id=dataset_id, total=count, queued_at=now
            )
        elif job.status in (J.QUEUED, J.FAILED, J.CANCELLED):
            DeletionJob.objects.filter(pk=job.pk).update(
                status=J.QUEUED, total=count, attempts=0, claim="", queued_at=now
            )
        else:
            continue  # done, or still running for a worker that will finish it
        queued.append(job.pk)
    transaction.on_commit(lambda: jobs_enqueue(job_ids=queued))
    return queued


def _photo_counts(removal: RemovalRequest) -> list[tuple[int, int]]:
    return list(
        Photo.objects.filter(requestphoto__request=removal)
        .values_list("dataset_id")
        .annotate(n=Count("id"))
        .order_by("dataset_id")
    )


def jobs_enqueue(*, job_ids: Iterable[int], countdown: float = 0) -> int:
    """Send a task per job; a broker that is down only delays them (the sweeper resends)."""
    return sum(queue.enqueue(queue.DELETION_RUN, job_id, countdown=countdown) for job_id in job_ids)


def jobs_sweep(
    *, queued_after: timedelta | None = None, stale_after: timedelta | None = None
) -> int:
    """Re-enqueue jobs left behind: queued for long (a broker that was down, a lost
    message) or running with a stopped heartbeat (a killed worker). Returns how many."""
    now = timezone.now()
    queued_after = queued_after if queued_after is not None else requeue_delay()
    stale_after = stale_after if stale_after is not None else stale_delay()
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


def requeue_delay() -> timedelta:
    return timedelta(seconds=settings.DELETION_REQUEUE_AFTER_SECONDS)


def stale_delay() -> timedelta:
    return timedelta(seconds=settings.DELETION_STALE_AFTER_SECONDS)


@dataclass(frozen=True)
class Released:
    attempts: int  # so far
    retry_in: float  # seconds of backoff before the next attempt; 0 after the last


def job_release(*, job_id: int, error: BaseException) -> Released:
    """After a transient error: back to queued with the error kept, due again after
    its backoff (none once DELETION_MAX_ATTEMPTS are spent: the caller fails it).

    `queued_at` becomes when the retry's message is due, so the sweeper waits out
    the backoff (up to DELETION_RETRY_BACKOFF_MAX_SECONDS) before it sends the job
    again; it used to send it after DELETION_REQUEUE_AFTER_SECONDS whatever the backoff."""
    attempts = DeletionJob.objects.filter(pk=job_id).values_list("attempts", flat=True).first()
    attempts = attempts or 0
    retry_in = backoff(attempts) if attempts < settings.DELETION_MAX_ATTEMPTS else 0.0
    DeletionJob.objects.filter(pk=job_id, status=J.RUNNING).update(
        status=J.QUEUED,
        claim="",
        last_error=describe(error),
        queued_at=timezone.now() + timedelta(seconds=retry_in),
    )
    return Released(attempts=attempts, retry_in=retry_in)


def job_fail(*, job_id: int, error: BaseException) -> None:
    """Give up on the job: the error stays on it, the request moves to failed (once)."""
    job = DeletionJob.objects.filter(pk=job_id).first()
    if job is None:
        return
    with transaction.atomic():
        removal = RemovalRequest.objects.select_for_update(no_key=True).get(pk=job.request_id)
        failed = DeletionJob.objects.filter(pk=job_id, status__in=(J.QUEUED, J.RUNNING)).update(
            status=J.FAILED, claim="", last_error=describe(error), finished_at=timezone.now()
        )
        if failed and removal.status == S.DELETING:
            workflow.request_move(
                removal=removal, to=S.FAILED, actor="system", why=FAILED_WHY, expect=S.DELETING
            )
    log.error("deletion job %s failed: %s", job_id, describe(error))


def backoff(attempts: int) -> float:
    """Seconds before the next try: exponential, capped, with jitter so a storage
    outage does not bring every job back in the same second."""
    base = settings.DELETION_RETRY_BACKOFF_SECONDS
    delay = min(base * 2 ** max(attempts - 1, 0), settings.DELETION_RETRY_BACKOFF_MAX_SECONDS)
    return delay * random.uniform(0.8, 1.2)


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
