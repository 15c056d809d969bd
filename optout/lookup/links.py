"""A dataset's photo links, read as the look-up reads what a person types (parse), for
the importers (optout/importers/links.py). No database, and no apps registry needed:
the importers read files in a process of their own that has none."""

import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.utils import translation

from optout.lookup.parse import (
    _SCHEME_RE,
    _STATIC_HOST_RE,
    LookupProblem,
    PhotoQuery,
    query_parse,
)

_STATIC_NAME_RE = re.compile(
    r"(?P<id>\d+)_(?P<secret>[0-9a-zA-Z]+)(?:_(?P<size>[0-9a-zA-Z]+))?\.(?:jpe?g|png|gif)", re.I
)
_FARM_HOST_RE = re.compile(r"farm(\d+)\.", re.I)


@dataclass(frozen=True, slots=True)
class PhotoLink:
    """One Flickr photo named by a link; an image link also gives server, secret, farm."""

    photo_id: int
    server: str = ""
    secret: str = ""
    farm: int | None = None


def photo_link_parse(*, text: str) -> PhotoLink | None:
    """The Flickr photo a link names (an image on *.staticflickr.com, a photo page, a
    flic.kr/p/ link), as the look-up reads it; None for anything else.

    No message is translated: nobody reads them here, and a translation would need the
    apps registry."""
    try:
        with _untranslated():
            query = query_parse(text=text)
    except LookupProblem:
        return None
    if not isinstance(query, PhotoQuery):
        return None
    text = text.strip()
    parts = urlsplit(text if _SCHEME_RE.match(text) else "https://" + text)
    host = (parts.hostname or "").rstrip(".")
    if not _STATIC_HOST_RE.fullmatch(host):
        return PhotoLink(query.photo_id)
    segments = [segment for segment in parts.path.split("/") if segment]
    name = _STATIC_NAME_RE.fullmatch(segments[-1])
    if name is None:
        return PhotoLink(query.photo_id)
    farm = _FARM_HOST_RE.match(host)
    farm_number = int(farm[1]) if farm else int(segments[0]) if len(segments) == 3 else None
    # An original's name carries its own secret ("_o"), not the one of the sizes.
    secret = "" if (name["size"] or "").lower() == "o" else name["secret"]
    return PhotoLink(query.photo_id, server=segments[-2], secret=secret, farm=farm_number)


def _untranslated() -> AbstractContextManager[object]:
    if apps.ready:
        return translation.override(None)
    # A process with no apps registry (the importers' reading child) cannot translate
    # anything, and Django would try to on the first message: its i18n off, as with
    # USE_I18N=False, messages stay as written. Nothing else runs in that process.
    settings.USE_I18N = False
    return nullcontext()
