"""Manifest readers: a file's rows in, validated photo rows (or rejects) out.

Pure: no database here, so every rule is testable on a few lines of text.
Each reader is a generator over an already-opened binary stream; it holds
one row at a time, so memory does not grow with the file.

Yields, per data row, exactly one of:
- `PhotoRow`: a valid photo;
- `Reject`: a bad row, with its line number, the reason and the raw row;
- `VIDEO`: a YFCC100M video row (marker 1), skipped and counted;
- `NOT_FLICKR`: a row of a dataset of links whose link is not to a Flickr photo
  (optout/importers/links.py), skipped and counted.
"""

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, BinaryIO, Final, NamedTuple, final
from urllib.parse import unquote_plus

import ijson

from optout.importers.links import NOT_FLICKR, link_row
from optout.importers.rows import (
    NSID_RE,
    PHOTO_URL_RE,
    VIDEO,
    BadRow,
    Item,
    PhotoRow,
    Reject,
    farm,
    nsid,
    owner_from_photo_url,
    photo_id,
    text,
    web_link,
)
from optout.importers.sources import BOM, csv_delimiter, field_map, link_position
from optout.importers.yfcc import YFCC_23, YFCC_25

# Re-exported: readers is where callers get a row's types.
__all__ = ["NOT_FLICKR", "NSID_RE", "VIDEO", "Item", "PhotoRow", "Reject", "read"]

MAX_LINE: Final = 1 << 20  # a longer "line" is no manifest row; it is rejected, not buffered

# What we keep of the rest of a YFCC row, beside the date taken. Descriptions, tags,
# devices and coordinates are personal data this service has no use for (minimisation).
YFCC_EXTRA: Final = ("date_uploaded", "secret_original", "original_extension", "photo_hash")


def read(stream: BinaryIO, fmt: str) -> Iterator[Item]:
    readers = {"yfcc100m": read_yfcc, "csv": read_csv, "jsonl": read_jsonl, "ffhq": read_ffhq}
    return readers[fmt](stream)


# -- text lines ---------------------------------------------------------------------


def _decoded(value: str) -> str:
    """YFCC's URL-encoded text (`+` for a space, %XX for UTF-8 bytes), decoded.

    unquote_plus is pure Python and was most of an import's time; the same
    decoding goes through C-level codecs instead. Odd input (a `%` without
    two hex digits, a backslash, non-ASCII) takes the slow, lenient way.
    """
    if "%" not in value:
        return value.replace("+", " ")
    if not value.isascii() or "\\" in value:
        return text(unquote_plus(value))
    return decoded_ascii(value.encode("ascii"))


def decoded_ascii(raw: bytes) -> str:
    """`_decoded` of ASCII text without a backslash, given as bytes (Arrow's block
    of text is): the escapes become bytes in C-level codecs, no round trip through str."""
    if b"%" not in raw:
        return raw.replace(b"+", b" ").decode("ascii")
    escaped = raw.replace(b"+", b" ").replace(b"%", b"\\x")
    try:
        as_bytes = escaped.decode("unicode_escape").encode("latin-1")
    except UnicodeDecodeError:  # a % without two hex digits after it
        return text(unquote_plus(raw.decode("ascii")))
    return text(as_bytes.decode("utf-8", "replace"))


def _printable(raw: str) -> str:
    """A raw row as valid UTF-8 for the rejects file, bad bytes shown as \\xNN."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _bad_utf8(raw: str) -> bool:
    if raw.isascii():
        return False
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _text_lines(stream: BinaryIO) -> Iterator[tuple[int, str, bool]]:
    """(line number, line, too long) of a text stream.

    Bad UTF-8 is kept as surrogates so that one bad row is rejected instead of
    stopping the whole file; a line past MAX_LINE is cut, not buffered whole.
    """
    reader = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    number = 0
    while line := reader.readline(MAX_LINE):
        number += 1
        too_long = len(line) == MAX_LINE and not line.endswith("\n")
        if too_long:
            while (rest := reader.readline(MAX_LINE)) and not rest.endswith("\n"):
                pass
            line = line[:200]
        yield number, line.rstrip("\r\n"), too_long
    reader.detach()


def _too_long(number: int, line: str) -> Reject:
    return Reject(number, f"line longer than {MAX_LINE} characters", _printable(line) + "…")


@final  # so that `type(block) is TooLong` tells mypy the other blocks are bytes
@dataclass(frozen=True, slots=True)
class TooLong:
    """A line of MAX_LINE bytes or more, in place of its block: its first characters."""

    start: str


def blocks(stream: BinaryIO) -> Iterator[bytes | TooLong]:
    """A byte stream as blocks of whole lines, each under MAX_LINE bytes.

    Line breaks are those of text mode with universal newlines (`\n`, `\r\n`,
    a lone `\r`); the last line gets a `\n` if the file has none, and a UTF-8
    BOM in front is dropped. A line of MAX_LINE bytes or more comes as `TooLong`
    and is never held whole. YFCC100M files are read this way: a block is a few
    thousand lines, checked and converted at once (`columnar`).
    """
    pending, first = b"", True
    while True:
        chunk = stream.read(MAX_LINE - len(pending))
        data = pending + chunk
        if first:
            data, first = data.removeprefix(BOM), False
        if not chunk:
            if data:
                yield data if data.endswith((b"\n", b"\r")) else data + b"\n"
            return
        # A \r at the very end may be the first half of \r\n: not a break yet.
        cut = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1)) + 1
        if cut:
            yield data[:cut]
            pending = data[cut:]
        elif len(data) < MAX_LINE:
            pending = data  # a short read
        elif data.endswith(b"\r"):  # a line just under MAX_LINE bytes, then \r or \r\n
            following = stream.read(1)
            yield data + following if following == b"\n" else data
            pending = b"" if following == b"\n" else following
        else:
            yield TooLong(data[:800].decode("utf-8", "surrogateescape")[:200])
            pending = _rest_of_line(stream)


def _rest_of_line(stream: BinaryIO) -> bytes:
    """Reads past the end of the current line; returns what follows its break."""
    while chunk := stream.read(MAX_LINE):
        ends = [i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0]
        if not ends:
            continue
        end = min(ends)
        if chunk[end : end + 1] == b"\r" and end + 1 == len(chunk):
            following = stream.read(1)
            return b"" if following == b"\n" else following
        if chunk[end : end + 2] == b"\r\n":
            end += 1
        return chunk[end + 1 :]
    return b""


def block_lines(block: bytes) -> Iterator[str]:
    """A block's lines, as text mode reads them (bad UTF-8 kept as surrogates), without
    their line breaks; empty ones too, since they count in line numbers."""
    for line in io.StringIO(block.decode("utf-8", "surrogateescape"), newline=""):
        yield line.rstrip("\r\n")


def _yfcc_lines(stream: BinaryIO) -> Iterator[tuple[int, str, bool]]:
    """(line number, line, too long), as _text_lines, from `blocks`."""
    number = 0
    for block in blocks(stream):
        if type(block) is TooLong:
            number += 1
            yield number, block.start, True
            continue
        for line in block_lines(block):
            number += 1
            yield number, line, False


# -- YFCC100M --------------------------------------------------------------------


class _Layout(NamedTuple):
    columns: int
    photo_id: int
    nsid: int
    farm: int
    marker: int
    plain: Callable[[list[str]], tuple[str, ...]]  # page_url, download_url, server, secret
    encoded: Callable[[list[str]], tuple[str, ...]]  # nickname, title, license, date taken
    extra: tuple[tuple[str, int], ...]  # kept as they are, when not empty


def _yfcc_layout(columns: int) -> _Layout:
    at = {name: i for i, name in enumerate(YFCC_25 if columns == 25 else YFCC_23)}
    return _Layout(
        columns,
        at["photo_id"],
        at["user_nsid"],
        at["farm_id"],
        at["marker"],
        itemgetter(at["page_url"], at["download_url"], at["server_id"], at["secret"]),
        itemgetter(at["user_nickname"], at["title"], at["license_name"], at["date_taken"]),
        tuple((name, at[name]) for name in YFCC_EXTRA if name in at),
    )


def decoded_all(values: tuple[str, ...]) -> list[str] | tuple[str, ...]:
    """Several YFCC fields decoded in one call (a literal tab never occurs inside one)."""
    joined = "\t".join(values)
    if "%" not in joined and "+" not in joined:
        return values
    decoded = _decoded(joined).split("\t")
    return decoded if len(decoded) == len(values) else [_decoded(v) for v in values]


def read_yfcc(stream: BinaryIO) -> Iterator[Item]:
    layout: _Layout | None = None
    for number, line, too_long in _yfcc_lines(stream):
        if too_long:
            yield _too_long(number, line)
            continue
        if not line:
            continue
        if layout is None:
            layout = yfcc_layout(line)
        if (item := yfcc_item(number, line, layout)) is not None:
            yield item


def yfcc_layout(first_line: str) -> _Layout:
    """The first row decides the layout; a different count later is a bad row."""
    columns = first_line.count("\t") + 1
    return _yfcc_layout(columns if columns in (23, 25) else 23)


def yfcc_item(number: int, line: str, layout: _Layout) -> Item:
    """One non-empty YFCC line (no line break) as a photo, a video or a reject."""
    cols = line.split("\t")
    if len(cols) != layout.columns:
        reason = f"wrong column count: {len(cols)}, expected {layout.columns}"
        return Reject(number, reason, _printable(line))
    if _bad_utf8(line):
        return Reject(number, "bad UTF-8", _printable(line))
    if "\x00" in line:
        cols = text(line).split("\t")
    marker = cols[layout.marker]
    if marker == "1":
        return VIDEO
    # The common case inline (a million rows and more); the field rules decide the rest.
    pid, owner, farm_id = cols[layout.photo_id], cols[layout.nsid], cols[layout.farm]
    try:
        if marker not in ("0", ""):
            raise BadRow(f"bad photo/video marker {marker[:10]!r}")
        flickr_id = int(pid) if pid.isascii() and pid.isdigit() and len(pid) < 19 else 0
        if not flickr_id:
            flickr_id = photo_id(pid)
        if not NSID_RE.fullmatch(owner):
            owner = nsid(owner, required=True)
        farm_number = int(farm_id) if farm_id.isdigit() and len(farm_id) < 5 else farm(farm_id)
    except BadRow as bad:
        return Reject(number, str(bad), _printable(line))
    nickname, title, license_name, taken = decoded_all(layout.encoded(cols))
    page_url, download_url, server, secret = layout.plain(cols)
    extra = {name: cols[i] for name, i in layout.extra if cols[i]}
    if taken:
        extra["date_taken"] = taken
    links = web_link(page_url), web_link(download_url)
    return PhotoRow(
        number,
        flickr_id,
        owner,
        nickname,
        title,
        links[0],
        links[1],
        farm_number,
        server,
        secret,
        license_name,
        [],
        extra,
        (links[0] != page_url) + (links[1] != download_url),
    )


# -- CSV and JSON lines: named fields ---------------------------------------------


def _file_keys(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [text(v).strip() for v in value if text(v).strip()]
    if isinstance(value, str):
        return [key.strip() for key in text(value).split(";") if key.strip()]
    raise BadRow(f"file keys must be a list or a ;-separated string, not {type(value).__name__}")


def _named_row(number: int, get: dict[str, Any], extra: dict[str, Any]) -> PhotoRow:
    given = text(get.get("page_url")).strip(), text(get.get("image_url")).strip()
    page_url, image_url = web_link(given[0]), web_link(given[1])
    owner_nsid = nsid(get.get("owner_nsid"))
    owner_name = text(get.get("owner_name")).strip()
    if not owner_nsid and page_url:
        owner_nsid, alias = owner_from_photo_url(page_url)
        owner_name = owner_name or alias
    return PhotoRow(
        number,
        photo_id(get.get("flickr_id")),
        owner_nsid,
        owner_name,
        text(get.get("title")),
        page_url,
        image_url,
        farm(get.get("farm")),
        text(get.get("server")).strip(),
        text(get.get("secret")).strip(),
        text(get.get("license")).strip(),
        _file_keys(get.get("file_keys")),
        extra,
        (page_url != given[0]) + (image_url != given[1]),
    )


def read_csv(stream: BinaryIO) -> Iterator[Item]:
    text_stream = io.TextIOWrapper(
        stream, encoding="utf-8-sig", errors="surrogateescape", newline=""
    )
    first = text_stream.readline()
    delimiter = csv_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    fields = field_map(header)
    rest = [(name.strip(), i) for i, name in enumerate(header) if i not in fields.values()]
    # No photo id column but a link column: a dataset of links (optout/importers/links.py).
    link_at = link_position(header) if "flickr_id" not in fields else None
    if link_at is not None:
        rest = [(name.strip(), i) for i, name in enumerate(header) if i != link_at]
    rows = csv.reader(text_stream, delimiter=delimiter)
    end = 1  # line numbers count the header; a quoted field may span lines
    while True:
        start = end + 1
        try:
            cols = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            end = rows.line_num + 1
            yield Reject(start, f"unreadable CSV row: {exc}", "")
            continue
        end = rows.line_num + 1
        if not cols or cols == [""]:
            continue
        raw = delimiter.join(cols)
        if len(cols) != len(header):
            reason = f"wrong column count: {len(cols)}, expected {len(header)}"
            yield Reject(start, reason, _printable(raw))
            continue
        if _bad_utf8(raw):
            yield Reject(start, "bad UTF-8", _printable(raw))
            continue
        try:
            extra = {name: text(cols[i]) for name, i in rest if cols[i] and name}
            if link_at is not None:
                yield link_row(start, cols[link_at], extra)
                continue
            got = {name: cols[i] for name, i in fields.items()}
            yield _named_row(start, got, extra)
        except BadRow as bad:
            yield Reject(start, str(bad), _printable(raw))
    text_stream.detach()


def read_jsonl(stream: BinaryIO) -> Iterator[Item]:
    for number, line, too_long in _text_lines(stream):
        if too_long:
            yield _too_long(number, line)
            continue
        if not line.strip():
            continue
        if _bad_utf8(line):
            yield Reject(number, "bad UTF-8", _printable(line))
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            yield Reject(number, f"invalid JSON: {exc}", line)
            continue
        if not isinstance(obj, dict):
            yield Reject(number, "not a JSON object", line)
            continue
        fields = field_map(list(obj))
        names = list(obj)
        if "flickr_id" not in fields and (at := link_position(names)) is not None:
            link = names[at]
            yield link_row(number, obj[link], {k: v for k, v in obj.items() if k != link})
            continue
        taken = {names[i] for i in fields.values()}
        try:
            got = {name: obj[names[i]] for name, i in fields.items()}
            extra = {k: v for k, v in obj.items() if k not in taken and v not in (None, "")}
            yield _named_row(number, got, extra)
        except BadRow as bad:
            yield Reject(number, str(bad), line)


# -- FFHQ ffhq-dataset-v2.json ----------------------------------------------------

FFHQ_FILES: Final = ("image", "thumbnail", "in_the_wild")
FFHQ_EXTRA: Final = ("author", "country", "license_url", "date_uploaded", "date_crawled")


def read_ffhq(stream: BinaryIO) -> Iterator[Item]:
    """One big object {"0": {...}, "1": {...}}, streamed entry by entry.

    There are no lines: an entry's "line" is its position in the file (1, 2, …)
    and the reason names its key.
    """
    # ignore[attr-defined]: BinaryIO has no peek; every stream open_binary gives has one
    # (a buffered file or a gzip, bzip2 or xz reader).
    if stream.peek(3).startswith(BOM):  # type: ignore[attr-defined]
        stream.read(3)
    for number, (key, entry) in enumerate(ijson.kvitems(stream, "", use_float=True), start=1):
        try:
            yield _ffhq_row(number, key, entry)
        except BadRow as bad:
            raw = json.dumps({key: _without_landmarks(entry)}, ensure_ascii=False, default=str)
            yield Reject(number, f"image {key!r}: {bad}", raw[:2000])


def _ffhq_row(number: int, key: str, entry: Any) -> PhotoRow:
    meta = entry.get("metadata") if isinstance(entry, dict) else None
    if not isinstance(meta, dict):
        raise BadRow("no metadata block")
    url = text(meta.get("photo_url")).strip()
    if not url:
        raise BadRow("missing photo id (no metadata.photo_url)")
    match = PHOTO_URL_RE.match(url)
    if not match:
        raise BadRow(f"photo_url {url[:80]!r} is not a Flickr photo page")
    owner_nsid, alias = owner_from_photo_url(url)
    keys = [
        text(entry[block]["file_path"])
        for block in FFHQ_FILES
        if isinstance(entry.get(block), dict) and entry[block].get("file_path")
    ]
    extra = {"ffhq_index": key, "category": text(entry.get("category"))}
    extra |= {name: text(meta.get(name)) for name in FFHQ_EXTRA}
    return PhotoRow(
        number,
        photo_id(match.group(2)),
        owner_nsid,
        alias or text(meta.get("author")).strip(),
        text(meta.get("photo_title")),
        url,
        "",
        None,
        "",
        "",
        text(meta.get("license")).strip(),
        keys,
        {name: value for name, value in extra.items() if value},
    )


def _without_landmarks(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return entry
    return {
        k: {kk: vv for kk, vv in v.items() if "landmarks" not in kk and kk != "face_quad"}
        if isinstance(v, dict)
        else v
        for k, v in entry.items()
    }
