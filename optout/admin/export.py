"""The CSV export of the request list, streamed."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from optout.infra.csvfile import csv_lines

# The header stays English, whatever the maintainer's language: the export is a machine
# format for scripts and spreadsheets, and its column names are a contract like the
# JSON APIs' field names (docs/i18n.md). The values are codes too (kind, state), not
# the labels the admin shows.
CSV_HEADER = [
    "public_id",
    "kind",
    "state",
    "nsid",
    "flickr_username",
    "email",
    "datasets",
    "photos",
    "filed",
    "deadline",
    "closed",
]


def csv_response(rows: QuerySet, filename: str) -> StreamingHttpResponse:
    # Usernames and emails are what requesters typed: csv_lines keeps them text.
    def values() -> Iterator[list[object]]:
        for r in rows.iterator(chunk_size=500):
            slugs = sorted(slug for slug in (r.dataset_slugs or "").split(",") if slug)
            yield [
                r.public_id,
                r.kind,
                r.status,
                r.owner_nsid,
                r.flickr_username,
                r.email,
                " ".join(slugs),
                r.photo_total,
                r.created_at.isoformat(),
                r.deadline.isoformat(),
                r.closed_at.isoformat() if r.closed_at else "",
            ]

    lines = csv_lines(values(), header=CSV_HEADER)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
