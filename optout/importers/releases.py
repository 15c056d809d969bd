"""Which release an import is: the dataset's numbered list of imported releases.

A release label is newer when the dataset has not imported it yet. The list is
the order: labels are the maintainers' own ("1.0", "v2", "2019-06"), and no rule
could sort them all, so an import of a label already in the list (the current
release, or one imported before it) is refused unless forced. A forced import
becomes a new entry with the same label, the newest.
"""

from dataclasses import dataclass

from optout.importers.sources import ImportProblem
from optout.models import Dataset, DatasetRelease


class ReleaseNotNewer(ImportProblem):
    """The file is a release the dataset already imported."""


@dataclass(frozen=True)
class Opened:
    seq: int  # the release the import's rows are in
    previous_seq: int  # the current release before this import (0: none)


def release_check(*, label: str, complete: bool) -> None:
    """What can be refused before the file is read."""
    if complete and not label:
        raise ImportProblem(
            "--complete needs --release: name the release the file is the whole of, "
            "e.g. --release 2.0 --complete."
        )


def release_open(*, dataset: Dataset, label: str, complete: bool, force: bool) -> Opened:
    """The release an import into `dataset` (saved, held locked) writes, listed if new.

    No label adds to the current release (the first one, unlabelled, for a new
    dataset). A label starts a new release, unless the dataset already imported
    it: then ReleaseNotNewer, unless `force`.
    """
    releases = list(DatasetRelease.objects.filter(dataset=dataset).order_by("seq"))
    if not releases and dataset.photos.exists():
        # Photos from before releases were listed, or put in by hand: they are release 1.
        releases = [
            DatasetRelease.objects.create(
                dataset=dataset, seq=1, label=dataset.release, imported_at=dataset.updated_at
            )
        ]
    current = releases[-1] if releases else None
    if not label and current is not None:
        return Opened(seq=current.seq, previous_seq=current.seq)
    same = [release for release in releases if release.label == label]
    if label and same and not force:
        raise ReleaseNotNewer(_not_newer(dataset, label, same[-1], current))
    seq = current.seq + 1 if current else 1
    DatasetRelease.objects.create(dataset=dataset, seq=seq, label=label, complete=complete)
    return Opened(seq=seq, previous_seq=current.seq if current else 0)


def _not_newer(
    dataset: Dataset, label: str, same: DatasetRelease, current: DatasetRelease | None
) -> str:
    when = same.imported_at.strftime("%Y-%m-%d")
    if same == current:
        return (
            f"Release {label} is already the current release of {dataset.slug} (imported "
            f"{when}), so this file is not a newer one. To import it again, add --force; to "
            "add photos to the current release, leave out --release. Nothing was imported."
        )
    assert current is not None  # `same` is in the list, so the list has a last entry
    return (
        f"Release {label} of {dataset.slug} was imported on {when}, before the current "
        f"release {current.label or f'#{current.seq}'}: this file is not newer. To make it "
        "the current release anyway, add --force. Nothing was imported."
    )
