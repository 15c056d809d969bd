"""What a manifest row becomes, and the field rules every format shares. No database."""

import re
from dataclasses import dataclass, field
from typing import Any, Final

from optout.infra.links import is_web_link

NSID_RE: Final = re.compile(r"\d+@N\d{2}")
# https://www.flickr.com/photos/<NSID or path alias>/<photo id>/
PHOTO_URL_RE: Final = re.compile(
    r"https?://(?:www\.|m\.)?flickr\.com/photos/([^/?#\s]+)/(\d+)(?:[/?#]|$)", re.IGNORECASE
)
MAX_PHOTO_ID: Final = 2**63 - 1  # Photo.flickr_id is a bigint
MAX_FARM: Final = 32767  # Photo.farm is a smallint
# Photo's text columns' widths (a test holds them to the model): the COPY text is
# cut to them, since a dataset's new partition takes it as it comes.
WIDTHS: Final = {
    "owner_nsid": 32,
    "owner_name": 255,
    "title": 500,
    "page_url": 500,
    "image_url": 500,
    "server": 16,
    "secret": 32,
    "license": 200,
}


@dataclass(slots=True)
class PhotoRow:
    line: int
    flickr_id: int
    owner_nsid: str = ""
    owner_name: str = ""
    title: str = ""
    page_url: str = ""
    image_url: str = ""
    farm: int | None = None
    server: str = ""
    secret: str = ""
    license: str = ""
    file_keys: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    links_dropped: int = 0  # page and image links that were not http(s), left out


@dataclass(frozen=True, slots=True)
class Reject:
    line: int
    reason: str
    raw: str


VIDEO: Final = "video"

type Item = PhotoRow | Reject | str


class BadRow(ValueError):
    """A row-level problem; the reader turns it into a Reject."""


# -- field rules, shared by every format ---------------------------------------


def photo_id(value: Any) -> int:
    if isinstance(value, bool):
        raise BadRow(f"non-numeric photo id {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip() if value is not None else ""
        if not text:
            raise BadRow("missing photo id")
        if not (text.isascii() and text.isdigit()):
            raise BadRow(f"non-numeric photo id {text[:40]!r}")
        number = int(text)
    if not 0 < number <= MAX_PHOTO_ID:
        raise BadRow(f"photo id {number} out of range")
    return number


def nsid(value: Any, *, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise BadRow("missing owner NSID")
        return ""
    if not NSID_RE.fullmatch(text):
        raise BadRow(f"malformed NSID {text[:40]!r} (expected digits, @N, two digits)")
    return text


def farm(value: Any) -> int | None:
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_FARM:
        raise BadRow(f"bad farm id {text[:20]!r}")
    return int(text)


def owner_from_photo_url(url: str) -> tuple[str, str]:
    """(owner_nsid, path_alias) from a Flickr photo page URL; either may be ''."""
    match = PHOTO_URL_RE.match(url.strip())
    if not match:
        return "", ""
    owner = match.group(1)
    return (owner, "") if NSID_RE.fullmatch(owner) else ("", owner)


def web_link(url: str) -> str:
    """`url` if it is an http(s) link, else "": it becomes an href or img src on our pages.
    Not a reason to reject the photo, whose id and owner are what the service needs."""
    return url if not url or is_web_link(url) else ""


def text(value: Any) -> str:
    # PostgreSQL text cannot hold NUL; a stray one would fail the whole import.
    value = "" if value is None else str(value)
    return value.replace("\x00", "") if "\x00" in value else value
