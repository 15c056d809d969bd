"""Parquet manifests, streamed a record batch at a time (pyarrow reads one row group at
a time underneath): memory stays that of a batch, whatever the file's size.

A dataset of links (a url, URL, image_url or link column and no photo id) is sifted in
Arrow first: a row whose link does not even mention Flickr is counted as not Flickr
without a Python object made for it. Of the rest, the common link (a static image in
its usual spelling) is taken apart by one Arrow regex over the batch, and only the
others are read one by one as optout/importers/links.py reads a CSV's (the look-up's
parser). The fast way takes only links that parser reads the same way, so both give
the same rows. A Parquet file that does name photo ids is read as a CSV with the same
columns would be. No database here.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from optout.importers.links import NOT_FLICKR, jsonable, link_row
from optout.importers.readers import _named_row
from optout.importers.rows import BadRow, PhotoRow, Reject
from optout.importers.sources import (
    ID_COLUMNS,
    LINK_COLUMNS,
    ManifestError,
    field_map,
    link_position,
)

# What every Flickr photo link has, whatever its form (staticflickr.com, flickr.com, flic.kr).
FLICKR_MARK: Final = "flic"
# The usual spelling of a static image link, in lower case with nothing around it: a
# strict part of what lookup.parse reads (photo ids of at most 18 digits, so always in
# range; farms of at most 4). RE2 leaves a group that took no part empty.
STATIC_LINK: Final = (
    r"^https?://(?:farm(?P<farm>[0-9]{1,4})\.|c[0-9]{1,4}\.|live\.)?staticflickr\.com/"
    r"(?:(?P<path_farm>[0-9]{1,4})/)?(?P<server>[0-9]{1,16})/"
    r"(?P<id>[1-9][0-9]{0,17})_(?P<secret>[0-9a-zA-Z]{1,32})(?:_(?P<size>[0-9a-zA-Z]{1,4}))?"
    r"\.(?:jpg|jpeg|png|gif)$"
)


@dataclass
class Chunk:
    """One record batch's outcome, which batches.py turns into COPY text."""

    read: int
    photos: list[PhotoRow] = field(default_factory=list)
    not_flickr: int = 0
    rejects: list[Reject] = field(default_factory=list)
    position: int = 0  # bytes of the file as good as read: the share of its rows


def parquet_chunks(stream: BinaryIO, *, rows_per_chunk: int) -> Iterator[Chunk]:
    """The file's rows, `rows_per_chunk` at a time. `stream` is the file itself: Parquet
    keeps its schema at the end, so it is read with seeks, not as a stream."""
    try:
        parquet = pq.ParquetFile(stream)
    except (pa.ArrowException, OSError) as exc:
        raise ManifestError(f"The Parquet file cannot be read: {exc}") from exc
    names = parquet.schema_arrow.names
    fields = field_map(names)
    link_at = link_position(names) if "flickr_id" not in fields else None
    if "flickr_id" not in fields and link_at is None:
        raise ManifestError(
            "The Parquet file has neither a photo id column "
            f"({', '.join(ID_COLUMNS[:3])}, …) nor a link column ({', '.join(LINK_COLUMNS)}). "
            f"Columns found: {', '.join(names[:12])}."
        )
    rows = parquet.metadata.num_rows or 1
    size = os.fstat(stream.fileno()).st_size
    done = 0
    try:
        for record in parquet.iter_batches(batch_size=rows_per_chunk, use_threads=False):
            if link_at is not None:
                chunk = _links(record, names[link_at], first=done + 1)
            else:
                chunk = _named(record, fields, first=done + 1)
            done += record.num_rows
            # Progress in bytes, as the other formats give it.
            chunk.position = size * done // rows
            yield chunk
    except (pa.ArrowException, OSError) as exc:
        raise ManifestError(
            f"The Parquet file could not be read to the end ({exc}). Nothing was imported."
        ) from exc


def _links(record: pa.RecordBatch, link: str, *, first: int) -> Chunk:
    batch = Chunk(read=record.num_rows)
    links = record.column(link)
    if not pa.types.is_string(links.type) and not pa.types.is_large_string(links.type):
        links = links.cast(pa.string())
    candidate = pc.fill_null(pc.match_substring(links, FLICKR_MARK, ignore_case=True), False)
    where = pc.indices_nonzero(candidate)
    batch.not_flickr = record.num_rows - len(where)
    if not len(where):
        return batch
    kept = record.take(where)
    urls = links.take(where)
    parts = pc.extract_regex(urls, STATIC_LINK)
    fast = pc.fill_null(pc.is_valid(parts), False).to_pylist()
    numbers = pc.add(where, first).to_pylist()
    others = [name for name in kept.schema.names if name != link]
    columns = [_values(kept.column(name)) for name in others]
    ids = pc.fill_null(parts.field("id"), "0").to_pylist()
    servers = parts.field("server").to_pylist()
    secrets = parts.field("secret").to_pylist()
    sizes = parts.field("size").to_pylist()
    farms = pc.if_else(
        pc.not_equal(parts.field("farm"), ""), parts.field("farm"), parts.field("path_farm")
    ).to_pylist()
    texts = urls.to_pylist()
    for i, number in enumerate(numbers):
        extra = {
            name: column[i]
            for name, column in zip(others, columns, strict=True)
            if column[i] is not None and column[i] != ""
        }
        if not fast[i]:
            item = link_row(number, texts[i], extra)
            if item is NOT_FLICKR:
                batch.not_flickr += 1
            else:
                assert isinstance(item, PhotoRow)  # link_row gives a row or NOT_FLICKR
                batch.photos.append(item)
            continue
        # An original's name carries its own secret ("_o"), not the one of the sizes.
        secret = "" if sizes[i] in ("o", "O") else secrets[i]
        farm = int(farms[i]) if farms[i] else None
        row = PhotoRow(number, int(ids[i]), "", "", "", "", texts[i], farm, servers[i], secret)
        row.extra = extra
        batch.photos.append(row)
    return batch


def _values(column: pa.Array) -> list[Any]:
    """A column's values as JSON holds them: no NaN or infinity (PostgreSQL's json refuses
    them) and no NUL; cleaned in Arrow where the type allows, value by value elsewhere."""
    kind = column.type
    if pa.types.is_floating(kind):
        column = pc.if_else(pc.is_finite(column), column, pa.scalar(None, kind))
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        column = pc.replace_substring(column, "\x00", "")
    elif not (pa.types.is_integer(kind) or pa.types.is_boolean(kind)):
        return [jsonable(value) for value in column.to_pylist()]
    return column.to_pylist()


def _named(record: pa.RecordBatch, fields: dict[str, int], *, first: int) -> Chunk:
    """Rows with a photo id column, checked one by one as a CSV's are."""
    batch = Chunk(read=record.num_rows)
    names = record.schema.names
    taken = set(fields.values())
    for offset, values in enumerate(record.to_pylist()):
        number = first + offset
        row: dict[str, Any] = {name: jsonable(values[name]) for name in names}
        got = {field: row[names[i]] for field, i in fields.items()}
        extra = {
            name: value
            for i, (name, value) in enumerate(row.items())
            if i not in taken and value not in (None, "")
        }
        try:
            batch.photos.append(_named_row(number, got, extra))
        except BadRow as bad:
            batch.rejects.append(Reject(number, str(bad), str(row)[:2000]))
    return batch
