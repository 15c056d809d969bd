"""Opening a manifest file and deciding what it is, before anything is written.

Compression is recognised by its magic bytes (a `.csv` that is really gzip
still opens), and a file that is no manifest at all (an image, an HTML page,
random text, an empty file) is refused here with a message that names the
problem, so the loader never starts on it.
"""

import bz2
import csv
import gzip
import json
import lzma
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

FORMATS = ("yfcc100m", "csv", "jsonl", "ffhq", "parquet")
HEAD_BYTES = 64 * 1024
BOM = b"\xef\xbb\xbf"

_COMPRESSIONS = (
    (b"\x1f\x8b", "gzip", gzip.open),
    (b"BZh", "bzip2", bz2.open),
    (b"\xfd7zXZ\x00", "xz", lzma.open),
)
# Things people upload by mistake, by their first bytes.
_NOT_MANIFESTS = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (unzip it and import the manifest inside)"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file (decompress it first)"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)
_HTML_RE = re.compile(rb"\s*<(!doctype|html|head|body|\?xml|svg|!--)", re.IGNORECASE)
# An object whose first value is itself an object: FFHQ's {"0": {"category": ...
_FFHQ_HEAD_RE = re.compile(r'\s*\{\s*"[^"]*"\s*:\s*\{')

# What a CSV or JSON-lines manifest may call its columns, normalised (lower
# case, `_` for spaces and dashes). The first name listed wins when a file has two.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "flickr_id": ("photo_id", "flickr_id", "id", "photoid", "flickr_photo_id"),
    "owner_nsid": ("owner_nsid", "owner", "nsid", "user_nsid", "user_id"),
    "owner_name": ("owner_name", "username", "user_nickname", "nickname"),
    "title": ("title", "photo_title"),
    "page_url": ("page_url", "url", "photo_url", "flickr_url"),
    "image_url": ("image_url", "download_url"),
    "license": ("license", "license_name"),
    "server": ("server", "server_id"),
    "secret": ("secret",),
    "farm": ("farm", "farm_id"),
    "file_keys": ("file_keys", "files", "file_paths"),
}
ID_COLUMNS = FIELD_ALIASES["flickr_id"]
# A dataset of links (LAION and the sets built from it) names no photo id: its link
# column, normalised, is one of these (optout/importers/links.py).
LINK_COLUMNS = ("url", "image_url", "link")
PARQUET_MAGIC = b"PAR1"


class ImportProblem(Exception):
    """The import cannot run as asked; the message says why, for a person."""


class ManifestError(ImportProblem):
    """The file cannot be imported at all: not a manifest, or unreadable."""


@dataclass(frozen=True)
class Sniffed:
    fmt: str
    compression: str  # "", "gzip", "bzip2" or "xz"
    # Tab-separated columns of a YFCC100M file (23 or 25); 0 for other formats.
    yfcc_columns: int = 0


def normalise_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def field_map(names: list[str]) -> dict[str, int]:
    """Our field name -> position, for the header names a file gives."""
    positions = {normalise_name(n): i for i, n in reversed(list(enumerate(names)))}
    found: dict[str, int] = {}
    for field, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            if alias in positions and positions[alias] not in found.values():
                found[field] = positions[alias]
                break
    return found


def link_position(names: list[str]) -> int | None:
    """Where a dataset of links keeps its link: the first of LINK_COLUMNS it has."""
    positions = {normalise_name(n): i for i, n in reversed(list(enumerate(names)))}
    return next((positions[name] for name in LINK_COLUMNS if name in positions), None)


@contextmanager
def open_binary(path: Path) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """(decompressed stream, raw file) — the raw file's position drives progress."""
    with open(path, "rb") as raw:
        magic = raw.read(6)
        raw.seek(0)
        for prefix, _name, opener in _COMPRESSIONS:
            if magic.startswith(prefix):
                with opener(raw, "rb") as stream:
                    # Reads bytes like any binary file, but does not subclass typing.BinaryIO.
                    yield cast(BinaryIO, stream), raw
                return
        yield raw, raw


def compression_of(path: Path) -> str:
    with open(path, "rb") as raw:
        magic = raw.read(6)
    return next((name for prefix, name, _ in _COMPRESSIONS if magic.startswith(prefix)), "")


def sniff(path: Path, fmt: str = "auto") -> Sniffed:
    """Decide the format (or check the one given) from the first 64 KiB.

    Raises ManifestError naming the problem when the file is not a manifest.
    """
    if not path.is_file():
        raise ManifestError(f"{path}: no such file.")
    try:
        with open_binary(path) as (stream, _raw):
            head = stream.read(HEAD_BYTES)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise ManifestError(f"{path}: the file is damaged and cannot be read ({exc}).") from exc
    compression = compression_of(path)
    what = f"{path}" + (f" ({compression}-compressed)" if compression else "")

    if not head.strip(b" \t\r\n" + BOM):
        raise ManifestError(f"{what} is empty: there is nothing to import.")
    for magic, kind in _NOT_MANIFESTS:
        if head.startswith(magic):
            raise ManifestError(f"{what} is {kind}, not a dataset manifest.")
    if head.startswith(PARQUET_MAGIC) or fmt == "parquet":
        return _check_parquet(what, head, compression, fmt)
    if _HTML_RE.match(head.removeprefix(BOM)):
        raise ManifestError(
            f"{what} is an HTML or XML page, not a dataset manifest "
            "(a download that returned a web page instead of the file?)."
        )
    if b"\x00" in head:
        raise ManifestError(f"{what} is a binary file, not a text manifest.")

    text = head.removeprefix(BOM).decode("utf-8", errors="replace")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    complete = "\n" in text or len(head) < HEAD_BYTES
    guesses = {
        "yfcc100m": lambda: _check_yfcc(what, first_line),
        "csv": lambda: _check_csv(what, first_line),
        "jsonl": lambda: _check_jsonl(what, first_line, complete),
        "ffhq": lambda: _check_ffhq(what, text),
    }
    if fmt != "auto":
        if fmt not in guesses:
            raise ManifestError(f"Unknown format {fmt!r}: use auto or one of {', '.join(FORMATS)}.")
        return Sniffed(fmt, compression, guesses[fmt]())

    if text.lstrip().startswith("{"):
        if _FFHQ_HEAD_RE.match(text) and '"metadata"' in text:
            return Sniffed("ffhq", compression)
        return Sniffed("jsonl", compression, guesses["jsonl"]())
    if first_line.count("\t") + 1 in (23, 25):
        return Sniffed("yfcc100m", compression, first_line.count("\t") + 1)
    if len(_csv_header(first_line)) >= 2:
        return Sniffed("csv", compression, guesses["csv"]())
    raise ManifestError(
        f"{what} does not look like a dataset manifest: its first line is neither a "
        "YFCC100M row (23 or 25 tab-separated columns), nor a CSV header naming a photo "
        f"id column ({', '.join(ID_COLUMNS[:3])}), nor JSON. It starts with: "
        f"{_excerpt(first_line)}"
    )


def _check_parquet(what: str, head: bytes, compression: str, fmt: str) -> Sniffed:
    if not head.startswith(PARQUET_MAGIC):
        raise ManifestError(f"{what} is not a Parquet file: it does not start with PAR1.")
    if fmt not in ("auto", "parquet"):
        raise ManifestError(f"{what} is a Parquet file, not {fmt}: use --format parquet.")
    if compression:
        raise ManifestError(
            f"{what} is a Parquet file inside {compression}: Parquet compresses its own "
            "columns, so decompress it and import the .parquet file itself."
        )
    return Sniffed("parquet", "")


def _excerpt(line: str, width: int = 80) -> str:
    line = "".join(c if c.isprintable() else "?" for c in line)
    return repr(line[:width] + ("…" if len(line) > width else ""))


def _check_yfcc(what: str, first_line: str) -> int:
    columns = first_line.count("\t") + 1
    if columns not in (23, 25):
        raise ManifestError(
            f"{what} is not a YFCC100M metadata file: its first line has {columns} "
            "tab-separated column(s), expected 23 (Webscope) or 25 (with line number and hash)."
        )
    return columns


def csv_delimiter(header_line: str) -> str:
    return max((",", "\t", ";", "|"), key=header_line.count)


def _csv_header(first_line: str) -> list[str]:
    return next(csv.reader([first_line], delimiter=csv_delimiter(first_line)), [])


def _check_csv(what: str, first_line: str) -> int:
    header = _csv_header(first_line)
    if "flickr_id" not in field_map(header) and link_position(header) is None:
        found = ", ".join(h.strip() for h in header[:12] if h.strip()) or "none"
        raise ManifestError(
            f"{what} has no photo id column: a CSV manifest needs a header with one of "
            f"{', '.join(ID_COLUMNS)} (or, for a dataset of links, a link column: "
            f"{', '.join(LINK_COLUMNS)}). Columns found: {found}."
        )
    return 0


def _check_jsonl(what: str, first_line: str, complete: bool) -> int:
    try:
        first = json.loads(first_line) if complete else None
    except ValueError:
        first = None
    if not isinstance(first, dict):
        raise ManifestError(
            f"{what} is not JSON lines (one JSON object per line) nor FFHQ metadata: "
            f"the first line is not a JSON object. It starts with: {_excerpt(first_line)}"
        )
    keys = {normalise_name(k) for k in first}
    if not keys & set(ID_COLUMNS) and not keys & set(LINK_COLUMNS):
        raise ManifestError(
            f"{what}: the JSON lines have no photo id field (one of {', '.join(ID_COLUMNS)}) "
            f"and no link field ({', '.join(LINK_COLUMNS)}). "
            f"Fields found: {', '.join(sorted(first)[:12])}."
        )
    return 0


def _check_ffhq(what: str, text: str) -> int:
    if not _FFHQ_HEAD_RE.match(text):
        raise ManifestError(
            f"{what} is not FFHQ metadata: expected one JSON object of images keyed "
            '"0", "1", … (as in ffhq-dataset-v2.json).'
        )
    return 0
