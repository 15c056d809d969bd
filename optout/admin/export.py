"""The CSV export of the request list, streamed."""

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse


class _Echo:
    def write(self, value: str) -> str:
        return value


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
    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(CSV_HEADER)
        for r in rows.iterator(chunk_size=500):
            slugs = sorted(slug for slug in (r.dataset_slugs or "").split(",") if slug)
            yield writer.writerow(
                [
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
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
