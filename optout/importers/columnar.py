"""YFCC100M rows to COPY text a block of lines at a time, with Apache Arrow.

The per-line Python way (split, check, decode, format) cost more CPU than
PostgreSQL's whole raw COPY of the same bytes. Arrow's CSV tokenizer and string
kernels are compiled: the same work on a block of a few thousand lines is a few
dozen calls, whatever the block's size (docs/performance.md has the figures).

Only the common row takes this way, and only where nothing in it needs a rule:
the caller hands over plain lines (ASCII, no backslash, NUL or lone carriage
return, none empty); `convert` checks the fields Arrow can check (column count,
marker, photo id, NSID, farm, links), decodes the URL-encoded text the way
`readers._decoded` does, and hands back, by index, every line it did not write
(a bad row, an odd value, text that decodes to something COPY or JSON must
escape) for `readers.yfcc_item`, the one place the field rules live, to decide.
No database here.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from optout.importers.readers import YFCC_EXTRA, _Layout, decoded_ascii
from optout.importers.rows import WIDTHS
from optout.importers.yfcc import YFCC_23, YFCC_25

# The shapes the per-line way accepts without a second look (rows.py's rules, ASCII).
PHOTO_ID: Final = r"^[0-9]*[1-9][0-9]*$"  # and shorter than 19 digits
NSID: Final = r"^[0-9]+@N[0-9]{2}$"
FARM: Final = r"^[0-9]{0,4}$"
# Links the per-line way keeps as they are (rows.web_link): none, or http(s) in lower case.
LINK: Final = r"^(https?://|$)"
# Decoded text COPY would have to escape.
COPY_SPECIAL: Final = r"[\\\n\r]"
ENCODED: Final = ("user_nickname", "title", "license_name", "date_taken")
_PARSE: Final = pacsv.ParseOptions(
    delimiter="\t",
    quote_char=False,
    escape_char=False,
    newlines_in_values=False,
    ignore_empty_lines=False,
)


@dataclass
class Converted:
    lines: int  # lines read from the block
    numbers: Sequence[int]  # their line numbers
    data: bytes = b""  # COPY text of the rows written
    rows: int = 0
    videos: int = 0
    slow: list[int] = field(default_factory=list)  # indices of the lines left to the caller


@cache
def _options(columns: int) -> tuple[pacsv.ReadOptions, pacsv.ConvertOptions, tuple[str, ...]]:
    names = YFCC_25 if columns == 25 else YFCC_23
    extra = tuple(name for name in YFCC_EXTRA if name in names)
    wanted = [
        "photo_id", "user_nsid", *ENCODED, "page_url", "download_url", "farm_id",
        "server_id", "secret", "marker", *extra,
    ]  # fmt: skip
    read = pacsv.ReadOptions(column_names=list(names), use_threads=False, block_size=1 << 24)
    # The caller checked that the lines are ASCII: no UTF-8 to validate.
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(wanted, pa.string()),
        include_columns=wanted,
        strings_can_be_null=False,
        check_utf8=False,
    )
    return read, convert, extra


def convert(
    block: bytes,
    layout: _Layout,
    *,
    first: int = 1,
    numbers: Sequence[int] | None = None,
    with_line: bool = False,
) -> Converted | None:
    """`block`: plain lines, each ending in a line break, numbered from `first` (or
    `numbers`: their line numbers, the first column when `with_line`). None when
    Arrow cannot read the block as rows of the layout's column count (an empty line,
    a row with another count): the caller splits it."""
    read, options, extra_names = _options(layout.columns)
    try:
        table = pacsv.read_csv(pa.py_buffer(block), read, _PARSE, options)
    except pa.ArrowInvalid:
        return None
    lines = table.num_rows
    if numbers is None:
        numbers = range(first, first + lines)
    marker = table["marker"]
    videos = pc.equal(marker, "1")
    pid, owner, farm = table["photo_id"], table["user_nsid"], table["farm_id"]
    checks = [
        pc.or_(pc.equal(marker, "0"), pc.equal(marker, "")),
        pc.less(pc.binary_length(pid), 19),
        pc.match_substring_regex(pid, PHOTO_ID),
        pc.match_substring_regex(owner, NSID),
        pc.match_substring_regex(farm, FARM),
        pc.match_substring_regex(table["page_url"], LINK),
        pc.match_substring_regex(table["download_url"], LINK),
    ]
    # The extra JSON takes these as they are: letters and digits need no escaping.
    raw_extra = pc.binary_join_element_wise(*(table[name] for name in extra_names), "x", "")
    checks.append(pc.ascii_is_alnum(raw_extra))
    fits = _all(*checks)
    slow = _indices(pc.invert(pc.or_(videos, fits)))
    done = Converted(lines=lines, numbers=numbers, videos=pc.sum(videos).as_py() or 0, slow=slow)
    kept = _indices(fits)
    if not kept:
        return done
    table = table.filter(fits)
    texts = _decode(table)
    if texts is None:  # a decoded tab: row by row
        done.slow = sorted(slow + kept)
        return done
    taken = texts.columns[3]
    # Date taken goes into the extra JSON: no control character (JSON would escape it).
    odd = pc.invert(pc.utf8_is_printable(taken))
    if texts.odd:
        odd = _any(
            odd,
            *(pc.match_substring_regex(t, COPY_SPECIAL) for t in texts.columns),
            pc.match_substring(taken, '"'),
        )
    if pc.any(odd).as_py():
        # Text COPY or JSON would have to escape: row by row.
        done.slow = sorted(slow + [kept[i] for i in _indices(odd)])
        keep = pc.invert(odd)
        table = table.filter(keep)
        texts.columns = tuple(column.filter(keep) for column in texts.columns)
        kept = [i for i, o in zip(kept, odd.to_pylist(), strict=True) if not o]
        if not kept:
            return done
    nickname, title, license_name, taken = texts.columns
    values = [table[name] for name in extra_names] + [taken]
    extra = _extra([*extra_names, "date_taken"], values)
    farm = table["farm_id"]
    columns = [
        pc.cast(pc.cast(table["photo_id"], pa.int64()), pa.string()),
        _cut(table["user_nsid"], "owner_nsid"),
        _cut(nickname, "owner_name"),
        _cut(title, "title"),
        _cut(table["page_url"], "page_url"),
        _cut(table["download_url"], "image_url"),
        pc.fill_null(
            pc.cast(pc.cast(pc.if_else(pc.equal(farm, ""), None, farm), pa.int32()), pa.string()),
            "\\N",
        ),
        _cut(table["server_id"], "server"),
        _cut(table["secret"], "secret"),
        _cut(license_name, "license"),
        pa.scalar("[]"),
        extra,
    ]
    if with_line:
        columns.insert(0, pa.array([numbers[i] for i in kept], pa.int64()).cast(pa.string()))
    done.data = _bytes(pc.binary_join_element_wise(*columns, "\t"))
    done.rows = len(kept)
    return done


@dataclass
class _Texts:
    columns: tuple[pa.Array, ...]  # nickname, title, license name, date taken; decoded
    odd: bool  # whether any holds a backslash, line break or quote


def _decode(table: pa.Table) -> _Texts | None:
    """The four URL-encoded columns decoded by `readers.decoded_ascii`, in one call for the
    whole block, and split again in Arrow; None when a decoded value holds a tab."""
    rows = table.num_rows
    joined = pc.binary_join_element_wise(*(table[name] for name in ENCODED), "", "\t")
    decoded = decoded_ascii(_bytes(joined))
    values = pc.split_pattern(pa.array([decoded], pa.string()), "\t").values
    if len(values) != 4 * rows + 1:
        return None
    by_row = pa.FixedSizeListArray.from_arrays(values.slice(0, 4 * rows), 4)
    columns = tuple(pc.list_element(by_row, i) for i in range(4))
    odd = "\\" in decoded or '"' in decoded or "\n" in decoded or "\r" in decoded
    return _Texts(columns, odd)


def _extra(names: list[str], values: list[pa.Array | pa.ChunkedArray]) -> pa.Array:
    """The extra JSON of each row, ending in the line break: `{"name":"value",…}` with
    the members whose value is not empty (values that need no JSON escaping)."""
    if all(_never_empty(v) for v in values):  # the usual block: one call
        pieces: list[str | pa.Array | pa.ChunkedArray] = []
        for i, (name, v) in enumerate(zip(names, values, strict=True)):
            pieces += [f'{"{" if i == 0 else '",'}"{name}":"', v]
        return pc.binary_join_element_wise(*pieces, '"}\n', "")
    # `,"name":"value"` for each value that is not empty; the first member without
    # its comma when it is never empty, else the comma cut off.
    head = _never_empty(values[0])
    members = [
        _member(name, v, comma=i > 0 or not head)
        for i, (name, v) in enumerate(zip(names, values, strict=True))
    ]
    joined = pc.binary_join_element_wise(*members, "")
    if not head:
        joined = pc.utf8_slice_codeunits(joined, 1)
    return pc.binary_join_element_wise("{", joined, "}\n", "")


def _member(name: str, values: pa.Array | pa.ChunkedArray, *, comma: bool) -> pa.Array:
    """`,"name":"value"` (without the comma if not `comma`) where the value is not
    empty, else nothing."""
    member = pc.binary_join_element_wise(f'{"," if comma else ""}"{name}":"', values, '"', "")
    if _never_empty(values):
        return member
    return pc.if_else(pc.equal(values, ""), "", member)


def _never_empty(values: pa.Array | pa.ChunkedArray) -> bool:
    return bool(pc.min(pc.binary_length(values)).as_py())


def _cut(values: pa.Array | pa.ChunkedArray, column: str) -> pa.Array | pa.ChunkedArray:
    """Values cut to the column's width, by code points as Python's slicing
    ("utf8_slice_codeunits" is Arrow's name for it)."""
    width = WIDTHS[column]
    if (pc.max(pc.binary_length(values)).as_py() or 0) <= width:  # bytes >= code points
        return values
    return pc.utf8_slice_codeunits(values, 0, width)


def _bytes(values: pa.Array | pa.ChunkedArray) -> bytes:
    """A string array's values, end to end, without copying them one by one."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    offsets = memoryview(values.buffers()[1]).cast("i")
    start, end = offsets[values.offset], offsets[values.offset + len(values)]
    return values.buffers()[2][start:end].to_pybytes()


def _indices(mask: pa.Array | pa.ChunkedArray) -> list[int]:
    return pc.indices_nonzero(mask).to_pylist()


def _all(*masks: pa.Array | pa.ChunkedArray) -> pa.Array:
    result = masks[0]
    for mask in masks[1:]:
        result = pc.and_(result, mask)
    return result


def _any(*masks: pa.Array | pa.ChunkedArray) -> pa.Array | None:
    result = None
    for mask in masks:
        result = mask if result is None else pc.or_(result, mask)
    return result
