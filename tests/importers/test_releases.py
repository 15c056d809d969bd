"""Releases: `import_dataset SLUG FILE --release R [--complete] [--force]`, as a
maintainer runs it release after release. SQLite and PostgreSQL alike."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from optout.importers import ImportProblem, ImportSummary, dataset_import
from optout.importers.releases import ReleaseNotNewer
from optout.models import Dataset, DatasetRelease, Photo
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.manifests import yfcc_file, yfcc_row

pytestmark = pytest.mark.django_db


def release(tmp_path: Path, label: str, ids: list[int], **options: bool) -> ImportSummary:
    """Import photos `ids` (with their usual titles) as release `label` of "dif"."""
    path = yfcc_file(tmp_path / f"dif-{label}.tsv", [yfcc_row(n) for n in ids])
    return dataset_import(slug="dif", path=path, release=label, **options)


def in_releases() -> dict[int, tuple[int, int | None]]:
    """Photo id → (first_seq, last_seq) of the present photos."""
    photos = Photo.objects.filter(state=Photo.State.PRESENT)
    return {p.flickr_id: (p.first_seq, p.last_seq) for p in photos}


def releases() -> list[tuple[int, str, bool]]:
    rows = DatasetRelease.objects.filter(dataset__slug="dif")
    return list(rows.values_list("seq", "label", "complete"))


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_dataset", *args, stdout=out)
    return out.getvalue()


def test_a_complete_release_keeps_the_photos_it_leaves_out_as_in_earlier_releases(
    tmp_path: Path,
) -> None:
    release(tmp_path, "1.0", [1, 2, 3, 4])
    path = yfcc_file(
        tmp_path / "dif-2.0.tsv", [yfcc_row(2), yfcc_row(3, title="Renamed"), yfcc_row(5)]
    )

    summary = dataset_import(slug="dif", path=path, release="2.0", complete=True)

    assert (summary.imported, summary.updated, summary.unchanged) == (1, 1, 1)
    assert (summary.dropped, summary.photo_count, summary.earlier) == (2, 3, 2)
    # Still in the registry (and removable), but only releases up to 1 listed them.
    assert in_releases() == {1: (1, 1), 2: (1, None), 3: (1, None), 4: (1, 1), 5: (2, None)}
    assert releases() == [(1, "1.0", False), (2, "2.0", True)]
    dataset = Dataset.objects.get(slug="dif")
    assert (dataset.release, dataset.photo_count) == ("2.0", 3)
    assert Photo.objects.get(flickr_id=3).title == "Renamed"


def test_without_complete_a_release_only_adds_and_updates(tmp_path: Path) -> None:
    release(tmp_path, "1.0", [1, 2, 3])

    summary = release(tmp_path, "2.0", [3, 4])

    assert (summary.imported, summary.dropped, summary.photo_count) == (1, 0, 4)
    assert in_releases() == {1: (1, None), 2: (1, None), 3: (1, None), 4: (2, None)}
    assert releases() == [(1, "1.0", False), (2, "2.0", False)]


def test_a_photo_a_later_release_lists_again_is_back_in_the_current_release(
    tmp_path: Path,
) -> None:
    release(tmp_path, "1.0", [1, 2])
    release(tmp_path, "2.0", [2], complete=True)

    summary = release(tmp_path, "3.0", [1, 2], complete=True)

    assert (summary.updated, summary.unchanged, summary.dropped) == (1, 1, 0)
    assert in_releases() == {1: (1, None), 2: (1, None)}
    assert (summary.photo_count, summary.earlier) == (2, 0)


@pytest.mark.parametrize("complete", [False, True])
def test_the_current_release_again_is_refused_and_nothing_changes(
    tmp_path: Path, complete: bool
) -> None:
    release(tmp_path, "1.0", [1, 2])

    with pytest.raises(ReleaseNotNewer) as refused:
        release(tmp_path, "1.0", [2, 3], complete=complete)

    assert str(refused.value).startswith(
        "Release 1.0 is already the current release of dif (imported "
    )
    assert "To import it again, add --force" in str(refused.value)
    assert in_releases() == {1: (1, None), 2: (1, None)}
    assert releases() == [(1, "1.0", False)]


def test_a_release_imported_before_the_current_one_is_refused(tmp_path: Path) -> None:
    release(tmp_path, "1.0", [1, 2])
    release(tmp_path, "2.0", [2, 3], complete=True)

    with pytest.raises(ReleaseNotNewer, match=r"before the current release 2\.0: this file is not"):
        release(tmp_path, "1.0", [1, 2], complete=True)

    assert Dataset.objects.get(slug="dif").release == "2.0"
    assert in_releases() == {1: (1, 1), 2: (1, None), 3: (2, None)}


def test_force_imports_an_old_release_again_as_the_newest(tmp_path: Path) -> None:
    release(tmp_path, "1.0", [1, 2])
    release(tmp_path, "2.0", [2, 3], complete=True)

    summary = release(tmp_path, "1.0", [1, 2], complete=True, force=True)

    assert (summary.updated, summary.dropped) == (1, 1)
    assert releases() == [(1, "1.0", False), (2, "2.0", True), (3, "1.0", True)]
    assert Dataset.objects.get(slug="dif").release == "1.0"
    assert in_releases() == {1: (1, None), 2: (1, None), 3: (2, 2)}


def test_complete_without_a_release_is_refused_before_the_file_is_read(tmp_path: Path) -> None:
    with pytest.raises(ImportProblem, match="--complete needs --release"):
        dataset_import(slug="dif", path=tmp_path / "not-even-there.tsv", complete=True)

    assert not Dataset.objects.exists()


def test_a_complete_release_that_lists_no_photo_is_refused(tmp_path: Path) -> None:
    release(tmp_path, "1.0", [1, 2])
    path = yfcc_file(tmp_path / "dif-2.0.tsv", [yfcc_row("not a number"), yfcc_row(3, marker=1)])

    with pytest.raises(ImportProblem, match=r"lists no photo: as the whole of release 2\.0"):
        dataset_import(slug="dif", path=path, release="2.0", complete=True)

    assert in_releases() == {1: (1, None), 2: (1, None)}
    assert releases() == [(1, "1.0", False)]


def test_no_release_adds_to_the_current_one(tmp_path: Path) -> None:
    release(tmp_path, "1.0", [1])

    path = yfcc_file(tmp_path / "more.tsv", [yfcc_row(2)])
    summary = dataset_import(slug="dif", path=path)

    assert (summary.release, summary.imported) == ("1.0", 1)
    assert releases() == [(1, "1.0", False)]
    assert in_releases() == {1: (1, None), 2: (1, None)}


def test_a_complete_release_leaves_removed_photos_removed(tmp_path: Path) -> None:
    release(tmp_path, "1.0", [1, 2, 3])
    Photo.objects.filter(flickr_id__in=[1, 2]).update(state=Photo.State.REMOVED, title="")

    summary = release(tmp_path, "2.0", [2, 3], complete=True)

    # Photo 1, not listed: a tombstone still, not a photo "in earlier releases".
    # Photo 2, listed: skipped, as on any import.
    assert (summary.skipped_removed, summary.dropped, summary.earlier) == (1, 0, 0)
    states = dict(Photo.objects.values_list("flickr_id", "state"))
    assert states == {1: "removed", 2: "removed", 3: "present"}
    assert Photo.objects.get(flickr_id=2).title == ""


def test_photos_from_before_releases_were_listed_are_in_release_one(tmp_path: Path) -> None:
    dataset = DatasetFactory(slug="dif", release="2019")
    PhotoFactory(dataset=dataset, flickr_id=1)
    PhotoFactory(dataset=dataset, flickr_id=2)

    summary = release(tmp_path, "2020", [2, 3], complete=True)

    assert releases() == [(1, "2019", False), (2, "2020", True)]
    assert in_releases() == {1: (1, 1), 2: (1, None), 3: (2, None)}
    assert (summary.imported, summary.dropped, summary.photo_count) == (1, 1, 2)


def test_the_command_says_what_left_the_release(tmp_path: Path) -> None:
    run("dif", str(yfcc_file(tmp_path / "v1.tsv", [yfcc_row(n) for n in (1, 2, 3)])))

    output = run(
        "dif",
        str(yfcc_file(tmp_path / "v2.tsv", [yfcc_row(3)])),
        *("--release", "2.0", "--complete"),
    )

    assert output.startswith("Imported dif (release 2.0)")
    lines = [" ".join(line.split()) for line in output.splitlines()]
    assert "not in this release: now in earlier ones only 2" in lines
    assert "dif now has 1 photos present." in lines
    assert "2 more are in earlier releases only (still removable)." in lines


def test_the_command_refuses_an_old_release_and_takes_force(tmp_path: Path) -> None:
    path = str(yfcc_file(tmp_path / "v1.tsv", [yfcc_row(1)]))
    run("dif", path, "--release", "1.0")

    with pytest.raises(CommandError, match=r"Release 1\.0 is already the current release of dif"):
        run("dif", path, "--release", "1.0")

    assert "Imported dif (release 1.0)" in run("dif", path, "--release", "1.0", "--force")
    assert releases() == [(1, "1.0", False), (2, "1.0", False)]
