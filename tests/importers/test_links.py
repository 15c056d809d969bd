"""Links in a manifest become an href or an img src on our pages: only http(s) ones are
kept. A row with any other link is still imported, without that link, and the summary
counts the links dropped."""

import io
import json
from pathlib import Path

import pytest

from optout.importers import dataset_import
from optout.importers.readers import PhotoRow, read
from optout.models import Photo
from tests.support.manifests import NSID, write, yfcc_file, yfcc_row

pytestmark = pytest.mark.django_db
SCRIPT = "javascript:alert(document.cookie)"
DATA = "data:text/html,<script>alert(1)</script>"


def test_a_csv_row_with_a_script_link_is_imported_without_it(tmp_path: Path) -> None:
    manifest = write(
        tmp_path / "list.csv",
        "flickr_id,owner_nsid,page_url,image_url\n"
        f"1,{NSID},{SCRIPT},https://live.staticflickr.com/65535/1_abc.jpg\n"
        f'2,{NSID},HTTPS://www.flickr.com/photos/x/2/,"{DATA}"\n',
    )

    summary = dataset_import(slug="mine", path=manifest, fmt="csv")

    links = dict(Photo.objects.values_list("flickr_id", "page_url"))
    images = dict(Photo.objects.values_list("flickr_id", "image_url"))
    assert links == {1: "", 2: "HTTPS://www.flickr.com/photos/x/2/"}
    assert images == {1: "https://live.staticflickr.com/65535/1_abc.jpg", 2: ""}
    assert (summary.imported, summary.rejected, summary.links_dropped) == (2, 0, 2)
    assert any(
        line.split()[:4] == ["links", "dropped:", "not", "http(s)"] and line.split()[-1] == "2"
        for line in summary.lines()
    ), summary.lines()


def test_a_json_lines_row_keeps_only_http_links() -> None:
    line = json.dumps({"flickr_id": 3, "page_url": " javascript:x", "image_url": "//evil/x.jpg"})
    (row,) = read(io.BufferedReader(io.BytesIO(line.encode())), "jsonl")
    assert isinstance(row, PhotoRow)
    assert (row.page_url, row.image_url, row.links_dropped) == ("", "", 2)


def test_a_yfcc_row_read_line_by_line_keeps_only_http_links() -> None:
    line = yfcc_row(10, page_url=SCRIPT, download_url="HTTP://farm5.staticflickr.com/1/10_a.jpg")
    (row,) = read(io.BufferedReader(io.BytesIO(line.encode())), "yfcc100m")
    assert isinstance(row, PhotoRow)
    assert (row.page_url, row.image_url) == ("", "HTTP://farm5.staticflickr.com/1/10_a.jpg")
    assert row.links_dropped == 1


def test_yfcc_rows_the_block_way_keep_only_http_links(tmp_path: Path) -> None:
    rows = [yfcc_row(n) for n in range(10, 20)]
    rows[3] = yfcc_row(13, page_url=SCRIPT, download_url=DATA)
    rows[5] = yfcc_row(15, page_url=" http://www.flickr.com/photos/x/15/")

    summary = dataset_import(slug="dif", path=yfcc_file(tmp_path / "dif.tsv", rows))

    links = dict(Photo.objects.values_list("flickr_id", "page_url"))
    images = dict(Photo.objects.values_list("flickr_id", "image_url"))
    assert (links[13], images[13], links[15]) == ("", "", "")
    assert links[14] == f"http://www.flickr.com/photos/{NSID}/14/"
    assert images[14] == "http://farm5.staticflickr.com/4036/14_03a71b7bbb.jpg"
    assert (summary.imported, summary.rejected, summary.links_dropped) == (10, 0, 3)
