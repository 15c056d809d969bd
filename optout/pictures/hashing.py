"""Hashing the datasets' stored pictures: `hash_pictures SLUG`, and the task after an import.

For each present photo with stored files, the first image file among its
`file_keys` is read through Django's storage API (local files, or S3 through
django-storages) and its PDQ hash kept in PictureHash. Photos already hashed
are skipped unless `rehash`; a missing or unreadable file is counted and
skipped, and tried again on the next run. One transaction per batch, so an
interrupted run keeps what it did.

The task after an import is sent from an outbox: the import marks its dataset
`pictures_pending_since` in its own transaction; a run clears the mark when it
ends, unless a newer import set it meanwhile, and beats `pictures_heartbeat_at`
while it works. `pictures_sweep` (beat) sends the task again for a dataset still
marked after PICTURES_SWEEP_GRACE with no heartbeat within it (`pictures_due`):
a message lost with the broker, a worker killed mid-run.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from optout.models import Dataset, Photo, PictureHash
from optout.pictures.index import picture_index
from optout.pictures.pdq import MIN_QUALITY, PictureProblem, picture_hash

log = logging.getLogger(__name__)

type Progress = Callable[[int, int], None]

BATCH = 500
# How long a pending dataset waits for its task, or a run's heartbeat may be silent,
# before the sweeper sends the task again. A batch of BATCH pictures takes seconds.
PICTURES_SWEEP_GRACE = timedelta(minutes=10)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".heif")


class DatasetUnknown(Exception):
    def __init__(self, slug: str) -> None:
        super().__init__(f"No dataset {slug!r}: see the datasets in the admin, or import one.")


@dataclass
class HashRun:
    dataset: str
    candidates: int = 0
    hashed: int = 0
    too_flat: int = 0  # hashed, but too flat to match anything
    missing: int = 0  # the storage has no such file
    unreadable: int = 0  # a file we could not read, or not a picture we read
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.hashed / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        lines = [
            f"Hashed {self.hashed:,} of {self.candidates:,} pictures of {self.dataset} "
            f"in {self.seconds:.1f} s ({self.per_second:,.0f} a second)."
        ]
        if self.too_flat:
            lines.append(f"  {self.too_flat:,} of them too flat to match anything (kept anyway).")
        if self.missing:
            lines.append(f"  Skipped {self.missing:,}: the file is not in the storage.")
        if self.unreadable:
            lines.append(f"  Skipped {self.unreadable:,}: the file could not be read as a picture.")
        return lines


def first_picture_key(keys: list[str]) -> str:
    """The key of the first image file, by its name; else the first key."""
    for key in keys:
        if isinstance(key, str) and key.lower().endswith(IMAGE_SUFFIXES):
            return key
    return keys[0] if keys and isinstance(keys[0], str) else ""


def _stored_hash(key: str, run: HashRun) -> tuple[bytes, int] | None:
    try:
        with default_storage.open(key, "rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        run.missing += 1
        return None
    except OSError as error:
        log.warning("Picture %s not read: %s", key, error)
        run.unreadable += 1
        return None
    try:
        hashed = picture_hash(data=data)
    except PictureProblem as problem:
        log.warning("Picture %s not hashed: %s", key, problem.code)
        run.unreadable += 1
        return None
    return hashed.pdq, hashed.quality


def pictures_hash(*, slug: str, rehash: bool = False, progress: Progress | None = None) -> HashRun:
    """Hash the first picture of each present photo of `slug` that has stored files.

    Only photos not hashed yet, unless `rehash`. Raises DatasetUnknown.
    """
    started = time.monotonic()
    started_at = timezone.now()
    dataset = Dataset.objects.filter(slug=slug).first()
    if dataset is None:
        raise DatasetUnknown(slug)
    beat = Dataset.objects.filter(pk=dataset.pk)
    beat.update(pictures_heartbeat_at=started_at)
    run = HashRun(dataset=slug)
    photos = Photo.objects.filter(dataset=dataset, state=Photo.State.PRESENT).exclude(file_keys=[])
    if not rehash:
        photos = photos.filter(picture_hash__isnull=True)
    run.candidates = photos.count()
    done = 0
    last_pk = 0
    while True:
        after = photos.filter(pk__gt=last_pk).order_by("pk")
        batch = list(after.values_list("pk", "flickr_id", "file_keys")[:BATCH])
        if not batch:
            break
        last_pk = batch[-1][0]
        rows = []
        for pk, flickr_id, keys in batch:
            key = first_picture_key(keys or [])
            stored = _stored_hash(key, run) if key else None
            if stored is None:
                continue
            pdq, quality = stored
            run.hashed += 1
            run.too_flat += quality < MIN_QUALITY
            rows.append((pk, flickr_id, pdq, quality))
        if rows:
            now = timezone.now()
            with transaction.atomic():
                PictureHash.objects.bulk_create(
                    [
                        PictureHash(
                            photo_id=pk,
                            dataset=dataset,
                            flickr_id=flickr_id,
                            pdq=pdq,
                            quality=quality,
                            hashed_at=now,
                        )
                        for pk, flickr_id, pdq, quality in rows
                    ],
                    update_conflicts=True,
                    unique_fields=["photo"],
                    update_fields=["dataset", "flickr_id", "pdq", "quality", "hashed_at"],
                )
            picture_index().invalidate()
        beat.update(pictures_heartbeat_at=timezone.now())
        done += len(batch)
        if progress:
            progress(done, run.candidates)
    run.seconds = time.monotonic() - started
    # Done with what was pending when it started; a newer import keeps its mark.
    beat.filter(pictures_pending_since__lte=started_at).update(pictures_pending_since=None)
    beat.update(pictures_heartbeat_at=None)
    return run


def pictures_due(*, now: datetime | None = None) -> list[int]:
    """The datasets whose import's hashing task seems lost: pending for longer than
    the grace, and no run's heartbeat within it. The beat task sends it again."""
    stale = (now or timezone.now()) - PICTURES_SWEEP_GRACE
    return list(
        Dataset.objects.filter(pictures_pending_since__lt=stale)
        .exclude(pictures_heartbeat_at__gte=stale)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def dataset_pictures_hash(*, dataset_id: int) -> str:
    """The task after an import: hash what it brought, if the dataset is still here."""
    slug = Dataset.objects.filter(pk=dataset_id).values_list("slug", flat=True).first()
    if slug is None:
        return f"dataset {dataset_id} is gone"
    return " ".join(pictures_hash(slug=slug).lines())
