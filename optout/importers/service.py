"""dataset_import: the one use-case behind `import_dataset` and `load_demo`."""

import lzma
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import ijson
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from optout import queue
from optout.importers import batches, partitions
from optout.importers.batches import Batch
from optout.importers.loader import load
from optout.importers.releases import release_check, release_open
from optout.importers.rows import Reject
from optout.importers.sources import ImportProblem, ManifestError, open_binary, sniff
from optout.infra.csvfile import csv_line
from optout.models import Dataset

type Progress = Callable[[int, int], None]

SOURCES = {"yfcc100m": "YFCC100M (Flickr)", "ffhq": "Flickr (FFHQ)"}
FORMAT_NAMES = {
    "yfcc100m": "YFCC100M",
    "csv": "CSV",
    "jsonl": "JSON lines",
    "ffhq": "FFHQ JSON",
    "parquet": "Parquet",
}


@dataclass
class ImportSummary:
    dataset: str
    created: bool
    path: Path
    fmt: str
    compression: str = ""
    release: str = ""
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    complete: bool = False
    dropped: int = 0  # listed before, not by this complete release: in earlier releases only
    earlier: int = 0  # present photos in earlier releases only, after the import
    skipped_videos: int = 0
    skipped_removed: int = 0
    duplicates: int = 0
    rejected: int = 0
    links_dropped: int = 0
    not_flickr: int = 0  # a dataset of links: rows whose link is not to a Flickr photo
    with_files: int = 0  # rows with stored files: their pictures are hashed after the import
    photo_count: int = 0
    rejects_path: Path | None = None
    seconds: float = 0.0
    yfcc_columns: int = 0
    # Where the time went: reading and staging (together), merging, committing.
    phases: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def lines(self) -> list[str]:
        layout = f", {self.yfcc_columns} columns" if self.yfcc_columns else ""
        packed = f", {self.compression}" if self.compression else ""
        release = f" (release {self.release})" if self.release else ""
        verb = "Created and imported" if self.created else "Imported"
        counts = [
            ("rows read", self.rows_read),
            ("imported (new)", self.imported),
            ("updated", self.updated),
            ("unchanged", self.unchanged),
            ("skipped: videos", self.skipped_videos),
            ("skipped: previously removed or suppressed", self.skipped_removed),
            ("duplicates folded into an earlier row", self.duplicates),
            ("rejected", self.rejected),
            ("links dropped: not http(s)", self.links_dropped),
        ]
        if self.not_flickr or self.fmt == "parquet":
            counts.insert(5, ("skipped: not Flickr", self.not_flickr))
        if self.complete:
            counts.append(("not in this release: now in earlier ones only", self.dropped))
        width = max(len(label) for label, _ in counts)
        lines = [
            f"{verb} {self.dataset}{release} from {self.path} "
            f"({FORMAT_NAMES[self.fmt]}{layout}{packed}) in {self.seconds:.1f} s:"
        ]
        lines += [f"  {label:<{width}}  {count:>12,}" for label, count in counts]
        lines.append(f"{self.dataset} now has {self.photo_count:,} photos present.")
        if self.earlier:
            lines.append(f"{self.earlier:,} more are in earlier releases only (still removable).")
        staging, merging, committing = self.phases
        lines.append(
            f"Time: reading and staging {staging:.1f} s, merging {merging:.1f} s, "
            f"committing {committing:.1f} s."
        )
        if self.with_files:
            lines.append(
                f"{self.with_files:,} rows have stored files: their pictures are hashed in the "
                "background for the look-up by picture (or now: hash_pictures)."
            )
        if self.rejects_path:
            lines.append(f"Rejected rows (line, reason, raw row): {self.rejects_path}")
        return lines


class _RejectsFile:
    """Opened on the first reject only: a clean import leaves no file behind.

    A maintainer opens it in a spreadsheet, and the raw rows are a stranger's text:
    csv_line keeps a formula in them text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: TextIO | None = None

    def write(self, reject: Reject) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115
            self._file.write(csv_line(["line", "reason", "raw"]))
        self._file.write(csv_line([reject.line, reject.reason, reject.raw]))

    @property
    def written(self) -> bool:
        return self._file is not None

    def close(self, *, keep: bool) -> None:
        if self._file is not None:
            self._file.close()
            if not keep:
                self.path.unlink(missing_ok=True)


def default_rejects_path(slug: str) -> Path:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return settings.VAR_DIR / "imports" / f"{slug}-{stamp}.rejects.csv"


def dataset_import(
    *,
    slug: str,
    path: Path | str,
    fmt: str = "auto",
    release: str = "",
    name: str = "",
    description: str = "",
    source: str = "",
    rejects: Path | str | None = None,
    progress: Progress | None = None,
    complete: bool = False,
    force: bool = False,
) -> ImportSummary:
    """Import a manifest into the dataset `slug` (created if new), in one transaction.

    `release` names a new release (see `releases`); `complete`: the file is the whole
    of it, and the dataset's photos it does not list stay, in earlier releases only.
    Raises ManifestError (an ImportProblem) before writing anything when the file
    is no manifest, ReleaseNotNewer when the dataset already imported `release`
    (unless `force`), and rolls everything back when the file turns out unreadable
    later.
    """
    started = time.monotonic()
    if slugify(slug) != slug or not slug:
        raise ImportProblem(f"{slug!r} is not a valid dataset slug (try {slugify(slug)!r}).")
    release_check(label=release, complete=complete)
    path = Path(path)
    sniffed = sniff(path, fmt)
    rejects_file = _RejectsFile(Path(rejects) if rejects else default_rejects_path(slug))
    summary = ImportSummary(
        dataset=slug,
        created=False,
        path=path,
        fmt=sniffed.fmt,
        compression=sniffed.compression,
        yfcc_columns=sniffed.yfcc_columns,
    )
    ok = False
    try:
        with transaction.atomic():
            dataset = Dataset.objects.select_for_update().filter(slug=slug).first()
            if dataset is None:
                summary.created = True
                dataset = Dataset(
                    slug=slug,
                    name=name or slug.replace("-", " ").capitalize(),
                    source=source or SOURCES.get(sniffed.fmt, ""),
                    description=description,
                )
            else:
                dataset.name = name or dataset.name
                dataset.source = source or dataset.source
                dataset.description = description or dataset.description
            dataset.save()
            # Before the label changes: photos from before releases were listed take it.
            opened = release_open(dataset=dataset, label=release, complete=complete, force=force)
            dataset.release = summary.release = release or dataset.release
            dataset.save(update_fields=["release", "updated_at"])
            summary.complete = complete
            size = path.stat().st_size
            # Decided before reading: a new partition's rows carry no line number.
            fresh = partitions.fresh_possible(dataset.pk)
            with _batches(path, sniffed.fmt, size, line=not fresh) as read:
                chunks = _counted(_guarded(read, path), summary, rejects_file, size, progress)
                result = load(
                    dataset_id=dataset.pk,
                    chunks=chunks,
                    release=dataset.release,
                    now=timezone.now(),
                    fresh=fresh,
                    seq=opened.seq,
                    complete=complete,
                    previous_seq=opened.previous_seq,
                )
            if complete and not result.staged:
                # Every row rejected, or a file of videos: as the whole release it would
                # take every photo out of the current one.
                raise ImportProblem(
                    f"{path} lists no photo: as the whole of release {release} it would "
                    f"leave every photo of {slug} out of it. Nothing was imported."
                )
            summary.imported = result.imported
            summary.updated = result.updated
            summary.dropped = result.dropped
            summary.earlier = result.earlier
            summary.duplicates = result.duplicates
            summary.skipped_removed = result.suppressed + result.kept_removed
            summary.unchanged = (
                result.staged
                - result.duplicates
                - summary.skipped_removed
                - result.imported
                - result.updated
            )
            summary.photo_count = dataset.photo_count = result.present
            dataset.save(update_fields=["photo_count", "updated_at"])
            if progress:
                progress(size, size)
            if summary.with_files:
                # Their pictures, for the look-up by picture (optout/pictures/), once
                # committed; the pending mark is the outbox a lost message is swept from.
                Dataset.objects.filter(pk=dataset.pk).update(pictures_pending_since=timezone.now())
                queue.enqueue_on_commit(queue.PICTURES_HASH, dataset.pk)
            commit_started = time.monotonic()
        summary.phases = (
            result.stage_seconds,
            result.merge_seconds,
            time.monotonic() - commit_started,
        )
        ok = True
    finally:
        rejects_file.close(keep=ok)
    summary.rejects_path = rejects_file.path if rejects_file.written else None
    summary.seconds = time.monotonic() - started
    return summary


@contextmanager
def _batches(path: Path, fmt: str, size: int, *, line: bool) -> Iterator[Iterator[Batch]]:
    """The file's COPY batches: read in a child process when the file is big enough
    for two cores to pay (the database stages while the child parses)."""
    if size >= batches.PARALLEL_FROM_BYTES:
        read = batches.parallel(path, fmt, line=line)
        try:
            yield read
        finally:
            read.close()  # stops the child when the import failed half-way
        return
    with open_binary(path) as (stream, raw):
        yield batches.batches(stream, fmt, raw.tell, line=line)


def _counted(
    read: Iterator[Batch],
    summary: ImportSummary,
    rejects: _RejectsFile,
    size: int,
    progress: Progress | None,
) -> Iterator[bytes]:
    """The COPY data, for the loader; counts and records everything else on the way."""
    for batch in read:
        summary.rows_read += batch.read
        summary.skipped_videos += batch.videos
        summary.links_dropped += batch.links_dropped
        summary.not_flickr += batch.not_flickr
        summary.rejected += len(batch.rejects)
        summary.with_files += batch.files
        for reject in batch.rejects:
            rejects.write(reject)
        if progress:
            progress(batch.position, size)
        yield batch.data


def _guarded[T](items: Iterator[T], path: Path) -> Iterator[T]:
    """A file that breaks off half-way (truncated download, damaged archive) stops the
    import with a message instead of a traceback; the transaction undoes the rest."""
    try:
        yield from items
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ijson.JSONError) as exc:
        raise ManifestError(
            f"{path} could not be read to the end ({exc.__class__.__name__}: {exc}). "
            "Nothing was imported."
        ) from exc
