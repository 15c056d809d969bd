"""Working one deletion job: claim it, delete in batches, verify, finish.

A worker claims a job with a conditional update, moves the request to
`deleting`, then works in batches, each one transaction: lock the batch's
photo rows, delete their files through the storage API, turn the rows into
tombstones, record a `Suppression` per photo, advance the job's progress and
heartbeat. A killed worker rolls its batch back; its files may already be gone,
and deleting a missing file is a no-op, so the next run finishes the batch
without deleting anything twice. After the last batch a verification pass
checks every file key and photo state; the last job to pass completes the
request (which queues the receipt).
"""

import os
import socket
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from optout import workflow
from optout.deletion import downstream, suppressions
from optout.deletion.jobs import FAILED_WHY, STOPPED_ERROR, stale_delay
from optout.models import DeletionJob, Photo, RemovalRequest, RequestPhoto

S = RemovalRequest.Status
J = DeletionJob.Status
CLEARED: dict[str, object] = {
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


def job_run(*, job_id: int) -> str:
    """Claim the job and work it to the end. Returns what happened, for the task log.

    Transient errors propagate (the task retries); verification failures too
    (the task fails the job at once).
    """
    claimed = _claim(job_id)
    if isinstance(claimed, str):
        return claimed
    job, token = claimed.job, claimed.token
    removal = RemovalRequest.objects.get(pk=job.request_id)
    storage = default_storage
    batch_size = settings.DELETION_BATCH_SIZE
    after: int | None = 0
    while after is not None:
        after = _batch(job, token, removal, storage, batch_size, after)
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
        removal = RemovalRequest.objects.select_for_update(no_key=True).get(pk=job.request_id)
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        if job.status in (J.DONE, J.FAILED, J.CANCELLED):
            return f"already {job.status}"
        if job.status == J.RUNNING and job.heartbeat_at and job.heartbeat_at > now - stale_delay():
            return "another worker has it"
        if job.status == J.RUNNING and job.attempts >= settings.DELETION_MAX_ATTEMPTS:
            # Its worker stopped on every attempt: killed each time, or an error that
            # is not on the transient list (the worker log has it). Stop sending it.
            error = job.last_error or STOPPED_ERROR
            DeletionJob.objects.filter(pk=job.pk).update(
                status=J.FAILED, claim="", last_error=error, finished_at=now
            )
            if removal.status == S.DELETING:
                workflow.request_move(
                    removal=removal, to=S.FAILED, actor="system", why=FAILED_WHY, expect=S.DELETING
                )
            return f"failed: {error}"
        if removal.status in (S.CANCELLED, S.REJECTED):
            DeletionJob.objects.filter(pk=job.pk).update(status=J.CANCELLED, finished_at=now)
            return f"request {removal.status}: nothing deleted"
        if removal.status == S.APPROVED:
            workflow.request_move(
                removal=removal,
                to=S.DELETING,
                actor="system",
                why="Deletion started.",
                expect=S.APPROVED,
            )
        elif removal.status != S.DELETING:
            return f"request {removal.status}: left as it is"
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
    removal: RemovalRequest,
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
            removed_by_id=removal.pk,
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
        removal = RemovalRequest.objects.select_for_update(no_key=True).get(pk=job.request_id)
        finished = DeletionJob.objects.filter(pk=job.pk, claim=token, status=J.RUNNING).update(
            status=J.DONE, finished_at=now, heartbeat_at=now, last_error=""
        )
        if not finished:
            raise ClaimLost(f"job {job.pk} was given to another worker")
        if removal.status != S.DELETING:
            return f"done; request {removal.status}"
        if removal.deletion_jobs.exclude(status=J.DONE).exists():
            return "done; other datasets to go"
        if removal.future_releases and removal.owner_nsid:
            suppressions.owner_suppress(removal.owner_nsid)
        removed = Photo.objects.filter(requestphoto__request=removal, state=Photo.State.REMOVED)
        count = removed.count()
        # Licensees' feeds and webhooks, committed with the completion (downstream.py).
        downstream.removals_publish(removal=removal)
        workflow.request_move(
            removal=removal,
            to=S.COMPLETED,
            actor="system",
            why=f"{count} photo{'s' if count != 1 else ''} removed and checked gone.",
            expect=S.DELETING,
        )
    return "done; request completed"
