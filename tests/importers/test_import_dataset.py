"""manage.py import_dataset: what an operator types and reads."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from optout.models import Dataset, DatasetRelease, Photo
from tests.support.manifests import ffhq_file, write, yfcc_file, yfcc_row

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_dataset", *args, stdout=out)
    return out.getvalue()


def test_it_prints_a_summary_with_every_count_and_the_rejects_file(
    tmp_path: Path, settings: Settings
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    path = yfcc_file(
        tmp_path / "dif.tsv.bz2",
        [yfcc_row(1), yfcc_row(2, marker=1), yfcc_row("nope"), yfcc_row(3)],
        "bzip2",
    )

    output = run("diversity-in-faces", str(path), "--release", "1.0")

    assert "Created and imported diversity-in-faces (release 1.0)" in output
    assert "(YFCC100M, 23 columns, bzip2)" in output
    for label, count in [
        ("rows read", 4),
        ("imported (new)", 2),
        ("updated", 0),
        ("skipped: videos", 1),
        ("skipped: previously removed or suppressed", 0),
        ("rejected", 1),
    ]:
        assert any(
            line.split() and line.strip().startswith(label) and line.split()[-1] == str(count)
            for line in output.splitlines()
        ), (label, output)
    rejects = next(settings.VAR_DIR.joinpath("imports").glob("diversity-in-faces-*.rejects.csv"))
    assert f"Rejected rows (line, reason, raw row): {rejects}" in output
    assert "\r" not in output  # no progress bar when stdout is not a terminal


def test_the_options_name_the_dataset_and_place_the_rejects(tmp_path: Path) -> None:
    rejects = tmp_path / "out" / "bad.csv"
    path = write(tmp_path / "list.csv", "photo_id,owner\n1,12345678@N01\n2,oops\n")

    output = run(
        "mine", str(path), "--format", "csv", "--name", "My set", "--source", "Flickr",
        "--description", "Faces", "--rejects", str(rejects),
    )  # fmt: skip

    dataset = Dataset.objects.get(slug="mine")
    assert (dataset.name, dataset.source, dataset.description) == ("My set", "Flickr", "Faces")
    with open(rejects, newline="") as f:
        assert list(csv.reader(f))[1] == [
            "3",
            "malformed NSID 'oops' (expected digits, @N, two digits)",
            "2,oops",
        ]
    assert str(rejects) in output


def count(output: str, label: str) -> int:
    """The figure the summary gives for `label`."""
    (line,) = [line for line in output.splitlines() if line.strip().startswith(label)]
    return int(line.split()[-1].replace(",", ""))


def test_a_second_run_reports_updates(tmp_path: Path) -> None:
    url = "https://www.flickr.com/photos/12345678@N01/"
    path = ffhq_file(tmp_path / "ffhq-dataset-v2.json", [url + "1/", url + "2/"])
    run("ffhq", str(path))

    output = run("ffhq", str(path), "--release", "v2")

    assert output.startswith("Imported ffhq (release v2)")
    assert "ffhq now has 2 photos present." in output
    # The same rows again: nothing to write.
    assert (count(output, "updated"), count(output, "unchanged")) == (0, 2)
    releases = DatasetRelease.objects.filter(dataset__slug="ffhq")
    assert list(releases.values_list("seq", "label")) == [(1, ""), (2, "v2")]
    assert not Photo.objects.filter(last_seq__isnull=False).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "is a PNG image, not a dataset manifest"),
        (b"<html><title>Google Drive</title></html>", "is an HTML or XML page"),
    ],
)
def test_a_file_that_is_not_a_manifest_is_a_clear_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = write(tmp_path / "ffhq-dataset-v2.json", content)

    with pytest.raises(CommandError, match=message):
        run("ffhq", str(path))
    assert not Dataset.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run("ffhq", str(tmp_path / "nowhere.json"))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_progress_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = yfcc_file(tmp_path / "dif.tsv", [yfcc_row(n) for n in range(1, 30)])

    call_command("import_dataset", "dif", str(path), stdout=Terminal())

    assert "dif: 100%" in capsys.readouterr().out
