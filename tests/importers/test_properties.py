"""Property-based tests: whatever people type and whatever files maintainers feed in,
the look-up parser and the manifest readers answer with a result or a clear error,
never with a traceback."""

import bz2
import gzip
import io
import json
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optout.importers import FORMATS, ManifestError, batches, readers
from optout.importers.parquet import parquet_chunks
from optout.importers.readers import NOT_FLICKR, VIDEO, PhotoRow, Reject, read
from optout.importers.service import _guarded
from optout.importers.sources import open_binary, sniff
from optout.importers.yfcc import YFCC_23, yfcc_line
from optout.lookup import LookupProblem, OwnerQuery, PhotoQuery, query_parse

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- the look-up parser ----------------------------------------------------------

URL_HEADS = st.sampled_from(
    [
        "",
        "@",
        "https://",
        "http://www.flickr.com/photos/",
        "https://flickr.com/people/",
        "www.flickr.com/photos/someone/",
        "https://m.flickr.com/photo.gne?id=",
        "https://flic.kr/p/",
        "flic.kr/p/",
        "https://live.staticflickr.com/65535/",
        "https://farm4.staticflickr.com/",
        "javascript:",
        "https://[",
        "https://www.flickr.com:99999/photos/",
    ]
)
# Digits of other scripts and superscripts are digits to str.isdigit(), not to int().
ODD_DIGITS = st.sampled_from(["²", "٣", "૪", "߄", "0" * 30, "9" * 25, "\uff11\uff12\uff13"])
TAILS = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from("/_.@N0123456789?=#%")), max_size=60
)


@st.composite
def lookups(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(TAILS, ODD_DIGITS), min_size=0, max_size=4))
    return draw(URL_HEADS) + "/".join(parts) + draw(st.sampled_from(["", "/", "_q.jpg", "/in/"]))


def answer_or_problem(text: str) -> OwnerQuery | PhotoQuery | LookupProblem:
    try:
        return query_parse(text=text)
    except LookupProblem as problem:
        return problem


@FAST
@given(st.one_of(st.text(max_size=600), lookups()))
@example("https://www.flickr.com/photos/someone/²/")
@example("https://www.flickr.com/photo.gne?id=²")
@example("https://live.staticflickr.com/65535/²_abc_q.jpg")
@example("https://flic.kr/p/" + "z" * 200)
def test_any_text_gives_a_query_or_a_problem_for_the_person(text: str) -> None:
    result = answer_or_problem(text)
    if isinstance(result, LookupProblem):
        assert result.message.strip()
        assert 400 <= result.status < 600
    elif isinstance(result, PhotoQuery):
        assert 1 <= result.photo_id <= 2**63 - 1
    else:
        assert isinstance(result, OwnerQuery)
        assert result.nsid or result.name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "link",
    ["https://www.flickr.com/photos/someone/\u00b2/", "https://www.flickr.com/photo.gne?id=\u00b2"],
)
def test_a_superscript_digit_in_a_photo_link_gets_a_clear_answer_not_a_500(
    client: Client, link: str
) -> None:
    # Found by the property above: "²".isdigit() is true, int("²") is an error.
    response = client.get("/", {"q": link, "format": "json"})
    # The photo.gne link names nothing; the /photos/ one names someone's photostream.
    assert response.status_code in (400, 404)
    assert response.json()["error"]


@FAST
@given(st.integers(min_value=1, max_value=2**63 - 1))
def test_every_photo_id_in_a_photo_link_reads_back_as_itself(photo_id: int) -> None:
    for link in (
        f"https://www.flickr.com/photos/someone/{photo_id}/",
        f"https://live.staticflickr.com/65535/{photo_id}_abcdef1234_b.jpg",
        str(f"www.flickr.com/photo.gne?id={photo_id}"),
    ):
        assert query_parse(text=link) == PhotoQuery(photo_id=photo_id)


# -- manifest readers -------------------------------------------------------------


def read_all(data: bytes | Path, fmt: str) -> list[object]:
    """Every item a reader yields, as the import sees them (errors guarded)."""
    if fmt == "parquet":
        return _parquet_items(data)
    if isinstance(data, Path):
        with open_binary(data) as (stream, _raw):
            return list(_guarded(read(stream, fmt), data))
    stream = io.BufferedReader(io.BytesIO(data))
    return list(_guarded(read(stream, fmt), Path("manifest")))


def _parquet_items(data: bytes | Path) -> list[object]:
    """A Parquet file's items (it is read with seeks, from a file)."""
    with tempfile.TemporaryDirectory() as folder:
        path = data if isinstance(data, Path) else Path(folder) / "manifest.parquet"
        if not isinstance(data, Path):
            path.write_bytes(data)
        with open(path, "rb") as stream:
            items: list[object] = []
            for chunk in _guarded(parquet_chunks(stream, rows_per_chunk=100), path):
                items += chunk.photos + chunk.rejects + [NOT_FLICKR] * chunk.not_flickr
            return items


def assert_rows_or_manifest_error(data: bytes | Path, fmt: str) -> None:
    try:
        items = read_all(data, fmt)
    except ManifestError as error:
        assert str(error).strip()
        return
    for item in items:
        assert isinstance(item, PhotoRow | Reject) or item in (VIDEO, NOT_FLICKR), item
        if isinstance(item, PhotoRow):
            assert 1 <= item.flickr_id <= 2**63 - 1
            assert item.line >= 1
        if isinstance(item, Reject):
            assert item.reason.strip()
            item.raw.encode("utf-8")  # the rejects file is UTF-8: the raw row must be


FIELD = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    ODD_DIGITS,
    st.sampled_from(["12345678@N01", "@N0", "5100000001", "", "%E2%82", "%zz", "a+b", "\x00"]),
)
JSON_VALUE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False),
        st.text(max_size=20),
        ODD_DIGITS,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
ID_KEYS = st.sampled_from(["photo_id", "id", "flickr_id", "owner", "url", "secret", "farm", "x"])


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    sep = draw(st.sampled_from([",", "\t", ";", "|"]))
    header = draw(st.lists(ID_KEYS, min_size=1, max_size=5))
    rows = draw(
        st.lists(st.lists(FIELD, min_size=0, max_size=len(header) + 1), min_size=0, max_size=5)
    )
    text = "\n".join([sep.join(header), *(sep.join(row) for row in rows)])
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + text.encode("utf-8", "surrogatepass")


@st.composite
def jsonl_files(draw: st.DrawFn) -> bytes:
    objects = draw(st.lists(st.dictionaries(ID_KEYS, JSON_VALUE, max_size=4), max_size=5))
    lines = [json.dumps(obj) for obj in objects]
    lines += draw(st.lists(st.text(max_size=30), max_size=2))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def yfcc_files(draw: st.DrawFn) -> bytes:
    columns = draw(st.sampled_from([23, 25, 22]))
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        values = {
            name: draw(FIELD)
            for name in draw(st.lists(st.sampled_from(YFCC_23), max_size=6, unique=True))
        }
        values.setdefault("photo_id", draw(FIELD))
        values.setdefault("marker", draw(st.sampled_from(["0", "1", "2", ""])))
        lines.append(yfcc_line(values, columns=columns if columns != 22 else 23))
    if columns == 22:
        lines = [line.rsplit("\t", 1)[0] for line in lines]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def ffhq_files(draw: st.DrawFn) -> bytes:
    entries = {}
    for key in range(draw(st.integers(min_value=0, max_value=4))):
        metadata = draw(
            st.one_of(
                JSON_VALUE,
                st.fixed_dictionaries(
                    {
                        "photo_url": st.one_of(
                            FIELD,
                            FIELD.map(lambda v: f"https://www.flickr.com/photos/someone/{v}/"),
                        ),
                        "author": JSON_VALUE,
                        "license": JSON_VALUE,
                    }
                ),
            )
        )
        entries[str(key)] = {"category": draw(JSON_VALUE), "metadata": metadata}
        if draw(st.booleans()):
            entries[str(key)]["image"] = {"file_path": draw(JSON_VALUE)}
    text = json.dumps(entries)
    cut = draw(st.integers(min_value=0, max_value=len(text)))
    return text[: cut if draw(st.booleans()) else len(text)].encode()


ANY_MANIFEST = st.one_of(
    st.binary(max_size=400), csv_files(), jsonl_files(), yfcc_files(), ffhq_files()
)


@pytest.mark.parametrize("fmt", FORMATS)
@FAST
@given(data=ANY_MANIFEST)
def test_any_bytes_give_rows_rejects_or_a_manifest_error_from_every_reader(
    fmt: str, data: bytes
) -> None:
    assert_rows_or_manifest_error(data, fmt)


@FAST
@given(data=ANY_MANIFEST, packing=st.sampled_from(["", "gzip", "bzip2", "truncated gzip"]))
def test_any_file_is_sniffed_to_a_format_or_refused_with_a_reason(
    data: bytes, packing: str
) -> None:
    if packing == "gzip":
        data = gzip.compress(data)
    elif packing == "bzip2":
        data = bz2.compress(data)
    elif packing == "truncated gzip":
        data = gzip.compress(data)[:-6]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "manifest.txt"
        path.write_bytes(data)
        try:
            sniffed = sniff(path)
        except ManifestError as error:
            assert str(error).startswith(str(path))
            return
        assert sniffed.fmt in FORMATS
        assert_rows_or_manifest_error(path, sniffed.fmt)


# -- YFCC100M a block at a time: the same rows as line by line ---------------------

# Values the block way must leave to the per-line rules, and plain ones it takes.
YFCC_VALUE = st.one_of(
    st.sampled_from(["", "0", "1", "5", "0042", "12345", "12345678@N01", "1272700000", "jpg"]),
    st.sampled_from(["a+b", "caf%C3%A9", "%22q%22", "%5C", "%0A", "%09", "%0D", "%00", "%01"]),
    st.sampled_from(["50%", "%zz", "%E2%82", "x\\y", "é", '"', "\x01", "\x00", "a" * 600]),
    st.text(alphabet="ab+%09AF", max_size=8),
    # Links: kept only when http(s) (rows.web_link), in any case.
    st.sampled_from(["http://x/1", "https://x/1", "HTTPS://x/1", " http://x", "javascript:x"]),
    st.sampled_from(["data:x", "//x/1", "http:/x", "https:", "Http://x/%41"]),
)
LINE_BREAKS = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r", "\n\n"])


@st.composite
def yfcc_mixed_files(draw: st.DrawFn) -> bytes:
    """Mostly good rows of one layout, with odd values, odd rows and odd line breaks."""
    columns = draw(st.sampled_from([23, 25]))
    names = YFCC_23 if columns == 23 else ("line_number", "photo_id", "photo_hash", *YFCC_23[1:])
    text = draw(st.sampled_from(["", "\ufeff"]))
    for n in range(draw(st.integers(min_value=0, max_value=12))):
        values = {
            "photo_id": draw(st.sampled_from([str(100 + n), str(100 + n % 3), "0", "x"])),
            "user_nsid": draw(st.sampled_from(["12345678@N01", "123@N0", ""])),
            "marker": draw(st.sampled_from(["0", "0", "", "1", "2"])),
            "farm_id": draw(st.sampled_from(["5", "", "99999"])),
        }
        for name in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
            values[name] = draw(YFCC_VALUE)
        line = "\t".join(str(values.get(name, "")) for name in names)
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            line = draw(st.sampled_from([line + "\textra", line.rsplit("\t", 1)[0], "", " "]))
        text += line + draw(LINE_BREAKS)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    return text.encode("utf-8", "surrogatepass")


def _comparable(values: list[str | None]) -> list[tuple[bool, str]]:
    return [(value is None, value or "") for value in values]


def _staged(data: bytes, *, with_line: bool) -> tuple[list, list, int, int, int]:
    """(sorted staged rows, rejects, rows read, videos, links dropped) by the block way."""
    got = list(batches.batches(io.BytesIO(data), "yfcc100m", line=with_line))
    lines = [line for b in got for line in b.data.decode("utf-8").split("\n")[:-1]]
    staged = sorted((batches.parse_copy_line(line) for line in lines), key=_comparable)
    found = [(r.line, r.reason, r.raw) for b in got for r in b.rejects]
    counts = (sum(b.read for b in got), sum(b.videos for b in got))
    return staged, found, *counts, sum(b.links_dropped for b in got)


@pytest.mark.parametrize("with_line", [True, False])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=yfcc_mixed_files(), block=st.sampled_from([64, 300, 1 << 20]))
def test_the_block_way_stages_exactly_what_the_row_reader_reads(
    data: bytes, block: int, with_line: bool
) -> None:
    # Small blocks: lines cross block ends, and some lines are too long.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(readers, "MAX_LINE", block)
        patch.setattr(batches, "ROWS_PER_BATCH", 3)
        reference = list(read(io.BytesIO(data), "yfcc100m"))
        staged, found, rows_read, videos, links_dropped = _staged(data, with_line=with_line)
    expected = sorted(
        (
            batches.parse_copy_line(batches.copy_line(row, line=with_line))
            for row in reference
            if isinstance(row, PhotoRow)
        ),
        key=_comparable,
    )
    assert staged == expected
    assert found == [(r.line, r.reason, r.raw) for r in reference if isinstance(r, Reject)]
    assert rows_read == len(reference)
    assert videos == reference.count(VIDEO)
    assert links_dropped == sum(r.links_dropped for r in reference if isinstance(r, PhotoRow))


@FAST
@given(
    data=st.lists(st.sampled_from(["a", "\t", "é", "\r", "\n", "\r\n", "\xff"]), max_size=40),
    bom=st.booleans(),
)
def test_blocks_break_lines_as_text_mode_does(data: list[str], bom: bool) -> None:
    raw = ("\ufeff" if bom else "").encode() + "".join(data).encode("utf-8", "surrogatepass")
    raw = raw.replace("\xff".encode(), b"\xff")  # a byte that is no UTF-8
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(readers, "MAX_LINE", 200)  # no line here is that long; blocks are short
        by_blocks = list(readers._yfcc_lines(io.BytesIO(raw)))
        by_text = list(readers._text_lines(io.BytesIO(raw)))
    assert by_blocks == by_text
