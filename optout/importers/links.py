"""Datasets of links: rows whose only Flickr information is a link to the photo (LAION,
DataComp, COYO and the sets built from them), in a CSV, JSON lines or Parquet file.

A row is kept when its link names one Flickr photo, read as the public look-up reads
it (optout/lookup/parse.py): an image on farmN/live/cN.staticflickr.com (which also
gives server, secret and farm), a photo page, a flic.kr/p/ link. Any other row is
`NOT_FLICKR`: skipped and counted, not rejected. The rest of the row (caption, size,
similarity, …) goes to `extra`. Such a photo has no owner until the owner signs in
and their public photo list names it (optout/recheck/listing.py), unless its link is
a photo page that names an NSID. No database here.
"""

import math
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Final

from optout.importers.rows import MAX_FARM, PhotoRow, owner_from_photo_url, text, web_link
from optout.lookup.links import photo_link_parse

# A data row of a dataset of links whose link is not to one Flickr photo.
NOT_FLICKR: Final = "not flickr"


def link_row(number: int, link: Any, extra: Mapping[str, Any]) -> PhotoRow | str:
    """The photo a row's link names, or NOT_FLICKR."""
    given = link.strip() if isinstance(link, str) else ""
    found = photo_link_parse(text=given) if given and "fl" in given.lower() else None
    if found is None:
        return NOT_FLICKR
    url = web_link(given)
    owner_nsid, alias = ("", "") if found.server else owner_from_photo_url(given)
    farm = found.farm if found.farm is not None and found.farm <= MAX_FARM else None
    return PhotoRow(
        number,
        found.photo_id,
        owner_nsid,
        alias,
        "",
        "" if found.server else url,
        url if found.server else "",
        farm,
        found.server,
        found.secret,
        "",
        [],
        {name: value for name, value in extra.items() if value is not None and value != ""},
        int(url != given),
    )


def jsonable(value: Any) -> Any:
    """A Parquet or JSON value as JSON can hold it (PostgreSQL's json takes no NaN)."""
    if value is None or isinstance(value, str | bool | int):
        return text(value) if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)
