"""The manifest readers (pure, no database) and the import service behind import_dataset."""

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError
from django.db.backends.utils import CursorWrapper
from pytest_django.fixtures import Settings

from optout.importers import ImportProblem, ManifestError, batches, dataset_import
from optout.importers.batches import parse_copy_line
from optout.importers.readers import VIDEO, PhotoRow, Reject, read
from optout.importers.service import ImportSummary
from optout.importers.sources import open_binary, sniff
from optout.infra.owner_keys import owner_key
from optout.models import Dataset, Photo, Suppression
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.manifests import NSID, OTHER_NSID, ffhq_file, write, yfcc_file, yfcc_row

# What CursorWrapper.execute takes as its parameters.
SQLParams = Sequence[Any] | Mapping[str, Any] | None

# One row as the Webscope file has it, URL-encoding and all.
WEBSCOPE_ROW = (
    "4571314348\t47065077@N00\tkeith+%26+ann\t2010-05-01+12%3A34%3A56.0\t1272709920\t"
    "Canon+EOS+400D+DIGITAL\tOn+the+Wall+%E2%80%93+caf%C3%A9\tA+walk\t"
    "b%26w,hadrian%27s+wall\t\t-2.335453\t55.010991\t12\t"
    "http://www.flickr.com/photos/47065077@N00/4571314348/\t"
    "http://farm5.staticflickr.com/4036/4571314348_03a71b7bbb.jpg\tAttribution+License\t"
    "http://creativecommons.org/licenses/by/2.0/\t4036\t5\t03a71b7bbb\t62ffbfb29f\tjpg\t0"
)


def items(path: Path, fmt: str = "auto") -> list[PhotoRow | Reject | str]:
    sniffed = sniff(path, fmt)
    with open_binary(path) as (stream, _raw):
        return list(read(stream, sniffed.fmt))


def photos(found: list) -> list[PhotoRow]:
    return [item for item in found if isinstance(item, PhotoRow)]


def rejects(found: list) -> list[tuple[int, str]]:
    return [(item.line, item.reason) for item in found if isinstance(item, Reject)]


# -- YFCC100M -------------------------------------------------------------------


def test_it_reads_a_webscope_row_and_decodes_what_it_stores(tmp_path: Path) -> None:
    path = write(tmp_path / "yfcc100m_dataset-0", WEBSCOPE_ROW + "\n")

    assert sniff(path).fmt == "yfcc100m"
    [row] = items(path)
    assert isinstance(row, PhotoRow)
    assert row.flickr_id == 4571314348
    assert row.owner_nsid == "47065077@N00"
    assert row.owner_name == "keith & ann"
    assert row.title == "On the Wall \u2013 café"
    assert row.license == "Attribution License"
    assert (row.server, row.farm, row.secret) == ("4036", 5, "03a71b7bbb")
    assert row.page_url == "http://www.flickr.com/photos/47065077@N00/4571314348/"
    assert row.extra["date_taken"] == "2010-05-01 12:34:56.0"
    # Descriptions, tags and coordinates are not kept.
    assert "description" not in row.extra and "longitude" not in row.extra


def test_it_reads_the_25_column_layout_with_line_number_and_hash(tmp_path: Path) -> None:
    path = yfcc_file(tmp_path / "yfcc.tsv", [yfcc_row(7, columns=25, title="Caf%C3%A9")])

    assert sniff(path).yfcc_columns == 25
    [row] = items(path)
    assert isinstance(row, PhotoRow)
    assert row.flickr_id == 7
    assert row.owner_nsid == NSID
    assert row.title == "Caf%C3%A9"  # encoded once more by the writer, decoded once
    assert row.extra["photo_hash"] == "4f6a6b1c3e6a1f0d2b9c8e7a6d5c4b3a"


def test_it_skips_video_rows(tmp_path: Path) -> None:
    path = yfcc_file(tmp_path / "yfcc.tsv", [yfcc_row(1), yfcc_row(2, marker=1), yfcc_row(3)])

    found = items(path)
    assert found.count(VIDEO) == 1
    assert [row.flickr_id for row in photos(found)] == [1, 3]


def test_each_bad_yfcc_row_is_rejected_with_its_line_and_reason(tmp_path: Path) -> None:
    good = yfcc_row(1)
    lines = [
        good.encode(),
        b"\t".join(good.encode().split(b"\t")[:20]),  # 2: too few columns
        yfcc_row("12ab").encode(),  # 3
        yfcc_row(4, user_nsid="john@flickr").encode(),  # 4
        yfcc_row(5).encode().replace(b"john", b"jo\xffhn"),  # 5: not UTF-8
        yfcc_row("").encode(),  # 6
        yfcc_row(7).encode(),
    ]
    path = write(tmp_path / "yfcc.tsv", b"\n".join(lines) + b"\n")

    found = items(path)
    assert [row.flickr_id for row in photos(found)] == [1, 7]
    assert rejects(found) == [
        (2, "wrong column count: 20, expected 23"),
        (3, "non-numeric photo id '12ab'"),
        (4, "malformed NSID 'john@flickr' (expected digits, @N, two digits)"),
        (5, "bad UTF-8"),
        (6, "missing photo id"),
    ]
    bad_utf8 = next(item for item in found if isinstance(item, Reject) and item.line == 5)
    assert "\\xff" in bad_utf8.raw  # shown, not lost


def test_a_nul_in_encoded_text_is_dropped_not_fatal(tmp_path: Path) -> None:
    path = yfcc_file(tmp_path / "yfcc.tsv", [yfcc_row(1).replace("Photo+1", "Pho%00to")])

    [row] = items(path)
    assert isinstance(row, PhotoRow)
    assert row.title == "Photo"


# -- CSV, JSON lines, FFHQ ---------------------------------------------------------


def test_it_maps_common_csv_column_names_and_keeps_the_rest(tmp_path: Path) -> None:
    path = write(
        tmp_path / "dif.csv",
        "Photo ID,username,Title,URL,files,face_box\n"
        f'11,alice,"Beach, day",https://www.flickr.com/photos/{NSID}/11/,a/11.jpg; b/11.jpg,1 2 3\n'
        "12,bob,,https://www.flickr.com/photos/bobsalias/12/,,\n",
    )

    assert sniff(path).fmt == "csv"
    first, second = photos(items(path))
    assert (first.flickr_id, first.owner_name, first.title) == (11, "alice", "Beach, day")
    assert first.owner_nsid == NSID  # from the page URL, there being no owner column
    assert first.file_keys == ["a/11.jpg", "b/11.jpg"]
    assert first.extra == {"face_box": "1 2 3"}
    assert (second.owner_nsid, second.owner_name) == ("", "bob")


def test_csv_rejects_name_the_line_where_the_record_starts(tmp_path: Path) -> None:
    path = write(
        tmp_path / "dif.csv",
        'photo_id,owner,title\n1,12345678@N01,"two\nlines"\n2,nobody,x\nx,12345678@N01,y\n3,,z,extra\n',
    )

    found = items(path)
    assert [row.flickr_id for row in photos(found)] == [1]
    assert photos(found)[0].title == "two\nlines"
    assert rejects(found) == [
        (4, "malformed NSID 'nobody' (expected digits, @N, two digits)"),
        (5, "non-numeric photo id 'x'"),
        (6, "wrong column count: 4, expected 3"),
    ]


def test_it_reads_json_lines_with_the_same_field_names(tmp_path: Path) -> None:
    path = write(
        tmp_path / "dif.jsonl",
        json.dumps({"flickr_id": 21, "owner_nsid": NSID, "file_keys": ["x/21.jpg"], "age": 30})
        + "\n\n{not json\n"
        + json.dumps(["a list"])
        + "\n"
        + json.dumps({"id": "22", "user_nsid": OTHER_NSID, "files": "y/22.jpg;z/22.jpg"})
        + "\n",
    )

    found = items(path)
    first, second = photos(found)
    assert (first.flickr_id, first.owner_nsid, first.file_keys) == (21, NSID, ["x/21.jpg"])
    assert first.extra == {"age": 30}
    assert (second.flickr_id, second.file_keys) == (22, ["y/22.jpg", "z/22.jpg"])
    assert [line for line, _ in rejects(found)] == [3, 4]
    assert rejects(found)[0][1].startswith("invalid JSON")
    assert rejects(found)[1][1] == "not a JSON object"


def test_it_streams_ffhq_metadata_and_takes_the_owner_from_the_photo_url(tmp_path: Path) -> None:
    path = ffhq_file(
        tmp_path / "ffhq-dataset-v2.json",
        [
            f"https://www.flickr.com/photos/{NSID}/31/",
            "https://www.flickr.com/photos/jfrumkin/32/",
            "https://example.com/not-flickr.jpg",
        ],
    )

    assert sniff(path).fmt == "ffhq"
    found = items(path)
    by_nsid, by_alias = photos(found)
    assert (by_nsid.flickr_id, by_nsid.owner_nsid, by_nsid.owner_name) == (
        31,
        NSID,
        "Jeremy Frumkin",
    )
    assert (by_alias.flickr_id, by_alias.owner_nsid, by_alias.owner_name) == (32, "", "jfrumkin")
    assert by_nsid.file_keys == [
        "images1024x1024/00000/00000.png",
        "thumbnails128x128/00000/00000.png",
        "in-the-wild-images/00000/00000.png",
    ]
    assert by_nsid.title == "DSCF0899.JPG"
    assert by_nsid.license == "Attribution-NonCommercial License"
    assert by_nsid.extra["ffhq_index"] == "0"
    assert "face_landmarks" not in json.dumps(by_nsid.extra)
    assert rejects(found) == [
        (3, "image '2': photo_url 'https://example.com/not-flickr.jpg' is not a Flickr photo page")
    ]


@pytest.mark.parametrize("packing", ["gzip", "bzip2"])
@pytest.mark.parametrize("kind", ["yfcc", "ffhq"])
def test_compressed_files_are_recognised_by_their_bytes_not_their_name(
    tmp_path: Path, packing: str, kind: str
) -> None:
    # Named .txt on purpose: only the magic bytes say what it is.
    if kind == "yfcc":
        path = yfcc_file(tmp_path / "manifest.txt", [yfcc_row(1), yfcc_row(2)], packing)
    else:
        url = f"https://www.flickr.com/photos/{NSID}/"
        path = ffhq_file(tmp_path / "manifest.txt", [url + "1/", url + "2/"], packing)

    sniffed = sniff(path)
    assert (sniffed.fmt, sniffed.compression) == ("yfcc100m" if kind == "yfcc" else "ffhq", packing)
    assert [row.flickr_id for row in photos(items(path))] == [1, 2]


# -- not a manifest at all -----------------------------------------------------------

NOT_MANIFESTS = {
    "empty": (b"", "is empty"),
    "blank": (b"\n \n", "is empty"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a PNG image"),
    "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF", "is a JPEG image"),
    "html": (b"<!DOCTYPE html>\n<html><body>Sign in</body></html>", "HTML"),
    "text": (b"Lorem ipsum dolor sit amet\nconsectetur\n", "does not look like a dataset"),
    "csv without id": (b"name,email\nAda,ada@example.com\n", "has no photo id column"),
    "json without id": (b'{"name": "Ada"}\n', "no photo id field"),
    "binary": (b"\x01\x02\x00\x03garbage", "binary file"),
}


@pytest.mark.parametrize("name", NOT_MANIFESTS)
def test_a_file_that_is_not_a_manifest_is_refused_with_the_problem_named(
    tmp_path: Path, name: str
) -> None:
    content, message = NOT_MANIFESTS[name]
    path = write(tmp_path / "upload.tsv", content)

    with pytest.raises(ManifestError, match=message):
        sniff(path)


def test_a_format_given_by_hand_is_checked_too(tmp_path: Path) -> None:
    path = write(tmp_path / "dif.csv", "photo_id,owner\n1,12345678@N01\n")

    with pytest.raises(ManifestError, match="1 tab-separated column"):
        sniff(path, "yfcc100m")
    with pytest.raises(ManifestError, match="not FFHQ metadata"):
        sniff(path, "ffhq")
    assert sniff(path, "csv").fmt == "csv"


# -- the import service (database) -----------------------------------------------------


def import_file(path: Path, slug: str = "dif", **options: str) -> ImportSummary:
    return dataset_import(slug=slug, path=path, **options)


@pytest.mark.django_db
def test_an_import_creates_the_dataset_and_counts_every_row(
    tmp_path: Path, settings: Settings
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    path = yfcc_file(
        tmp_path / "dif.tsv",
        [yfcc_row(1), yfcc_row(2, marker=1), yfcc_row("x"), yfcc_row(3), yfcc_row(1)],
    )

    summary = import_file(path, release="1.0", name="Diversity in Faces")

    dataset = Dataset.objects.get(slug="dif")
    assert (dataset.name, dataset.release, dataset.photo_count) == ("Diversity in Faces", "1.0", 2)
    assert dataset.source == "YFCC100M (Flickr)"
    assert sorted(dataset.photos.values_list("flickr_id", flat=True)) == [1, 3]
    assert set(dataset.photos.values_list("release", flat=True)) == {"1.0"}
    assert (summary.rows_read, summary.imported, summary.updated) == (5, 2, 0)
    assert (summary.skipped_videos, summary.duplicates, summary.rejected) == (1, 1, 1)
    assert summary.rejects_path is not None
    assert summary.rejects_path.parent == settings.VAR_DIR / "imports"
    with open(summary.rejects_path, newline="") as f:
        assert list(csv.reader(f))[1][:2] == ["3", "non-numeric photo id 'x'"]


@pytest.mark.django_db
def test_a_clean_import_leaves_no_rejects_file(tmp_path: Path) -> None:
    summary = import_file(yfcc_file(tmp_path / "dif.tsv", [yfcc_row(1)]))

    assert summary.rejects_path is None
    assert summary.photo_count == 1


@pytest.mark.django_db
def test_a_file_that_is_not_a_manifest_stops_before_anything_is_written(
    tmp_path: Path, settings: Settings
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    path = write(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")

    with pytest.raises(ManifestError, match="JPEG"):
        import_file(path)
    assert not Dataset.objects.exists()
    assert not (settings.VAR_DIR / "imports").exists()


@pytest.mark.django_db
def test_a_bad_slug_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportProblem, match="not a valid dataset slug"):
        import_file(yfcc_file(tmp_path / "dif.tsv", [yfcc_row(1)]), slug="Diversity in Faces")


@pytest.mark.django_db
def test_reimporting_a_newer_release_updates_rows_in_place(tmp_path: Path) -> None:
    import_file(yfcc_file(tmp_path / "v1.tsv", [yfcc_row(1), yfcc_row(2)]), release="1.0")
    before = dict(Photo.objects.values_list("flickr_id", "pk"))

    summary = import_file(
        yfcc_file(tmp_path / "v2.tsv", [yfcc_row(1, title="Renamed"), yfcc_row(3)]),
        release="2.0",
    )

    assert (summary.imported, summary.updated) == (1, 1)
    photo = Photo.objects.get(flickr_id=1)
    assert (photo.pk, photo.title, photo.release) == (before[1], "Renamed", "2.0")
    assert Photo.objects.get(flickr_id=2).release == "1.0"  # not in 2.0; left as it was
    dataset = Dataset.objects.get(slug="dif")
    assert (dataset.release, dataset.photo_count) == ("2.0", 3)


@pytest.mark.django_db
def test_the_same_file_twice_gives_the_same_rows(tmp_path: Path) -> None:
    path = yfcc_file(tmp_path / "dif.tsv", [yfcc_row(n) for n in range(1, 6)])
    import_file(path, release="1.0")

    summary = import_file(path)

    assert (summary.imported, summary.updated, summary.unchanged) == (0, 0, 5)
    assert Photo.objects.count() == 5
    assert Dataset.objects.get(slug="dif").release == "1.0"


@pytest.mark.django_db
def test_a_removed_photo_stays_removed_and_untouched(tmp_path: Path) -> None:
    dataset = DatasetFactory(slug="dif")
    removed = PhotoFactory(
        dataset=dataset, flickr_id=1, title="Old", release="1.0", state=Photo.State.REMOVED
    )
    PhotoFactory(dataset=dataset, flickr_id=2)

    summary = import_file(
        yfcc_file(tmp_path / "dif.tsv", [yfcc_row(1, title="New"), yfcc_row(2), yfcc_row(3)]),
        release="2.0",
    )

    removed.refresh_from_db()
    assert (removed.state, removed.title, removed.release) == ("removed", "Old", "1.0")
    assert (summary.imported, summary.updated, summary.skipped_removed) == (1, 1, 1)
    assert Dataset.objects.get(pk=dataset.pk).photo_count == 2


@pytest.mark.django_db
def test_suppressed_photos_and_owners_are_not_brought_back(tmp_path: Path) -> None:
    dataset = DatasetFactory(slug="dif")
    other = DatasetFactory(slug="ffhq")
    Suppression.objects.create(kind="photo", flickr_id=1, dataset=dataset)
    Suppression.objects.create(kind="photo", flickr_id=2)  # every dataset
    Suppression.objects.create(kind="photo", flickr_id=3, dataset=other)  # not this one
    Suppression.objects.create(kind="owner", owner_key=owner_key(OTHER_NSID))
    rows = [yfcc_row(n) for n in (1, 2, 3, 4)] + [yfcc_row(5, user_nsid=OTHER_NSID)]

    summary = import_file(yfcc_file(tmp_path / "dif.tsv", rows))

    assert sorted(dataset.photos.values_list("flickr_id", flat=True)) == [3, 4]
    assert (summary.imported, summary.skipped_removed) == (2, 3)


@pytest.mark.django_db
def test_an_owner_is_matched_by_the_keyed_hash_so_the_key_must_not_change(
    tmp_path: Path, settings: Settings
) -> None:
    Suppression.objects.create(kind="owner", owner_key=owner_key(NSID))
    rows = [yfcc_row(1), yfcc_row(2, user_nsid=OTHER_NSID)]

    kept_out = import_file(yfcc_file(tmp_path / "dif.tsv", rows))
    assert (kept_out.imported, kept_out.skipped_removed) == (1, 1)

    # A deployment that changed OWNER_KEY_SECRET no longer recognises the owner:
    # the reason README says to set it once and keep it.
    settings.OWNER_KEY_SECRET = "another-secret"
    again = import_file(yfcc_file(tmp_path / "dif2.tsv", rows))
    assert (again.imported, again.skipped_removed) == (1, 0)


@pytest.mark.django_db
def test_an_owner_suppressed_for_another_dataset_still_comes_in_here(tmp_path: Path) -> None:
    Suppression.objects.create(
        kind="owner", owner_key=owner_key(NSID), dataset=DatasetFactory(slug="x")
    )

    summary = import_file(yfcc_file(tmp_path / "dif.tsv", [yfcc_row(1)]))

    assert summary.imported == 1


@pytest.mark.django_db
def test_a_photo_listed_twice_is_kept_once_with_the_file_keys_of_both(tmp_path: Path) -> None:
    # FFHQ crops several faces out of one Flickr photo: one entry per face.
    url = f"https://www.flickr.com/photos/{NSID}/"
    path = ffhq_file(tmp_path / "ffhq.json", [url + "1/", url + "2/", url + "1/"])

    summary = import_file(path, slug="ffhq")

    assert (summary.imported, summary.duplicates) == (2, 1)
    photo = Photo.objects.get(flickr_id=1)
    assert photo.extra["ffhq_index"] == "0"  # the first entry wins
    assert photo.file_keys == [
        "images1024x1024/00000/00000.png",
        "thumbnails128x128/00000/00000.png",
        "in-the-wild-images/00000/00000.png",
        "images1024x1024/00000/00002.png",
        "thumbnails128x128/00000/00002.png",
        "in-the-wild-images/00000/00002.png",
    ]


@pytest.mark.django_db
def test_csv_and_json_lines_import_with_file_keys_and_extra(tmp_path: Path) -> None:
    import_file(
        write(tmp_path / "a.csv", f"id,owner,file_keys,note\n1,{NSID},k/1.png,hi\n"), slug="a"
    )
    import_file(
        write(tmp_path / "b.jsonl", json.dumps({"photo_id": 2, "owner": NSID, "n": [1]}) + "\n"),
        slug="b",
    )

    one, two = Photo.objects.order_by("flickr_id")
    assert (one.file_keys, one.extra, one.owner_nsid) == (["k/1.png"], {"note": "hi"}, NSID)
    assert (two.file_keys, two.extra) == ([], {"n": [1]})


@pytest.mark.django_db
def test_text_longer_than_its_column_is_cut_not_fatal(tmp_path: Path) -> None:
    long_title = "word " * 200

    import_file(write(tmp_path / "a.csv", f'photo_id,title\n1,"{long_title}"\n'))

    assert Photo.objects.get().title == long_title[:500]


@pytest.mark.django_db
def test_a_file_that_breaks_off_half_way_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    dataset = DatasetFactory(slug="dif", release="1.0")
    PhotoFactory(dataset=dataset, flickr_id=1, title="Kept")
    whole = yfcc_file(
        tmp_path / "v2.tsv.gz", [yfcc_row(n, title="Changed") for n in range(1, 2000)], "gzip"
    )
    truncated = write(tmp_path / "cut.tsv.gz", whole.read_bytes()[:-200])

    with pytest.raises(ManifestError, match="could not be read to the end"):
        import_file(truncated, release="2.0")

    assert list(Photo.objects.values_list("flickr_id", "title")) == [(1, "Kept")]
    assert Dataset.objects.get(slug="dif").release == "1.0"


@pytest.mark.django_db
def test_a_broken_ffhq_file_creates_no_dataset(tmp_path: Path) -> None:
    url = f"https://www.flickr.com/photos/{NSID}/"
    whole = ffhq_file(tmp_path / "ffhq.json", [url + f"{n}/" for n in range(1, 50)])
    truncated = write(tmp_path / "cut.json", whole.read_bytes()[: whole.stat().st_size // 2])

    with pytest.raises(ManifestError, match="could not be read to the end"):
        import_file(truncated, slug="ffhq")

    assert not Dataset.objects.exists()
    assert not Photo.objects.exists()


@pytest.mark.django_db
def test_a_database_failure_in_the_merge_writes_nothing(tmp_path: Path) -> None:
    dataset = DatasetFactory(slug="dif", release="1.0")
    PhotoFactory(dataset=dataset, flickr_id=1, title="Kept")
    real_execute = CursorWrapper.execute

    def failing_merge(self: CursorWrapper, sql: str, params: SQLParams = None) -> object:
        if sql.startswith("INSERT INTO optout_photo"):
            real_execute(self, sql, params)  # the rows are written…
            raise DatabaseError("server closed the connection unexpectedly")  # …then it dies
        return real_execute(self, sql, params)

    path = yfcc_file(tmp_path / "v2.tsv", [yfcc_row(1, title="Changed"), yfcc_row(2)])
    with (
        mock.patch.object(CursorWrapper, "execute", failing_merge),
        pytest.raises(DatabaseError),
    ):
        import_file(path, release="2.0")

    assert list(Photo.objects.values_list("flickr_id", "title")) == [(1, "Kept")]
    assert Dataset.objects.get(slug="dif").release == "1.0"


# -- COPY batches: the fast way for YFCC100M, and the reading child ------------------

TRICKY_YFCC_ROWS = [
    yfcc_row(1, user_nickname="ann é"),
    yfcc_row(2, title="tab\there", user_nickname="back\\slash"),
    yfcc_row(3, title="line\nbreak\rand return", date_taken=""),
    yfcc_row(4, date_uploaded='12"34', secret_original=""),
    yfcc_row(5, farm_id=""),
    yfcc_row("0006"),
    yfcc_row(7, marker=""),
    yfcc_row(8).replace("Photo+8", "50%25+off+%ZZ+%E2"),
    yfcc_row(9, page_url="http://www.flickr.com/photos/x/9/\\"),
    yfcc_row(10, page_url="http://www.flickr.com/photos/café/10/"),
    yfcc_row(11, marker=1),
    yfcc_row("x"),
    yfcc_row(12, title="a+b \\N"),
    yfcc_row(13, user_nsid="bad"),
    yfcc_row(0),
    yfcc_row(14, farm_id="123456"),
]


def staged_rows(lines: list[str]) -> list[tuple]:
    """COPY text lines as comparable values, the JSON columns parsed."""
    rows = [parse_copy_line(line) for line in lines]
    return sorted(
        (
            int(_not_null(row[0])),
            *row[1:11],
            json.loads(_not_null(row[11])),
            json.loads(_not_null(row[12])),
        )
        for row in rows
    )


def _not_null(value: str | None) -> str:
    assert value is not None, "the photo id and the JSON columns are never NULL"
    return value


def test_the_fast_way_stages_exactly_what_the_row_reader_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "ROWS_PER_BATCH", 3)
    path = yfcc_file(tmp_path / "tricky.tsv", TRICKY_YFCC_ROWS)
    found = items(path)

    with open_binary(path) as (stream, _raw):
        got = list(batches.batches(stream, "yfcc100m"))
    lines = [line for batch in got for line in batch.data.decode().split("\n")[:-1]]

    expected = staged_rows([batches.copy_line(row) for row in photos(found)])
    assert staged_rows(lines) == expected
    assert len(expected) == 11
    assert expected[7][3:5] == ("john doe", "50% off %ZZ \ufffd")
    assert sum(batch.rows for batch in got) == 11
    assert sum(batch.read for batch in got) == len(found) == 16
    assert sum(batch.videos for batch in got) == 1
    assert [(r.line, r.reason) for b in got for r in b.rejects] == rejects(found)


@pytest.mark.django_db(transaction=True)
def test_a_big_file_is_read_in_a_child_process_with_the_same_result(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    monkeypatch.setattr(batches, "PARALLEL_FROM_BYTES", 0)
    path = yfcc_file(tmp_path / "dif.tsv", [*TRICKY_YFCC_ROWS, yfcc_row(1)])

    with mock.patch.object(batches, "parallel", wraps=batches.parallel) as parallel:
        summary = import_file(path)

    assert parallel.called
    assert (summary.rows_read, summary.imported, summary.duplicates) == (17, 11, 1)
    assert (summary.skipped_videos, summary.rejected) == (1, 4)
    assert Photo.objects.get(flickr_id=3).title == "line\nbreak\rand return"
    assert Photo.objects.get(flickr_id=2).owner_name == "back\\slash"
    assert summary.rejects_path is not None
    with open(summary.rejects_path, newline="") as f:
        assert [row[0] for row in csv.reader(f)][1:] == ["12", "14", "15", "16"]


@pytest.mark.django_db(transaction=True)
def test_a_child_that_cannot_read_to_the_end_stops_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "PARALLEL_FROM_BYTES", 0)
    whole = yfcc_file(tmp_path / "v1.tsv.gz", [yfcc_row(n) for n in range(1, 2000)], "gzip")
    truncated = write(tmp_path / "cut.tsv.gz", whole.read_bytes()[:-200])

    with pytest.raises(ManifestError, match="could not be read to the end"):
        import_file(truncated, release="1.0")

    assert not Dataset.objects.exists()
    assert not Photo.objects.exists()
