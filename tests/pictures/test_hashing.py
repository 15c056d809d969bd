"""Hashing the datasets' stored pictures: the command, the task after an import, deletion."""

import io
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image
from pytest_django.fixtures import Settings

from optout import tasks
from optout.importers import dataset_import
from optout.models import Dataset, Photo, PictureHash
from optout.pictures import (
    DatasetUnknown,
    picture_index,
    picture_search,
    pictures_due,
    pictures_hash,
)
from optout.pictures import index as index_module
from optout.pictures.hashing import PICTURES_SWEEP_GRACE
from optout.privacy.retention import privacy_report_build, privacy_report_text
from optout.requests import review
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory
from tests.support.pictures import (
    encoded,
    fresh_index,  # noqa: F401 (a fixture)
    resaved_smaller,
    stored_photo,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_index")]
RunTasks = Callable[[], list[str]]


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> Iterator[Path]:
    """Each test its own MEDIA_ROOT: stored files of one test are not another's."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.DELETION_BATCH_SIZE = 10
    yield tmp_path


def test_hash_pictures_hashes_each_present_photo_with_files_once() -> None:
    dataset = DatasetFactory(slug="faces")
    photos = [stored_photo(dataset, seed) for seed in range(3)]
    PhotoFactory(dataset=dataset)  # no stored files: nothing to hash
    stored_photo(DatasetFactory(slug="other"), 9)  # another dataset's

    out = io.StringIO()
    call_command("hash_pictures", "faces", stdout=out)

    assert out.getvalue().startswith("Hashed 3 of 3 pictures of faces in ")
    rows = PictureHash.objects.order_by("photo_id")
    assert [(row.photo_id, row.dataset_id, row.flickr_id) for row in rows] == [
        (photo.pk, dataset.pk, photo.flickr_id) for photo in photos
    ]
    assert all(len(bytes(row.pdq)) == 32 and row.quality >= 50 for row in rows)

    again = io.StringIO()
    call_command("hash_pictures", "faces", stdout=again)
    assert again.getvalue().startswith("Hashed 0 of 0 pictures of faces")


def test_all_hashes_every_photo_again() -> None:
    dataset = DatasetFactory(slug="faces")
    stored_photo(dataset, 1)
    pictures_hash(slug="faces")
    first = PictureHash.objects.get().hashed_at

    run = pictures_hash(slug="faces", rehash=True)

    assert (run.candidates, run.hashed) == (1, 1)
    assert PictureHash.objects.get().hashed_at > first


def test_the_first_image_file_is_hashed_whatever_comes_before_it() -> None:
    dataset = DatasetFactory(slug="faces")
    photo = stored_photo(dataset, 4)
    image = photo.file_keys[0]
    photo.file_keys = ["faces/landmarks.json", image]
    photo.save(update_fields=["file_keys"])

    assert pictures_hash(slug="faces").hashed == 1


def test_missing_and_unreadable_files_are_counted_and_skipped_and_tried_again() -> None:
    dataset = DatasetFactory(slug="faces")
    stored_photo(dataset, 1)
    missing = PhotoFactory(dataset=dataset, file_keys=["faces/gone.jpg"])
    broken = PhotoFactory(dataset=dataset, file_keys=["faces/broken.jpg"])
    default_storage.save("faces/broken.jpg", ContentFile(b"\xff\xd8\xff not really a jpeg"))

    run = pictures_hash(slug="faces")

    assert (run.hashed, run.missing, run.unreadable) == (1, 1, 1)
    assert run.lines()[1:] == [
        "  Skipped 1: the file is not in the storage.",
        "  Skipped 1: the file could not be read as a picture.",
    ]
    assert not PictureHash.objects.filter(photo__in=[missing, broken]).exists()
    assert pictures_hash(slug="faces").candidates == 2


def test_an_unknown_dataset_is_a_clear_error() -> None:
    with pytest.raises(DatasetUnknown):
        pictures_hash(slug="nope")
    with pytest.raises(CommandError, match="No dataset 'nope'"):
        call_command("hash_pictures", "nope", stdout=io.StringIO())


def test_an_import_with_file_keys_hashes_its_pictures_in_the_background(
    tmp_path: Path, run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    rows = [{"flickr_id": 7_000_000 + n, "file_keys": [f"faces/{n}.png"]} for n in range(3)]
    for n in range(3):
        default_storage.save(f"faces/{n}.png", ContentFile(resaved_smaller(n)))
    manifest = tmp_path / "faces.jsonl"
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))

    with django_capture_on_commit_callbacks(execute=True):
        summary = dataset_import(slug="faces", path=manifest)
    assert summary.with_files == 3
    assert "3 rows have stored files" in "\n".join(summary.lines())
    assert not PictureHash.objects.exists()

    assert run_tasks() == ["optout.tasks.pictures_hash"]
    assert PictureHash.objects.count() == 3


def test_a_lost_hashing_task_is_sent_again_by_the_sweeper_and_then_nothing_is_pending(
    tmp_path: Path, run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    for n in range(2):
        default_storage.save(f"faces/{n}.png", ContentFile(resaved_smaller(n)))
    manifest = tmp_path / "faces.jsonl"
    rows = [{"flickr_id": 7_200_000 + n, "file_keys": [f"faces/{n}.png"]} for n in range(2)]
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))

    # The import commits, but its message is lost (a broker down at that moment).
    with django_capture_on_commit_callbacks(execute=False):
        dataset_import(slug="faces", path=manifest)
    dataset = Dataset.objects.get(slug="faces")
    assert dataset.pictures_pending_since is not None

    assert pictures_due() == []  # within the grace its task may still come
    later = timezone.now() + PICTURES_SWEEP_GRACE + timedelta(seconds=1)
    assert pictures_due(now=later) == [dataset.pk]

    # The beat task, once the grace has passed.
    Dataset.objects.filter(pk=dataset.pk).update(
        pictures_pending_since=timezone.now() - PICTURES_SWEEP_GRACE - timedelta(seconds=1)
    )
    assert tasks.pictures_sweep.apply().get() == 1
    assert run_tasks() == ["optout.tasks.pictures_hash"]
    assert PictureHash.objects.count() == 2
    dataset.refresh_from_db()
    assert (dataset.pictures_pending_since, dataset.pictures_heartbeat_at) == (None, None)
    assert pictures_due(now=later + timedelta(days=1)) == []


def test_a_run_that_beats_its_heart_is_not_sent_twice_and_a_newer_import_stays_pending() -> None:
    dataset = DatasetFactory(slug="faces")
    stored_photo(dataset, 1)
    long_ago = timezone.now() - timedelta(hours=1)
    Dataset.objects.filter(pk=dataset.pk).update(
        pictures_pending_since=long_ago, pictures_heartbeat_at=timezone.now()
    )
    assert pictures_due() == []  # a worker is on it

    newer = timezone.now() + timedelta(minutes=5)  # an import committed during the run
    Dataset.objects.filter(pk=dataset.pk).update(pictures_pending_since=newer)
    pictures_hash(slug="faces")
    dataset.refresh_from_db()
    assert dataset.pictures_pending_since == newer
    assert dataset.pictures_heartbeat_at is None


def test_an_import_without_file_keys_sends_no_task(
    tmp_path: Path, run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    manifest = tmp_path / "plain.jsonl"
    manifest.write_text(json.dumps({"flickr_id": 7_100_000}) + "\n")

    with django_capture_on_commit_callbacks(execute=True):
        dataset_import(slug="plain", path=manifest)

    assert run_tasks() == []


def test_deletion_removes_the_files_but_keeps_the_hash_so_the_picture_says_removed(
    run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    dataset = DatasetFactory(slug="faces", name="Faces")
    photo = stored_photo(dataset, 5, owner_nsid="44444444@N04")
    pictures_hash(slug="faces")
    removal = RemovalRequestFactory(owner_nsid="44444444@N04", photos=[photo])
    with django_capture_on_commit_callbacks(execute=True):
        review.request_approve(removal=removal, actor="maintainer:mo")
    while True:
        with django_capture_on_commit_callbacks(execute=True):
            if not run_tasks():
                break

    photo.refresh_from_db()
    assert (photo.state, photo.file_keys) == (Photo.State.REMOVED, [])
    assert not default_storage.exists(f"faces/{photo.flickr_id}.png")
    assert PictureHash.objects.filter(photo=photo).exists()
    answer = picture_search(data=resaved_smaller(5))
    assert [(d.slug, d.state) for d in answer.datasets] == [("faces", "removed")]
    assert answer.ref == ""


def test_a_removed_photo_is_not_hashed_later() -> None:
    dataset = DatasetFactory(slug="faces")
    photo = stored_photo(dataset, 2)
    Photo.objects.filter(pk=photo.pk).update(state=Photo.State.REMOVED)

    assert pictures_hash(slug="faces").candidates == 0


def test_a_new_hash_reaches_the_index_without_reading_it_all_again() -> None:
    dataset = DatasetFactory(slug="faces")
    stored_photo(dataset, 1)
    pictures_hash(slug="faces")
    assert picture_search(data=resaved_smaller(1)).present_in
    assert (picture_index().loads, picture_index().size) == (1, 1)

    stored_photo(dataset, 2)
    pictures_hash(slug="faces")

    assert picture_search(data=resaved_smaller(2)).present_in
    assert (picture_index().loads, picture_index().size) == (1, 2)
    assert picture_index().nbytes == 2 * 48


def test_a_rehash_reads_the_index_again() -> None:
    dataset = DatasetFactory(slug="faces")
    stored_photo(dataset, 1)
    pictures_hash(slug="faces")
    assert picture_search(data=resaved_smaller(1)).present_in

    pictures_hash(slug="faces", rehash=True)

    assert picture_search(data=resaved_smaller(1)).present_in
    assert picture_index().loads == 2


def test_a_flat_stored_picture_is_kept_but_matches_nothing() -> None:
    dataset = DatasetFactory(slug="faces")
    photo = PhotoFactory(dataset=dataset, file_keys=["faces/flat.png"])
    default_storage.save("faces/flat.png", ContentFile(encoded(Image.new("RGB", (90, 60)), "PNG")))

    run = pictures_hash(slug="faces")

    assert (run.hashed, run.too_flat) == (1, 1)
    assert PictureHash.objects.filter(photo=photo).exists()
    picture_search(data=resaved_smaller(3))
    assert picture_index().size == 0


def test_the_privacy_report_counts_the_hashes_kept_with_tombstones() -> None:
    dataset = DatasetFactory(slug="faces")
    kept = stored_photo(dataset, 1)
    stored_photo(dataset, 2)
    pictures_hash(slug="faces")
    Photo.objects.filter(pk=kept.pk).update(state=Photo.State.REMOVED)

    text = privacy_report_text(privacy_report_build())

    line = next(line for line in text.splitlines() if line.startswith("picture hashes"))
    assert line.split()[5:10] == ["1", "0", "0", "1", "PDQ"]
    assert line.endswith("PDQ hash, kept with the tombstone")


def test_a_hash_committed_out_of_id_order_reaches_the_index_at_the_next_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dataset = DatasetFactory(slug="faces")
    for seed in (1, 2, 3):
        stored_photo(dataset, seed)
    pictures_hash(slug="faces")
    late = PictureHash.objects.order_by("id")[1]
    PictureHash.objects.filter(pk=late.pk).delete()
    assert not picture_search(data=resaved_smaller(2)).present_in
    # Another run's row, with an id below the last one and an older time: the quick
    # check (last id, newest time) cannot see it.
    late.hashed_at = PictureHash.objects.order_by("hashed_at")[0].hashed_at
    late.save(force_insert=True)
    picture_index().invalidate()
    assert not picture_search(data=resaved_smaller(2)).present_in

    monkeypatch.setattr(index_module, "COUNT_EVERY_SECONDS", 0.0)
    picture_index().invalidate()

    assert picture_search(data=resaved_smaller(2)).present_in
    assert picture_index().size == 3
