"""The deletion pipeline at service level: jobs created on approval, sent through
the real broker and run by the `run_tasks` helper (worker processes, kills and
outages are in test_deletion_faults.py)."""

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery import current_app
from django.core import mail
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from pytest_django.fixtures import Settings

from devtools import demo
from optout import deletion, secret_links, tasks, workflow
from optout.deletion import runner
from optout.importers import dataset_import
from optout.infra.owner_keys import owner_key
from optout.models import (
    DeletionJob,
    EmailLog,
    Photo,
    RemovalRequest,
    RequestEvent,
    RequestLink,
    Suppression,
)
from optout.requests import filing, review
from tests.support.celery import _purge as purge
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory
from tests.support.mail import tags
from tests.support.storage import deletions

pytestmark = pytest.mark.django_db
S = RemovalRequest.Status
J = DeletionJob.Status
RunTasks = Callable[[], list[str]]


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> Iterator[Path]:
    """Each test its own MEDIA_ROOT, so the deletions log is this test's alone."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.DELETION_BATCH_SIZE = 3
    settings.DELETION_MAX_ATTEMPTS = 2
    settings.DELETION_RETRY_BACKOFF_SECONDS = 0
    yield tmp_path


def photo_with_files(**kwargs: object) -> Photo:
    """A photo whose image and crop exist in storage."""
    photo = PhotoFactory(**kwargs)
    photo.file_keys = [f"{photo.dataset.slug}/{photo.flickr_id}.jpg"]
    photo.file_keys.append(f"{photo.dataset.slug}/crops/{photo.flickr_id}.png")
    photo.extra = {"user_tags": "beach,family", "description": "At the beach"}
    photo.page_url = f"https://www.flickr.com/photos/{photo.owner_nsid}/{photo.flickr_id}/"
    photo.save()
    for key in photo.file_keys:
        path = Path(default_storage.path(key))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8 a face")
    return photo


@pytest.fixture
def request_in_two_datasets() -> RemovalRequest:
    dif = DatasetFactory(slug="dif", name="Diversity in Faces")
    ffhq = DatasetFactory(slug="ffhq", name="FFHQ")
    nsid = "11111111@N01"
    photos = [photo_with_files(dataset=dif, owner_nsid=nsid) for _ in range(7)]
    photos += [photo_with_files(dataset=ffhq, owner_nsid=nsid) for _ in range(2)]
    PhotoFactory(dataset=dif, owner_nsid="22222222@N02", title="Someone else's")
    return RemovalRequestFactory(owner_nsid=nsid, photos=photos)


def approve(request: RemovalRequest, capture: Callable) -> None:
    with capture(execute=True):
        review.request_approve(removal=request, actor="maintainer:mo")


def run_all(run_tasks: RunTasks, capture: Callable) -> list[str]:
    """Run the queue dry, on-commit sends included, as workers would."""
    ran: list[str] = []
    while True:
        with capture(execute=True):
            batch = run_tasks()
        if not batch:
            return ran
        ran += batch


def keys_of(request: RemovalRequest) -> list[str]:
    return [key for photo in request.photos.all() for key in photo.file_keys]


def test_approving_a_request_queues_one_deletion_job_per_dataset(
    request_in_two_datasets: RemovalRequest, django_capture_on_commit_callbacks: Callable
) -> None:
    approve(request_in_two_datasets, django_capture_on_commit_callbacks)
    jobs = request_in_two_datasets.deletion_jobs.order_by("dataset__slug")
    assert [(job.dataset.slug, job.status, job.total, job.done) for job in jobs] == [
        ("dif", J.QUEUED, 7, 0),
        ("ffhq", J.QUEUED, 2, 0),
    ]


def test_the_jobs_remove_every_file_and_photo_and_complete_with_a_receipt(
    request_in_two_datasets: RemovalRequest,
    run_tasks: RunTasks,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    request = request_in_two_datasets
    keys = keys_of(request)
    approve(request, django_capture_on_commit_callbacks)
    run_all(run_tasks, django_capture_on_commit_callbacks)

    request.refresh_from_db()
    assert request.status == S.COMPLETED
    assert Counter(deletions(default_storage)) == Counter(keys)
    assert not any(default_storage.exists(key) for key in keys)
    assert set(request.photos.values_list("state", flat=True)) == {Photo.State.REMOVED}
    assert [(j.status, j.done, j.total) for j in request.deletion_jobs.order_by("total")] == [
        (J.DONE, 2, 2),
        (J.DONE, 7, 7),
    ]
    timeline = list(request.events.values_list("to_status", "why"))
    assert (S.DELETING, "Deletion started.") in timeline
    assert (S.COMPLETED, "9 photos removed and checked gone.") in timeline
    receipt = next(m for m in mail.outbox if tags(m) == ["completed"])
    assert receipt.to == [request.email]
    assert "- Diversity in Faces (release 1.0): 7 photos removed" in receipt.body
    assert "- FFHQ (release 1.0): 2 photos removed" in receipt.body
    assert Photo.objects.filter(owner_nsid="22222222@N02", state=Photo.State.PRESENT).count() == 1


def test_a_removed_photo_is_a_tombstone_that_keeps_only_what_suppression_and_receipts_need(
    request_in_two_datasets: RemovalRequest,
    run_tasks: RunTasks,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    request = request_in_two_datasets
    photo = request.photos.filter(dataset__slug="ffhq").first()
    assert photo is not None
    approve(request, django_capture_on_commit_callbacks)
    run_all(run_tasks, django_capture_on_commit_callbacks)

    photo.refresh_from_db()
    assert photo.state == Photo.State.REMOVED
    assert photo.removed_by == request
    assert photo.removed_at is not None
    assert (photo.title, photo.owner_name, photo.page_url, photo.image_url) == ("", "", "", "")
    assert (photo.server, photo.secret, photo.farm, photo.extra, photo.file_keys) == (
        "",
        "",
        None,
        {},
        [],
    )
    # No NSID on the tombstone: its suppression keeps the keyed hash, which is
    # what the owner's look-up counts "removed" by.
    assert photo.owner_nsid == ""
    assert Suppression.objects.filter(
        kind="photo",
        dataset=photo.dataset,
        flickr_id=photo.flickr_id,
        owner_key=owner_key(request.owner_nsid),
    ).exists()
    # No future-release wish: the owner's other photos may appear in later releases.
    assert not Suppression.objects.filter(kind="owner").exists()


def test_an_owner_who_asked_for_future_releases_is_suppressed_everywhere(
    run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    photo = photo_with_files(owner_nsid="33333333@N03")
    request = RemovalRequestFactory(owner_nsid="33333333@N03", future_releases=True, photos=[photo])
    approve(request, django_capture_on_commit_callbacks)
    run_all(run_tasks, django_capture_on_commit_callbacks)
    assert list(Suppression.objects.filter(kind="owner").values_list("owner_key", "dataset")) == [
        (owner_key("33333333@N03"), None)
    ]
    # Nowhere in the suppression list, nor on the tombstone, in clear.
    assert not Suppression.objects.filter(owner_key__contains="33333333").exists()
    assert not Photo.objects.filter(owner_nsid="33333333@N03").exists()


def test_reimporting_the_original_manifest_brings_no_removed_photo_back(
    tmp_path: Path, run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    rows: list[dict[str, Any]] = [
        {
            "flickr_id": 7_000_000 + n,
            "owner_nsid": "44444444@N04" if n < 3 else "55555555@N05",
            "title": f"Beach {n}",
            "file_keys": [f"faces/{7_000_000 + n}.jpg"],
        }
        for n in range(5)
    ]
    manifest = tmp_path / "faces.jsonl"
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
    dataset_import(slug="faces", path=manifest, release="1")
    for row in rows:
        Path(default_storage.path(row["file_keys"][0])).parent.mkdir(exist_ok=True)
        Path(default_storage.path(row["file_keys"][0])).write_bytes(b"face")
    owned = list(Photo.objects.filter(owner_nsid="44444444@N04"))
    request = RemovalRequestFactory(owner_nsid="44444444@N04", photos=owned)
    approve(request, django_capture_on_commit_callbacks)
    run_all(run_tasks, django_capture_on_commit_callbacks)

    summary = dataset_import(slug="faces", path=manifest, release="1", force=True)

    assert summary.skipped_removed == 3
    assert "skipped: previously removed or suppressed" in "\n".join(summary.lines())
    assert summary.photo_count == 2
    states = dict(Photo.objects.values_list("flickr_id", "state"))
    assert [states[7_000_000 + n] for n in range(5)] == ["removed"] * 3 + ["present"] * 2
    assert Photo.objects.get(flickr_id=7_000_000).title == ""


def test_running_a_finished_job_again_deletes_nothing_twice(
    request_in_two_datasets: RemovalRequest,
    run_tasks: RunTasks,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    request = request_in_two_datasets
    approve(request, django_capture_on_commit_callbacks)
    run_all(run_tasks, django_capture_on_commit_callbacks)
    before = deletions(default_storage)
    events = request.events.count()

    for job in request.deletion_jobs.all():
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.deletion_run.apply(args=(job.pk,)).get() == "already done"

    assert deletions(default_storage) == before
    assert request.events.count() == events


def test_a_job_a_live_worker_holds_is_not_taken_by_a_second_one(
    request_in_two_datasets: RemovalRequest, django_capture_on_commit_callbacks: Callable
) -> None:
    approve(request_in_two_datasets, django_capture_on_commit_callbacks)
    job = request_in_two_datasets.deletion_jobs.get(dataset__slug="dif")
    DeletionJob.objects.filter(pk=job.pk).update(
        status=J.RUNNING, claim="the-first-worker", heartbeat_at=timezone.now()
    )
    assert deletion.job_run(job_id=job.pk) == "another worker has it"
    assert deletions(default_storage) == []


def test_a_job_whose_worker_stopped_beating_is_taken_over_and_finished(
    request_in_two_datasets: RemovalRequest,
    settings: Settings,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    approve(request_in_two_datasets, django_capture_on_commit_callbacks)
    job = request_in_two_datasets.deletion_jobs.get(dataset__slug="dif")
    stopped = timezone.now() - timedelta(seconds=settings.DELETION_STALE_AFTER_SECONDS + 1)
    DeletionJob.objects.filter(pk=job.pk).update(
        status=J.RUNNING, claim="a-killed-worker", heartbeat_at=stopped, attempts=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert deletion.job_run(job_id=job.pk) == "done; other datasets to go"
    job.refresh_from_db()
    assert (job.status, job.done, job.attempts) == (J.DONE, 7, 2)


def test_a_worker_that_lost_its_claim_stops_before_its_next_batch(
    request_in_two_datasets: RemovalRequest, django_capture_on_commit_callbacks: Callable
) -> None:
    approve(request_in_two_datasets, django_capture_on_commit_callbacks)
    job = request_in_two_datasets.deletion_jobs.get(dataset__slug="dif")
    with pytest.raises(deletion.ClaimLost):
        runner._batch(job, "not-my-claim", request_in_two_datasets, default_storage, 3)
    assert deletions(default_storage) == []


def test_a_job_whose_request_was_cancelled_before_it_started_deletes_nothing(
    request_in_two_datasets: RemovalRequest,
    run_tasks: RunTasks,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    request = request_in_two_datasets
    approve(request, django_capture_on_commit_callbacks)
    filing.request_cancel(removal=request)
    run_all(run_tasks, django_capture_on_commit_callbacks)

    assert deletions(default_storage) == []
    assert set(request.deletion_jobs.values_list("status", flat=True)) == {J.CANCELLED}
    assert set(request.photos.values_list("state", flat=True)) == {Photo.State.PRESENT}
    request.refresh_from_db()
    assert request.status == S.CANCELLED


def test_a_storage_error_is_retried_and_the_job_still_completes(
    request_in_two_datasets: RemovalRequest,
    run_tasks: RunTasks,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    request = request_in_two_datasets
    keys = keys_of(request)
    third = request.photos.filter(dataset__slug="dif").order_by("pk")[2]
    Path(default_storage.path(third.file_keys[0]) + ".fail-once").touch()
    approve(request, django_capture_on_commit_callbacks)
    ran = run_all(run_tasks, django_capture_on_commit_callbacks)

    request.refresh_from_db()
    assert request.status == S.COMPLETED
    assert ran.count("optout.tasks.deletion_run") == 3  # two jobs, one retry
    assert Counter(deletions(default_storage)) == Counter(keys)
    job = request.deletion_jobs.get(dataset__slug="dif")
    assert job.attempts == 2
    assert job.last_error == ""


def test_the_sweeper_waits_out_a_retrys_backoff_before_it_sends_the_job_again(
    request_in_two_datasets: RemovalRequest,
    run_tasks: RunTasks,
    settings: Settings,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    # A backoff longer than the sweeper's requeue delay: the sweeper used to send
    # the job again after 5 minutes, whatever the backoff said.
    settings.DELETION_RETRY_BACKOFF_SECONDS = 1800
    settings.DELETION_REQUEUE_AFTER_SECONDS = 300
    request = request_in_two_datasets
    approve(request, django_capture_on_commit_callbacks)
    purge()  # the messages sent at approval are left aside: this is about one job
    job = request.deletion_jobs.get(dataset__slug="dif")
    request.deletion_jobs.filter(pk=job.pk).update(status=J.RUNNING, attempts=1)

    # What the task does after a transient error: release, then send with a countdown
    # (a message this test loses).
    released = deletion.job_release(job_id=job.pk, error=OSError("storage unavailable"))

    job.refresh_from_db()
    assert (job.status, released.attempts) == (J.QUEUED, 1)
    assert 1800 * 0.8 <= released.retry_in <= 1800 * 1.2
    due_in = job.queued_at - timezone.now()
    assert timedelta(seconds=1800 * 0.8 - 5) < due_in <= timedelta(seconds=1800 * 1.2)
    assert deletion.jobs_sweep() == 0

    ten_minutes_later = job.queued_at - timedelta(minutes=10)
    request.deletion_jobs.filter(pk=job.pk).update(queued_at=ten_minutes_later)
    assert deletion.jobs_sweep() == 0  # still backing off

    # Due, and the sweeper's delay passed: it sends it (and ffhq's, lost at approval).
    past_due = timezone.now() - timedelta(seconds=301)
    request.deletion_jobs.update(queued_at=past_due)
    assert deletion.jobs_sweep() == 2
    run_all(run_tasks, django_capture_on_commit_callbacks)
    request.refresh_from_db()
    assert request.status == S.COMPLETED


def test_after_the_last_retry_the_request_fails_with_the_error_kept_and_one_email(
    request_in_two_datasets: RemovalRequest,
    run_tasks: RunTasks,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    request = request_in_two_datasets
    key = request.photos.filter(dataset__slug="ffhq").order_by("pk")[0].file_keys[0]
    Path(default_storage.path(key) + ".broken").touch()
    approve(request, django_capture_on_commit_callbacks)
    ran = run_all(run_tasks, django_capture_on_commit_callbacks)

    request.refresh_from_db()
    assert request.status == S.FAILED
    assert ran.count("optout.tasks.deletion_run") == 3  # dif once, ffhq twice (max attempts)
    job = request.deletion_jobs.get(dataset__slug="ffhq")
    assert (job.status, job.attempts) == (J.FAILED, 2)
    assert job.last_error == f"OSError: storage unavailable for {key} (a test fault)"
    assert request.deletion_jobs.get(dataset__slug="dif").status == J.DONE
    public = request.events.filter(to_status=S.FAILED).values_list("why", flat=True)
    assert list(public) == [deletion.FAILED_WHY]  # the error itself is for the maintainers

    # Retried while the storage is still broken: it fails again, the news went out once.
    with django_capture_on_commit_callbacks(execute=True):
        review.request_retry(removal=request, actor="maintainer:mo")
    run_all(run_tasks, django_capture_on_commit_callbacks)
    request.refresh_from_db()
    assert request.status == S.FAILED
    assert len([m for m in mail.outbox if tags(m) == ["failed"]]) == 1
    assert EmailLog.objects.filter(kind="failed", request=request).count() == 1


def test_a_maintainer_retries_a_failed_request_and_only_the_failed_job_runs_again(
    request_in_two_datasets: RemovalRequest,
    run_tasks: RunTasks,
    settings: Settings,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    settings.DELETION_MAX_ATTEMPTS = 1
    request = request_in_two_datasets
    ffhq_keys = [k for p in request.photos.filter(dataset__slug="ffhq") for k in p.file_keys]
    Path(default_storage.path(ffhq_keys[0]) + ".fail-once").touch()
    approve(request, django_capture_on_commit_callbacks)
    # The other dataset's job finishes first (the broker's order is not guaranteed).
    with django_capture_on_commit_callbacks(execute=True):
        deletion.job_run(job_id=request.deletion_jobs.get(dataset__slug="dif").pk)
    run_all(run_tasks, django_capture_on_commit_callbacks)
    request.refresh_from_db()
    assert request.status == S.FAILED
    dif_done_at = request.deletion_jobs.get(dataset__slug="dif").finished_at

    with django_capture_on_commit_callbacks(execute=True):
        review.request_retry(removal=request, actor="maintainer:mo")
    job = request.deletion_jobs.get(dataset__slug="ffhq")
    assert (job.status, job.attempts) == (J.QUEUED, 0)
    assert job.last_error.startswith("OSError")  # kept until it succeeds
    ran = run_all(run_tasks, django_capture_on_commit_callbacks)

    request.refresh_from_db()
    assert request.status == S.COMPLETED
    assert ran.count("optout.tasks.deletion_run") == 1
    assert request.deletion_jobs.get(dataset__slug="dif").finished_at == dif_done_at
    every_key = [
        k
        for p in request.photos.all()
        for k in [
            f"{p.dataset.slug}/{p.flickr_id}.jpg",
            f"{p.dataset.slug}/crops/{p.flickr_id}.png",
        ]
    ]
    assert Counter(deletions(default_storage)) == Counter(every_key)
    moves = list(request.events.values_list("actor", "from_status", "to_status"))
    assert ("maintainer:mo", S.FAILED, S.APPROVED) in moves


def test_retrying_a_request_that_has_not_failed_is_refused(
    request_in_two_datasets: RemovalRequest, django_capture_on_commit_callbacks: Callable
) -> None:
    approve(request_in_two_datasets, django_capture_on_commit_callbacks)
    with pytest.raises(workflow.TransitionRefused) as refused:
        review.request_retry(removal=request_in_two_datasets, actor="maintainer:mo")
    assert refused.value.message == "Only a failed request can be retried; this one is approved."


def test_a_file_still_there_after_deletion_fails_verification_not_completes(
    request_in_two_datasets: RemovalRequest,
    run_tasks: RunTasks,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    request = request_in_two_datasets
    key = keys_of(request)[0]
    Path(default_storage.path(key) + ".stuck").touch()
    approve(request, django_capture_on_commit_callbacks)
    run_all(run_tasks, django_capture_on_commit_callbacks)

    request.refresh_from_db()
    assert request.status == S.FAILED
    failed = request.deletion_jobs.get(status=J.FAILED)
    assert failed.last_error == (
        f"VerificationFailed: 1 files still exist after deletion, e.g. {key!r}"
    )
    assert not [m for m in mail.outbox if tags(m) == ["completed"]]


def test_a_broker_that_is_down_at_approval_delays_the_job_but_the_approval_stands(
    request_in_two_datasets: RemovalRequest,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    def broker_down(*args: object, **kwargs: object) -> None:
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    approve(request_in_two_datasets, django_capture_on_commit_callbacks)

    request_in_two_datasets.refresh_from_db()
    assert request_in_two_datasets.status == S.APPROVED
    assert set(request_in_two_datasets.deletion_jobs.values_list("status", flat=True)) == {J.QUEUED}
    assert "not sent, its sweeper will resend it" in caplog.text


def test_the_sweeper_resends_jobs_left_queued_or_with_a_stopped_heartbeat_only(
    request_in_two_datasets: RemovalRequest,
    run_tasks: RunTasks,
    settings: Settings,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    approve(request_in_two_datasets, django_capture_on_commit_callbacks)
    purge()  # the messages sent at approval are lost
    long_ago = timezone.now() - timedelta(hours=1)
    jobs = request_in_two_datasets.deletion_jobs
    assert deletion.jobs_sweep() == 0  # queued a moment ago: give the broker time

    jobs.filter(dataset__slug="dif").update(queued_at=long_ago)
    jobs.filter(dataset__slug="ffhq").update(
        status=J.RUNNING, heartbeat_at=timezone.now(), queued_at=long_ago
    )
    assert deletion.jobs_sweep() == 1
    assert run_tasks() == ["optout.tasks.deletion_run"]

    jobs.filter(dataset__slug="ffhq").update(heartbeat_at=long_ago)
    assert tasks.deletion_sweep.apply().get() == 1


def test_the_status_page_shows_deletion_progress(
    client: Client, request_in_two_datasets: RemovalRequest
) -> None:
    request = request_in_two_datasets
    review.request_approve(removal=request, actor="system")
    workflow.request_move(removal=request, to=S.DELETING, actor="system")
    request.deletion_jobs.filter(dataset__slug="dif").update(status=J.RUNNING, done=4)
    Photo.objects.filter(pk__in=list(request.photos.values_list("pk", flat=True)[:4])).update(
        state=Photo.State.REMOVED
    )
    token = secret_links.link_mint(removal=request, purpose=RequestLink.Purpose.STATUS)
    page = client.get(reverse("request_status", args=[token])).content.decode()
    assert "Deleting 4/9" in " ".join(page.split())
    assert "Diversity in Faces: 4 of 7 removed" in page
    assert "FFHQ: waiting" in page


def test_every_move_of_the_pipeline_is_on_the_timeline(
    request_in_two_datasets: RemovalRequest,
    run_tasks: RunTasks,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    request = request_in_two_datasets
    approve(request, django_capture_on_commit_callbacks)
    run_all(run_tasks, django_capture_on_commit_callbacks)
    moves = list(
        RequestEvent.objects.filter(request=request, kind="status").values_list(
            "actor", "from_status", "to_status"
        )
    )
    assert moves == [
        ("maintainer:mo", S.VERIFIED, S.APPROVED),
        ("system", S.APPROVED, S.DELETING),
        ("system", S.DELETING, S.COMPLETED),
    ]


def test_the_demo_has_files_to_delete_and_a_demo_request_completes_with_a_receipt(
    run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    demo.demo_load()
    owner, per_dataset = next((o, n) for o, n in demo.owners_to_try() if "ffhq" in n)
    photos = list(Photo.objects.filter(owner_nsid=owner.nsid))
    keys = [key for photo in photos for key in photo.file_keys]
    assert keys and all(default_storage.exists(key) for key in keys)

    with django_capture_on_commit_callbacks(execute=True):
        filed = filing.request_create(
            identity=filing.Identity(nsid=owner.nsid, username=owner.username),
            email="demo@example.org",
            photo_ids=None,
            future_releases=False,
        )
    run_all(run_tasks, django_capture_on_commit_callbacks)

    filed.removal.refresh_from_db()
    assert filed.removal.status == S.COMPLETED
    assert not any(default_storage.exists(key) for key in keys)
    assert Counter(deletions(default_storage)) == Counter(set(keys))
    assert Photo.objects.filter(pk__in=[p.pk for p in photos], state="removed").count() == sum(
        per_dataset.values()
    )
    removed = Suppression.objects.filter(kind="photo", owner_key=owner_key(owner.nsid))
    assert removed.count() == sum(per_dataset.values())


def test_a_job_whose_worker_stopped_on_every_attempt_fails_instead_of_looping(
    request_in_two_datasets: RemovalRequest,
    settings: Settings,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    request = request_in_two_datasets
    approve(request, django_capture_on_commit_callbacks)
    workflow.request_move(removal=request, to=S.DELETING, actor="system")
    job = request.deletion_jobs.get(dataset__slug="dif")
    stopped = timezone.now() - timedelta(seconds=settings.DELETION_STALE_AFTER_SECONDS + 1)
    DeletionJob.objects.filter(pk=job.pk).update(
        status=J.RUNNING, heartbeat_at=stopped, attempts=settings.DELETION_MAX_ATTEMPTS
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert deletion.job_run(job_id=job.pk) == f"failed: {deletion.STOPPED_ERROR}"
    job.refresh_from_db()
    request.refresh_from_db()
    assert (job.status, request.status) == (J.FAILED, S.FAILED)
    assert deletions(default_storage) == []
