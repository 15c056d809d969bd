"""The deletion pipeline against real worker processes (`celery -A optout worker`)
on the configured broker (Redis with REDIS_URL, else the folder broker) and the
test database: a worker killed mid-job, the same job sent twice to two workers,
a storage error, a broker that is down at approval.

Deletes are slowed down by the test storage (tests/deletion_storage.py) so that
a kill lands in the middle of a job; every file a worker removes is written to
a log, which is how "exactly once" is checked.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from pytest_django.fixtures import Settings

from optout import deletion
from optout.models import DeletionJob, Photo, RemovalRequest, Suppression
from optout.requests import review
from tests.support.broker import broker_down, database_url
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory
from tests.support.storage import deletions

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
S = RemovalRequest.Status
J = DeletionJob.Status
ROOT = Path(__file__).resolve().parents[2]
STALE_SECONDS = 2


class Workers:
    """Starts `celery -A optout worker` processes that share this test's database,
    broker, VAR_DIR and MEDIA_ROOT; stops them all at the end."""

    def __init__(self, media: Path, logs: Path) -> None:
        self.media = media
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, delete_delay: float = 0.0) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
            "DATABASE_URL": database_url(),
            "VAR_DIR": str(settings.VAR_DIR),
            "MEDIA_ROOT": str(self.media),
            "DELETION_BATCH_SIZE": "2",
            "DELETION_STALE_AFTER_SECONDS": str(STALE_SECONDS),
            "DELETION_RETRY_BACKOFF_SECONDS": "0.2",
            "DELETION_MAX_ATTEMPTS": "4",
            "DELETION_TEST_DELETE_DELAY": str(delete_delay),
        }
        if settings.REDIS_URL:
            env["REDIS_URL"] = settings.REDIS_URL
        name = f"deletion-{uuid.uuid4().hex[:8]}@%h"
        command = [sys.executable, "-m", "celery", "-A", "optout", "worker", "--pool", "solo"]
        command += ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat", "-n", name]
        log = open(self.logs / f"{name.split('@')[0]}.log", "wb")  # noqa: SIM115 (lives with the process)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.running.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        # Killed, not stopped: nothing they hold matters once the test has its answer,
        # and a warm shutdown would wait for the broker's next poll.
        for process in self.running:
            if process.poll() is None:
                self.kill(process)

    def output(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs.glob("*.log"))


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    settings.MEDIA_ROOT = str(folder)
    return folder


@pytest.fixture
def workers(media: Path, tmp_path: Path) -> Iterator[Workers]:
    logs = tmp_path / "logs"
    logs.mkdir()
    started = Workers(media, logs)
    try:
        yield started
    finally:
        started.stop_all()


def request_with_files(photos: int, dataset_slug: str = "dif") -> RemovalRequest:
    dataset = DatasetFactory(slug=dataset_slug, name="Diversity in Faces")
    owned = [PhotoFactory(dataset=dataset, owner_nsid="66666666@N06") for _ in range(photos)]
    for photo in owned:
        photo.file_keys = [f"{dataset_slug}/{photo.flickr_id}.jpg", f"crops/{photo.flickr_id}.png"]
        photo.save(update_fields=["file_keys"])
        for key in photo.file_keys:
            path = Path(default_storage.path(key))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\xff\xd8 a face")
    return RemovalRequestFactory(owner_nsid="66666666@N06", photos=owned)


def every_key(request: RemovalRequest) -> list[str]:
    return [
        f"{p.dataset.slug}/{p.flickr_id}.jpg" for p in request.photos.select_related("dataset")
    ] + [f"crops/{p.flickr_id}.png" for p in request.photos.all()]


def wait_for(
    condition: Callable[[], bool], what: str, workers: Workers, seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}; worker output:\n{workers.output()}")


def status_of(request: RemovalRequest) -> str:
    return RemovalRequest.objects.get(pk=request.pk).status


def approve(request: RemovalRequest) -> None:
    review.request_approve(removal=request, actor="maintainer:mo")


def assert_removed_exactly_once(request: RemovalRequest, keys: list[str], media: Path) -> None:
    assert status_of(request) == S.COMPLETED
    assert Counter(deletions(default_storage)) == Counter({key: 1 for key in keys})
    assert not [key for key in keys if (media / key).exists()]
    assert set(request.photos.values_list("state", flat=True)) == {Photo.State.REMOVED}
    assert Suppression.objects.filter(kind="photo").count() == request.photos.count()


def test_a_worker_killed_mid_job_leaves_it_to_the_next_one_and_nothing_is_deleted_twice(
    workers: Workers, media: Path
) -> None:
    request = request_with_files(12)
    keys = every_key(request)
    approve(request)
    # Slow enough (24 files, 6 s) that the kill lands mid-job on a busy machine too.
    first = workers.start(delete_delay=0.25)
    job = DeletionJob.objects.get(request=request)

    wait_for(lambda: DeletionJob.objects.get(pk=job.pk).done >= 4, "the first batches", workers)
    workers.kill(first)
    job.refresh_from_db()
    assert job.status == J.RUNNING and 4 <= job.done < 12
    assert status_of(request) == S.DELETING
    # Heard from moments ago: not stale. (A minute, not STALE_SECONDS: on a busy
    # machine the kill alone can take longer than two seconds.)
    assert deletion.jobs_sweep(stale_after=timedelta(minutes=1)) == 0

    workers.start()
    time.sleep(STALE_SECONDS + 0.5)
    # What beat does every few minutes: the stopped heartbeat gets the job sent again.
    assert deletion.jobs_sweep(stale_after=timedelta(seconds=STALE_SECONDS)) == 1
    wait_for(lambda: status_of(request) == S.COMPLETED, "the request to complete", workers)

    assert_removed_exactly_once(request, keys, media)
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.attempts) == (J.DONE, 12, 12, 2)


def test_the_same_job_sent_twice_to_two_workers_runs_once(workers: Workers, media: Path) -> None:
    request = request_with_files(6)
    keys = every_key(request)
    approve(request)
    job = DeletionJob.objects.get(request=request)
    assert deletion.jobs_enqueue(job_ids=[job.pk]) == 1  # a second message for the same job
    workers.start(delete_delay=0.05)
    workers.start(delete_delay=0.05)

    wait_for(lambda: status_of(request) == S.COMPLETED, "the request to complete", workers)
    wait_for(
        lambda: workers.output().count("optout.tasks.deletion_run[") >= 4,
        "both messages to be taken",
        workers,
    )

    assert_removed_exactly_once(request, keys, media)
    job.refresh_from_db()
    assert job.attempts == 1, workers.output()
    output = workers.output()
    assert "done; request completed" in output
    assert ("another worker has it" in output) or ("already done" in output)


def test_a_storage_error_on_one_file_is_retried_and_the_job_completes(
    workers: Workers, media: Path
) -> None:
    request = request_with_files(5)
    keys = every_key(request)
    Path(default_storage.path(keys[2]) + ".fail-once").touch()
    approve(request)
    workers.start()

    wait_for(lambda: status_of(request) == S.COMPLETED, "the request to complete", workers)

    assert_removed_exactly_once(request, keys, media)
    job = DeletionJob.objects.get(request=request)
    assert (job.status, job.attempts) == (J.DONE, 2)
    assert "attempt 1 failed" in workers.output()


def test_a_broker_down_at_approval_delays_the_job_until_the_sweeper_sends_it(
    workers: Workers, media: Path
) -> None:
    request = request_with_files(4)
    keys = every_key(request)
    with broker_down():
        approve(request)  # the approval stands; the job waits, queued
        assert status_of(request) == S.APPROVED
        assert DeletionJob.objects.get(request=request).status == J.QUEUED

    workers.start()
    assert deletion.jobs_sweep(queued_after=timedelta(0)) == 1
    wait_for(lambda: status_of(request) == S.COMPLETED, "the request to complete", workers)
    assert_removed_exactly_once(request, keys, media)
