"""A manifest as batches of PostgreSQL COPY text, ready for the staging table.

The readers' `PhotoRow`s are the contract; this module turns them into the
bytes a `COPY … FROM STDIN` takes, a few thousand rows at a time. YFCC100M
files (a million rows and more) take a fast way: most lines are plain ASCII
with nothing to check past a few columns, so they go from the split line
straight to COPY text without a `PhotoRow`; any other line goes through
`readers.yfcc_item`, the one place the field rules live.

Big files are read in a child process (`parallel`): it does the Python work
on one core while PostgreSQL stages the rows on the other. Its queue is
bounded, so memory stays the same whatever the file size. No database here.
"""

import io
import json
import multiprocessing
import queue as queue_module
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Final

from optout.importers.readers import (
    MAX_LINE,
    NSID_RE,
    VIDEO,
    PhotoRow,
    Reject,
    _decoded,
    _too_long,
    decoded_all,
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
# A JSON string literal, as _json writes it (non-ASCII kept), without its Python wrapper.
_quoted = json.encoder.encode_basestring


@dataclass
class Batch:
    data: bytes = b""  # COPY text rows, in the stage's column order
    rows: int = 0  # rows in data
    read: int = 0  # data rows of the file this batch covers (photos, videos, rejects)
    videos: int = 0
    rejects: list[Reject] = field(default_factory=list)
    position: int = 0  # bytes of the (compressed) file read so far, for progress


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
    batch, lines = Batch(), []
    for item in read(stream, fmt):
        batch.read += 1
        if type(item) is PhotoRow:
            lines.append(copy_line(item, line=line))
        elif item is VIDEO:
            batch.videos += 1
        else:
            batch.rejects.append(item)  # type: ignore[arg-type]
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
    """read_yfcc's rows as COPY text, the common line without a PhotoRow.

    A line takes the fast way only when nothing in it needs a rule: ASCII (so
    valid UTF-8), no backslash or NUL, the layout's column count, marker 0, and
    a photo id, NSID and farm of the usual shape. Anything else goes to
    `yfcc_item`, which decides exactly as `read_yfcc` does.
    """
    reader = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    readline = reader.readline
    fullmatch = NSID_RE.fullmatch
    nsid_width, page_width, image_width = (
        WIDTHS[k] for k in ("owner_nsid", "page_url", "image_url")
    )
    server_width, secret_width = WIDTHS["server"], WIDTHS["secret"]
    layout = None
    number = 0
    batch, fast, slow = Batch(), _FastRows(), []
    while line := readline(MAX_LINE):
        number += 1
        if len(line) == MAX_LINE and not line.endswith("\n"):
            while (rest := readline(MAX_LINE)) and not rest.endswith("\n"):
                pass
            batch.read += 1
            batch.rejects.append(_too_long(number, line[:200]))
            continue
        line = line.rstrip("\r\n")
        if not line:
            continue
        batch.read += 1
        if layout is None:
            layout = yfcc_layout(line)
            columns, at_marker = layout.columns, layout.marker
            at_id, at_nsid, at_farm = layout.photo_id, layout.nsid, layout.farm
            plain, encoded, at_extra = layout.plain, layout.encoded, layout.extra
        cols = line.split("\t")
        if (
            len(cols) == columns
            and line.isascii()
            and "\\" not in line
            and "\x00" not in line
            and cols[at_marker] in ("0", "")
            and (pid := cols[at_id]).isdigit()
            and len(pid) < 19
            and pid.strip("0")
            and fullmatch(owner := cols[at_nsid])
            and (((farm_id := cols[at_farm]).isdigit() and len(farm_id) < 5) or not farm_id)
        ):
            fast.encoded.append("\t".join(encoded(cols)))
            page_url, download_url, server, secret = plain(cols)
            fast.head.append(
                f"{number}\t{int(pid)}\t{owner[:nsid_width]}\t"
                if with_line
                else f"{int(pid)}\t{owner[:nsid_width]}\t"
            )
            fast.tail.append(
                f"{page_url[:page_width]}\t{download_url[:image_width]}\t"
                f"{int(farm_id) if farm_id else NULL}\t"
                f"{server[:server_width]}\t{secret[:secret_width]}\t"
            )
            fast.extra.append(
                ",".join([f'"{name}":{_quoted(cols[i])}' for name, i in at_extra if cols[i]])
            )
        elif (item := yfcc_item(number, line, layout)) is VIDEO:
            batch.videos += 1
        elif type(item) is PhotoRow:
            slow.append(copy_line(item, line=with_line))
        else:
            batch.rejects.append(item)  # type: ignore[arg-type]
        if batch.read == ROWS_PER_BATCH:
            yield _done(batch, [*fast.lines(), *slow], position)
            batch, fast, slow = Batch(), _FastRows(), []
    reader.detach()
    if batch.read:
        yield _done(batch, [*fast.lines(), *slow], position)


_NAME_WIDTH, _TITLE_WIDTH = WIDTHS["owner_name"], WIDTHS["title"]
_LICENSE_WIDTH = WIDTHS["license"]


class _FastRows:
    """A batch's fast-way rows in pieces, so that their URL-encoded text is decoded
    in one call for the whole batch instead of once per row."""

    def __init__(self) -> None:
        self.head: list[str] = []  # line, photo id, NSID
        self.encoded: list[str] = []  # nickname, title, license, date taken; tab-joined
        self.tail: list[str] = []  # page URL … secret
        self.extra: list[str] = []  # the extra JSON's members but date taken

    def lines(self) -> list[str]:
        joined = "\n".join(self.encoded)
        decoded = _decoded(joined) if "%" in joined or "+" in joined else joined
        texts = [text.split("\t") for text in decoded.split("\n")]
        if len(texts) != len(self.encoded) or decoded.count("\t") != 3 * len(texts):
            # A decoded tab or line break: row by row, as read_yfcc does.
            texts = [list(decoded_all(tuple(text.split("\t")))) for text in self.encoded]
        return list(map(self._line, self.head, texts, self.tail, self.extra))

    @staticmethod
    def _line(head: str, text: list[str], tail: str, extra: str) -> str:
        nickname, title, license_name, taken = text
        nickname = nickname[:_NAME_WIDTH]
        title = title[:_TITLE_WIDTH]
        license_name = license_name[:_LICENSE_WIDTH]
        if taken:
            taken = f'"date_taken":{_quoted(taken)}'
            extra = f"{extra},{taken}" if extra else taken
        extra = escape(f"{{{extra}}}") if extra else "{}"
        return (
            f"{head}{escape(nickname)}\t{escape(title)}\t{tail}{escape(license_name)}\t[]\t"
            f"{extra}\n"
        )


# -- the reading child -------------------------------------------------------------


def parallel(path: Path, fmt: str, *, line: bool = True) -> Iterator[Batch]:
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
