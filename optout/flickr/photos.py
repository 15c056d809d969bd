"""Flickr's word about an owner's photos: their public list, one photo's details, and
whether the account still exists. The background re-check and the sign-in listing
ask these; every call spends from its purpose's share of the hourly budget.

Whatever is not a clear answer (a timeout, a 5xx, a 429, an answer we cannot read,
a spent budget) raises FlickrUnavailable or another FlickrError, never a value a
caller could mistake for "the owner changed something". Only Flickr's own "not
found" (error 1) is FlickrNotFound.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from optout.flickr.limits import Purpose, _garbled
from optout.flickr.rest import _call, _content
from optout.flickr.types import NSID_RE, PHOTO_ID_RE, FlickrNotFound, FlickrUser

# flickr.people.getPublicPhotos gives at most this many a page.
PER_PAGE = 500
# Flickr's licence ids (flickr.photos.licenses.getInfo), as people read them.
LICENSES: dict[int, str] = {
    0: "All Rights Reserved",
    1: "BY-NC-SA 2.0",
    2: "BY-NC 2.0",
    3: "BY-NC-ND 2.0",
    4: "BY 2.0",
    5: "BY-SA 2.0",
    6: "BY-ND 2.0",
    7: "No known copyright restrictions",
    8: "United States Government Work",
    9: "CC0 1.0",
    10: "Public Domain Mark 1.0",
    11: "BY 4.0",
    12: "BY-SA 4.0",
    13: "BY-ND 4.0",
    14: "BY-NC 4.0",
    15: "BY-NC-SA 4.0",
    16: "BY-NC-ND 4.0",
}


@dataclass(frozen=True)
class ListedPhoto:
    """One photo of an owner's public list (extras license and tags, when asked for)."""

    id: int
    license: int | None
    # Flickr lists tags in their clean form only: lower case, no spaces or punctuation.
    tags: tuple[str, ...]
    server: str
    secret: str
    title: str


@dataclass(frozen=True)
class PhotoPage:
    nsid: str
    page: int
    pages: int
    total: int
    photos: tuple[ListedPhoto, ...]


@dataclass(frozen=True)
class Tag:
    raw: str  # as the owner typed it ("no_cv")
    clean: str  # as Flickr lists it ("nocv")


@dataclass(frozen=True)
class PhotoInfo:
    """flickr.photos.getInfo of a photo the key may see (public ones, with a key only)."""

    id: int
    owner_nsid: str
    owner_username: str
    license: int | None
    tags: tuple[Tag, ...]
    public: bool


def _int(value: Any) -> int:
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()):
        raise _garbled()
    return int(text)


def _license(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return _int(value)


def public_photos(
    nsid: str, *, page: int = 1, purpose: Purpose, extras: str = "license,tags"
) -> PhotoPage:
    """One page of an owner's public photos (flickr.people.getPublicPhotos, key only).

    Raises:
        FlickrNotFound: Flickr knows no such user (ask people_info to be sure).
        FlickrUnavailable, FlickrRefused, FlickrNotConfigured, FlickrError: as `_call`.
    """
    if not NSID_RE.match(nsid):
        raise FlickrNotFound(f"“{nsid}” is not a Flickr NSID.")
    params = {"user_id": nsid, "per_page": str(PER_PAGE), "page": str(page)}
    if extras:
        params["extras"] = extras
    data = _call(
        "flickr.people.getPublicPhotos",
        _("Flickr has no account %(nsid)s.") % {"nsid": nsid},
        purpose=purpose,
        **params,
    )
    block = data.get("photos")
    if not isinstance(block, dict) or not isinstance(block.get("photo"), list):
        raise _garbled()
    photos = []
    for item in block["photo"]:
        if not isinstance(item, dict) or not PHOTO_ID_RE.match(str(item.get("id", ""))):
            raise _garbled()
        tags = item.get("tags", "")
        if not isinstance(tags, str):
            raise _garbled()
        photos.append(
            ListedPhoto(
                id=int(item["id"]),
                license=_license(item.get("license")) if "license" in item else None,
                tags=tuple(tags.split()),
                server=str(item.get("server") or ""),
                secret=str(item.get("secret") or ""),
                title=_content(item.get("title")),
            )
        )
    return PhotoPage(
        nsid=nsid,
        page=_int(block.get("page", page)),
        pages=_int(block.get("pages", 0)),
        total=_int(block.get("total", len(photos))),
        photos=tuple(photos),
    )


def photo_info(photo_id: int, *, purpose: Purpose) -> PhotoInfo:
    """A photo's owner, licence, tags (raw and clean) and visibility.

    Raises:
        FlickrNotFound: Flickr's error 1: no such photo, or the key may not see it
            (private, or deleted).
        FlickrUnavailable, FlickrRefused, FlickrNotConfigured, FlickrError: as `_call`.
    """
    data = _call(
        "flickr.photos.getInfo",
        _("Flickr has no public photo %(id)s; it may be private or deleted.") % {"id": photo_id},
        purpose=purpose,
        photo_id=str(int(photo_id)),
    )
    photo = data.get("photo")
    if not isinstance(photo, dict) or not isinstance(photo.get("owner"), dict):
        raise _garbled()
    if str(photo.get("id", "")) != str(photo_id):
        raise _garbled()
    owner = photo["owner"]
    nsid = str(owner.get("nsid", ""))
    if not NSID_RE.match(nsid):
        raise _garbled()
    block = photo.get("tags") or {}
    items = block.get("tag", []) if isinstance(block, dict) else None
    if not isinstance(items, list):
        raise _garbled()
    tags = tuple(
        Tag(raw=str(tag.get("raw", "")), clean=_content(tag))
        for tag in items
        if isinstance(tag, dict)
    )
    visibility = photo.get("visibility")
    public = not isinstance(visibility, dict) or str(visibility.get("ispublic", "1")) == "1"
    return PhotoInfo(
        id=int(photo_id),
        owner_nsid=nsid,
        owner_username=str(owner.get("username") or ""),
        license=_license(photo.get("license")),
        tags=tags,
        public=public,
    )


def people_info(nsid: str, *, purpose: Purpose) -> FlickrUser:
    """Whether the account exists (flickr.people.getInfo).

    Raises:
        FlickrNotFound: "User not found": the account is gone.
        FlickrUnavailable, FlickrRefused, FlickrNotConfigured, FlickrError: as `_call`.
    """
    data = _call(
        "flickr.people.getInfo",
        _("Flickr has no account %(nsid)s.") % {"nsid": nsid},
        purpose=purpose,
        user_id=nsid,
    )
    person = data.get("person")
    if not isinstance(person, dict):
        raise _garbled()
    found = str(person.get("nsid") or person.get("id") or "")
    if found != nsid:
        raise _garbled()
    return FlickrUser(nsid=found, username=_content(person.get("username")))
