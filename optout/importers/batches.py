"""A manifest as batches of PostgreSQL COPY text, ready for the staging table.

The readers' `PhotoRow`s are the contract; this module turns them into the
bytes a `COPY … FROM STDIN` takes, a few thousand rows at a time. YFCC100M
files (a million rows and more) take a fast way: most lines are plain ASCII
with nothing to check past a few columns, so a block of them goes to COPY text
at once, in compiled code, without a `PhotoRow` (`columnar`); any other line
goes through `readers.yfcc_item`, the one place the field rules live.

Big files are read in a child process (`parallel`): it does the Python work
on one core while PostgreSQL stages the rows on the other. Its queue is
bounded, so memory stays the same whatever the file size. No database here.
"""

import json
import multiprocessing
import queue as queue_module
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Final, cast

from optout.importers.readers import (
    NOT_FLICKR,
    VIDEO,
    PhotoRow,
    Reject,
    TooLong,
    _Layout,
    _too_long,
    block_lines,
    blocks,
    read,
    yfcc_item,
    yfcc_layout,
)
from optout.importers.rows import WIDTHS
from optout.importers.sources import open_binary

ROWS_PER_BATCH: Final = 5000
# Batches waiting between the reading child and the loader: bounds the memory.
QUEUE_BATCHES: Final = 8
# Smaller files are read in this process: a child costs a Python start-up.
PARALLEL_FROM_BYTES = 16 * 1024 * 1024
NULL: Final = "\\N"
# COPY text format: backslash, tab and line breaks inside a value are escaped.
_ESCAPES: Final = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNESCAPES: Final = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


@dataclass
class Batch:
    data: bytes = b""  # COPY text rows, in the stage's column order
    rows: int = 0  # rows in data
    read: int = 0  # data rows of the file this batch covers (photos, videos, rejects)
    videos: int = 0
    links_dropped: int = 0  # of the rows in data: links that were not http(s)
    rejects: list[Reject] = field(default_factory=list)
    position: int = 0  # bytes of the (compressed) file read so far, for progress
    files: int = 0  # rows with stored files (file_keys), whose pictures are hashed after
    not_flickr: int = 0  # rows of a dataset of links whose link is not to a Flickr photo


def escape(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def copy_line(row: PhotoRow, *, line: bool = True) -> str:
    """A PhotoRow as one COPY text line of the staging table (without its first
    column, the line number, when not `line`: a dataset's new partition).

    Text is cut to the photo table's widths, as the merge does, since a new
    partition takes the rows as they come."""
    keys = _json(row.file_keys) if row.file_keys else "[]"
    extra = _json(row.extra) if row.extra else "{}"
    return (
        (f"{row.line}\t" if line else "")
        + "\t".join(
            (
                str(row.flickr_id),
                escape(row.owner_nsid[: WIDTHS["owner_nsid"]]),
                escape(row.owner_name[: WIDTHS["owner_name"]]),
                escape(row.title[: WIDTHS["title"]]),
                escape(row.page_url[: WIDTHS["page_url"]]),
                escape(row.image_url[: WIDTHS["image_url"]]),
                NULL if row.farm is None else str(row.farm),
                escape(row.server[: WIDTHS["server"]]),
                escape(row.secret[: WIDTHS["secret"]]),
                escape(row.license[: WIDTHS["license"]]),
                escape(keys),
                escape(extra),
            )
        )
        + "\n"
    )


def parse_copy_line(line: str) -> list[str | None]:
    """The values of one COPY text line (SQLite's way into the stage, and tests')."""
    values: list[str | None] = []
    for value in line.rstrip("\n").split("\t"):
        if value == NULL:
            values.append(None)
        elif "\\" in value:
            out, chars = [], iter(value)
            for char in chars:
                out.append(_UNESCAPES[next(chars)] if char == "\\" else char)
            values.append("".join(out))
        else:
            values.append(value)
    return values


def batches(
    stream: BinaryIO, fmt: str, position: Any = None, *, line: bool = True
) -> Iterator[Batch]:
    """The file's rows as COPY batches; `position()` gives the raw file's offset.
    `line`: with the line number as first column (see `copy_line`)."""
    if fmt == "yfcc100m":
        yield from _yfcc_batches(stream, position, line)
        return
    if fmt == "parquet":
        # Here, not at the top, as columnar: Arrow's memory only where a file needs it.
        from optout.importers import parquet  # noqa: PLC0415

        for chunk in parquet.parquet_chunks(stream, rows_per_chunk=ROWS_PER_BATCH):
            batch = Batch(read=chunk.read, not_flickr=chunk.not_flickr, rejects=chunk.rejects)
            for row in chunk.photos:
                batch.files += bool(row.file_keys)
                batch.links_dropped += row.links_dropped
            batch = _done(batch, [copy_line(row, line=line) for row in chunk.photos], None)
            batch.position = chunk.position
            yield batch
        return
    batch, lines = Batch(), []
    for item in read(stream, fmt):
        batch.read += 1
        if type(item) is PhotoRow:
            lines.append(copy_line(item, line=line))
            batch.files += bool(item.file_keys)
            batch.links_dropped += item.links_dropped
        elif item is VIDEO:
            batch.videos += 1
        elif item is NOT_FLICKR:
            batch.not_flickr += 1
        else:  # neither a photo nor a video: the reader's third kind of item
            batch.rejects.append(cast(Reject, item))
        if batch.read == ROWS_PER_BATCH:
            yield _done(batch, lines, position)
            batch, lines = Batch(), []
    if batch.read:
        yield _done(batch, lines, position)


def _done(batch: Batch, lines: list[str], position: Any) -> Batch:
    batch.data = "".join(lines).encode("utf-8")
    batch.rows = len(lines)
    batch.position = position() if position else 0
    return batch


def _yfcc_batches(stream: BinaryIO, position: Any, with_line: bool = True) -> Iterator[Batch]:
    """read_yfcc's rows as COPY text, a block of lines at a time (`readers.blocks`).

    A block of plain lines (ASCII, so valid UTF-8; no backslash, NUL, lone
    carriage return or empty line) goes to `columnar.convert` whole; in any other
    block the plain lines go there and the rest to `yfcc_item`, line by line, as
    do the lines `convert` hands back. `yfcc_item` decides exactly as `read_yfcc`
    does, and both number lines the same way.
    """
    # Here, not at the top: the importing process that only runs COPY (`parallel`)
    # does without Arrow's memory.
    from optout.importers import columnar  # noqa: PLC0415

    layout: _Layout | None = None
    number = 0
    batch, parts = Batch(), []

    def by_rule(number: int, line: str) -> None:
        assert layout is not None  # set from the first line, before any goes by rule
        item = yfcc_item(number, line, layout)
        if item is VIDEO:
            batch.videos += 1
        elif type(item) is PhotoRow:
            parts.append(copy_line(item, line=with_line).encode("utf-8"))
            batch.rows += 1
            batch.links_dropped += item.links_dropped
        else:  # neither a photo nor a video: the reader's third kind of item
            batch.rejects.append(cast(Reject, item))

    def converted(done: "columnar.Converted", lines: "Sequence[str] | _Lines") -> None:
        parts.append(done.data)
        batch.rows += done.rows
        batch.videos += done.videos
        for i in done.slow:
            if line := lines[i]:
                by_rule(done.numbers[i], line)
            else:  # Arrow reads an empty line as a row of empty values; it is no row
                batch.read -= 1

    def line_by_line(block: bytes) -> None:
        """A block that is not all plain: its plain lines of the layout's column count
        to Arrow, the rest by rule."""
        nonlocal layout, number
        plain, numbers = [], []
        for line in block_lines(block):
            number += 1
            if not line:
                continue
            batch.read += 1
            if layout is None:
                layout = yfcc_layout(line)
            if (
                line.isascii()
                and "\\" not in line
                and "\x00" not in line
                and line.count("\t") == layout.columns - 1
            ):
                plain.append(line)
                numbers.append(number)
            else:
                by_rule(number, line)
        if not plain:
            return
        text = ("\n".join(plain) + "\n").encode("ascii")
        assert layout is not None  # set by the first of the plain lines, if not before
        done = columnar.convert(text, layout, numbers=numbers, with_line=with_line)
        if done is None:  # Arrow refused lines of the right count: all by rule
            for line_number, line in zip(numbers, plain, strict=True):
                by_rule(line_number, line)
        else:
            converted(done, plain)

    for block in blocks(stream):
        if type(block) is TooLong:
            number += 1
            batch.read += 1
            batch.rejects.append(_too_long(number, block.start))
            continue
        assert isinstance(block, bytes)
        done = None
        # The first block line by line: its first non-empty line decides the layout.
        if layout is not None and _plain(block):
            done = columnar.convert(block, layout, first=number + 1, with_line=with_line)
        if done is None:
            line_by_line(block)
        else:
            number += done.lines
            batch.read += done.lines
            converted(done, _Lines(block))
        if batch.read >= ROWS_PER_BATCH:
            yield _finish(batch, parts, position)
            batch, parts = Batch(), []
    if batch.read:
        yield _finish(batch, parts, position)


def _plain(block: bytes) -> bool:
    """Whether the block may be all plain lines (see `_yfcc_batches`): empty lines and
    other column counts are left to Arrow to find (the cheap checks come first)."""
    return (
        block.isascii()
        and b"\\" not in block
        and b"\x00" not in block
        and (b"\r" not in block or block.count(b"\r") == block.count(b"\r\n"))
    )


class _Lines:
    """A plain block's lines by index, split only when one is asked for."""

    def __init__(self, block: bytes) -> None:
        self.block = block
        self.lines: list[str] | None = None

    def __getitem__(self, index: int) -> str:
        if self.lines is None:
            self.lines = self.block.decode("ascii").split("\n")
        return self.lines[index].rstrip("\r")


def _finish(batch: Batch, parts: list[bytes], position: Any) -> Batch:
    batch.data = b"".join(parts)
    batch.rejects.sort(key=lambda reject: reject.line)  # found in several passes
    batch.position = position() if position else 0
    return batch


# -- the reading child -------------------------------------------------------------


def parallel(path: Path, fmt: str, *, line: bool = True) -> Generator[Batch, None, None]:
    """`batches` of the file at `path`, read in a child process.

    The child's exceptions (a damaged archive, a read error) are raised here, in
    the parent, where the import turns them into a message. Leaving the iterator
    early (the database failed) stops the child.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=QUEUE_BATCHES)
    child = context.Process(target=_produce, args=(str(path), fmt, queue, line), daemon=True)
    child.start()
    try:
        while True:
            try:
                got = queue.get(timeout=5)
            except queue_module.Empty:
                if not child.is_alive():
                    raise RuntimeError(
                        f"the process reading {path} stopped (exit code {child.exitcode})"
                    ) from None
                continue
            if got is None:
                break
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        queue.close()


def _produce(path: str, fmt: str, queue: Any, line: bool) -> None:
    try:
        with open_binary(Path(path)) as (stream, raw):
            for batch in batches(stream, fmt, raw.tell, line=line):
                queue.put(batch)
    except Exception as exc:  # every failure goes to the parent, which decides
        queue.put(exc)
        return
    queue.put(None)
