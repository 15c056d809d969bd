"""Datasets of links (LAION-like): Parquet, CSV or JSON lines whose only Flickr information
is a link. A Flickr photo's row is kept with the id, server and secret its link gives and
the rest of the row in `extra`; any other row is counted as not Flickr, never rejected.
The look-up by photo link finds such a photo at once, though it has no owner yet."""

import io
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from optout.importers import ManifestError, batches, dataset_import
from optout.importers.links import NOT_FLICKR, link_row
from optout.importers.parquet import parquet_chunks
from optout.importers.sources import sniff
from optout.models import Photo
from tests.support.manifests import write

pytestmark = pytest.mark.django_db

STATIC = "http://farm4.staticflickr.com/3181/2920911148_00e3cd0e9f.jpg"
LIVE = "https://live.staticflickr.com/65535/51234567890_abcdef1234_b.jpg"
CDN = "https://c1.staticflickr.com/1/532/19823483022_e2bb04dbc4_z.jpg"
PAGE = "https://www.flickr.com/photos/12345678@N01/5100000001/"
SHORT = "https://flic.kr/p/7Afjsu"  # photo 4325695128
ELSEWHERE = "https://i.pinimg.com/736x/aa/bb/cc/aabbcc.jpg"
PROFILE = "https://www.flickr.com/photos/bees/"  # Flickr, but no one photo


def laion(path: Path, links: Sequence[str | None], *, row_group_size: int = 1000) -> Path:
    """A LAION-like Parquet file: URL, TEXT, WIDTH, HEIGHT, similarity."""
    n = len(links)
    table = pa.table(
        {
            "URL": pa.array(links, pa.string()),
            "TEXT": [f"caption {i}" for i in range(n)],
            "WIDTH": pa.array([640] * n, pa.int64()),
            "HEIGHT": pa.array([480] * n, pa.int32()),
            "similarity": pa.array([0.31 if i else float("nan") for i in range(n)]),
        }
    )
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def test_a_parquet_file_is_found_by_its_magic_bytes(tmp_path: Path) -> None:
    path = laion(tmp_path / "part-00000.snappy", [STATIC])
    assert sniff(path).fmt == "parquet"
    with pytest.raises(ManifestError, match="is a Parquet file, not csv"):
        sniff(path, "csv")
    with pytest.raises(ManifestError, match="is not a Parquet file"):
        sniff(write(tmp_path / "x.csv", "url\nhttps://flic.kr/p/7Afjsu\n"), "parquet")


def test_a_parquet_file_of_links_keeps_the_flickr_photos_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    path = laion(
        tmp_path / "laion.parquet",
        [STATIC, ELSEWHERE, LIVE, None, CDN, PAGE, SHORT, PROFILE, ""],
    )

    summary = dataset_import(slug="laion", path=path)

    assert (summary.fmt, summary.rows_read, summary.imported) == ("parquet", 9, 5)
    assert (summary.not_flickr, summary.rejected) == (4, 0)
    assert "  skipped: not Flickr" in "\n".join(summary.lines())
    photo = Photo.objects.get(flickr_id=2_920_911_148)
    assert (photo.server, photo.secret, photo.farm) == ("3181", "00e3cd0e9f", 4)
    assert photo.image_url == STATIC and photo.owner_nsid == ""
    assert photo.extra == {
        "TEXT": "caption 0",
        "WIDTH": 640,
        "HEIGHT": 480,
    }  # NaN similarity left out: PostgreSQL's json holds no NaN
    live = Photo.objects.get(flickr_id=51_234_567_890)
    assert (live.server, live.secret, live.extra["similarity"]) == ("65535", "abcdef1234", 0.31)
    assert Photo.objects.get(flickr_id=19_823_483_022).farm == 1
    page = Photo.objects.get(flickr_id=5_100_000_001)
    assert (page.owner_nsid, page.page_url) == ("12345678@N01", PAGE)
    assert Photo.objects.filter(flickr_id=4_325_695_128).exists()


def test_a_parquet_file_is_read_a_batch_at_a_time_across_row_groups(tmp_path: Path) -> None:
    links = [
        f"https://live.staticflickr.com/65535/{1_000_000 + i}_abc{i:05d}_b.jpg"
        if i % 3 == 0
        else f"https://example.org/{i}.jpg"
        for i in range(12_001)
    ]
    path = laion(tmp_path / "big.parquet", links, row_group_size=2_500)

    summary = dataset_import(slug="laion", path=path)

    assert summary.rows_read == 12_001
    assert summary.imported == 4_001 and summary.not_flickr == 8_000


def test_a_parquet_file_without_a_link_or_id_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"caption": ["a"], "width": [1]}), path)
    with pytest.raises(ManifestError, match=r"neither a photo id column .* nor a link column"):
        dataset_import(slug="laion", path=path)
    assert not Photo.objects.exists()


def test_a_truncated_parquet_file_is_a_clear_error(tmp_path: Path) -> None:
    path = laion(tmp_path / "laion.parquet", [STATIC] * 100)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ManifestError, match="Parquet file cannot be read"):
        dataset_import(slug="laion", path=path)


def test_a_parquet_file_with_photo_ids_reads_like_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    pq.write_table(
        pa.table(
            {
                "photo_id": ["5100000001", "not a number"],
                "owner": ["12345678@N01", "12345678@N01"],
                "caption": ["a bee", "b"],
            }
        ),
        path,
    )
    summary = dataset_import(slug="ids", path=path, fmt="parquet")
    assert (summary.imported, summary.rejected) == (1, 1)
    assert Photo.objects.get().extra == {"caption": "a bee"}


def test_a_csv_whose_only_flickr_information_is_a_link(tmp_path: Path) -> None:
    manifest = write(
        tmp_path / "links.csv",
        f'url,caption,width\n{STATIC},"a bee, close",640\n{ELSEWHERE},other,1\n'
        f"{PROFILE},profile,2\n",
    )

    summary = dataset_import(slug="links", path=manifest)

    assert (summary.fmt, summary.imported, summary.not_flickr, summary.rejected) == (
        "csv", 1, 2, 0,
    )  # fmt: skip
    assert Photo.objects.get().extra == {"caption": "a bee, close", "width": "640"}


@pytest.mark.parametrize("column", ["url", "URL", "image_url", "link"])
def test_json_lines_with_a_link_field(tmp_path: Path, column: str) -> None:
    lines = [{column: LIVE, "caption": "x", "punsafe": None}, {column: ELSEWHERE}, {column: 7}]
    manifest = write(tmp_path / "links.jsonl", "".join(json.dumps(o) + "\n" for o in lines))

    summary = dataset_import(slug="links", path=manifest)

    assert (summary.fmt, summary.imported, summary.not_flickr) == ("jsonl", 1, 2)
    assert Photo.objects.get().extra == {"caption": "x"}


def test_a_link_row_is_read_as_the_look_up_reads_links() -> None:
    assert link_row(1, "not a link at all", {}) is NOT_FLICKR
    assert link_row(1, "https://flic.kr/p/0OIl", {}) is NOT_FLICKR  # not base58
    row = link_row(3, "farm4.staticflickr.com/3181/2920911148_00e3cd0e9f.jpg", {})
    assert row is not NOT_FLICKR and not isinstance(row, str)
    # A link without a scheme names the photo, but is no link our pages may show.
    assert (row.flickr_id, row.image_url, row.links_dropped) == (2_920_911_148, "", 1)


def test_the_look_up_by_photo_link_finds_such_a_photo_at_once(
    tmp_path: Path, client: Client
) -> None:
    dataset_import(slug="laion", path=laion(tmp_path / "l.parquet", [STATIC]), name="LAION")
    page = client.get(reverse("home"), {"q": STATIC}).content.decode()
    assert "This photo is in LAION" in page


def test_the_command_detects_parquet_and_prints_the_not_flickr_count(tmp_path: Path) -> None:
    path = laion(tmp_path / "l.parquet", [STATIC, ELSEWHERE])
    out = io.StringIO()
    call_command("import_dataset", "laion", str(path), stdout=out)
    text = out.getvalue()
    assert "(Parquet)" in text
    assert "skipped: not Flickr" in text
    with pytest.raises(CommandError, match="not a Parquet file"):
        call_command(
            "import_dataset", "x", str(write(tmp_path / "a.csv", "id\n1\n")), "--format", "parquet"
        )


LINK_PARTS = st.tuples(
    st.sampled_from(["http://", "https://", "HTTPS://", "", " https://"]),
    st.sampled_from(["live.", "farm4.", "farm99999.", "c1.", "", "www.", "LIVE.", "farm0."]),
    st.sampled_from(["staticflickr.com", "static.flickr.com", "flickr.com", "flic.kr"]),
    st.sampled_from(["", "/1", "/12", "/a"]),
    st.sampled_from(["/65535", "/3181", "/0", "/x"]),
    st.one_of(st.integers(min_value=0, max_value=2**64), st.just(2**63 - 1)),
    st.sampled_from(["_abcdef1234", "_ABC", "_", "_a-b", ""]),
    st.sampled_from(["", "_b", "_o", "_O", "_zz99", "_"]),
    st.sampled_from([".jpg", ".JPG", ".jpeg", ".png", ".gif", ".webp", ".jpg?x=1", ""]),
)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(LINK_PARTS, min_size=1, max_size=20))
def test_the_fast_way_through_a_parquet_file_reads_links_as_the_look_up_does(
    parts: list[tuple[object, ...]],
) -> None:
    links = ["".join(str(p) for p in part) for part in parts]
    table = pa.table({"url": links, "n": list(range(len(links)))})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "links.parquet"
        pq.write_table(table, path)
        with open(path, "rb") as stream:
            (chunk,) = parquet_chunks(stream, rows_per_chunk=100)
    expected = [link_row(i + 1, link, {"n": i}) for i, link in enumerate(links)]
    rows = [row for row in expected if row is not NOT_FLICKR]
    assert chunk.photos == rows
    assert chunk.not_flickr == len(expected) - len(rows)


def test_the_reading_process_reads_links_without_django_set_up(tmp_path: Path) -> None:
    # Big files are read in a child process with no apps registry: the look-up's parser,
    # whose messages would be translated, must not need one for the links it refuses.
    rows = [STATIC, PROFILE, "https://cdn.flowers.example/fl.jpg", SHORT, PAGE, ELSEWHERE]
    manifest = write(tmp_path / "links.csv", "url,caption\n" + "".join(f"{r},x\n" for r in rows))
    parquet = laion(tmp_path / "links.parquet", rows)

    for path, fmt in ((manifest, "csv"), (parquet, "parquet")):
        read = list(batches.parallel(path, fmt))
        assert sum(b.rows for b in read) == 3, fmt
        assert sum(b.not_flickr for b in read) == 3, fmt
