"""The public removal list of a dataset: every removed photo, streamed in constant memory."""

import hashlib
import json
from collections.abc import Iterable, Iterator

from django.db.models import Count, Max

from optout.infra.csvfile import text_cell
from optout.models import Dataset, Photo

STREAM_CHUNK = 5000
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def removals_rows(dataset: Dataset) -> Iterator[tuple[int, str, str]]:
    """(photo id, removal date, release) of every removed photo, in id order, in constant memory."""
    rows = (
        Photo.objects.filter(dataset=dataset, state=Photo.State.REMOVED)
        .order_by("flickr_id")
        .values_list("flickr_id", "removed_at", "release")
    )
    for flickr_id, removed_at, release in rows.iterator(chunk_size=STREAM_CHUNK):
        day = removed_at.date().isoformat() if removed_at else ""
        yield flickr_id, day, release or dataset.release


def _batches(lines: Iterator[str], size: int = 1000) -> Iterator[str]:
    """Lines joined into blocks: one write per block, not per row, on the socket."""
    block: list[str] = []
    for line in lines:
        block.append(line)
        if len(block) >= size:
            yield "".join(block)
            block = []
    if block:
        yield "".join(block)


def removals_csv(dataset: Dataset) -> Iterator[str]:
    # Ids and ISO dates need no CSV quoting or defusing; a release (text) does, once
    # per distinct value: a list has millions of rows and a handful of releases.
    def lines() -> Iterator[str]:
        yield "photo_id,removed_on,release\r\n"
        releases: dict[str, str] = {}
        for flickr_id, day, release in removals_rows(dataset):
            field = releases.get(release) or releases.setdefault(release, text_cell(release))
            yield f"{flickr_id},{day},{field}\r\n"

    return _batches(lines())


def removals_json(dataset: Dataset) -> Iterator[str]:
    def lines() -> Iterator[str]:
        head = {"dataset": dataset.slug, "name": dataset.name, "release": dataset.release}
        yield json.dumps(head)[:-1] + ', "removals": ['
        separator = ""
        releases: dict[str, str] = {}
        for flickr_id, day, release in removals_rows(dataset):
            quoted = releases.get(release) or releases.setdefault(release, json.dumps(release))
            yield (
                f'{separator}{{"photo_id": {flickr_id}, "removed_on": "{day}", '
                f'"release": {quoted}}}'
            )
            separator = ","
        yield "]}\n"

    return _batches(lines())


def removals_stream(dataset: Dataset, fmt: str) -> Iterable[str]:
    return removals_csv(dataset) if fmt == "csv" else removals_json(dataset)


def removals_version(dataset: Dataset, fmt: str) -> str:
    """A fingerprint that changes whenever the list does (the ETag of its URL)."""
    # Removing a photo sets removed_at and the row's updated_at; a re-import
    # touches updated_at too. Count + latest stamps move whenever the list does.
    figures = Photo.objects.filter(dataset=dataset, state=Photo.State.REMOVED).aggregate(
        n=Count("pk"), last_removed=Max("removed_at"), last_touched=Max("updated_at")
    )
    basis = f"{dataset.slug}:{fmt}:{dataset.release}:{figures['n']}:{figures['last_removed']}:"
    basis += str(figures["last_touched"])
    return hashlib.sha256(basis.encode()).hexdigest()[:32]
