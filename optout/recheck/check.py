"""Checking one owner's dataset photos against Flickr, the cheaper way.

Two ways to learn about an owner's D dataset photos: list their public photos
(flickr.people.getPublicPhotos with extras license and tags: one call per 500
photos, whatever D) or ask about each photo (flickr.photos.getInfo: D calls). The
check takes the cheaper one, from what the last pass learned of the owner's public
photo count, and changes its mind after the first page when the rest of the list
would cost more than asking about the photos not yet seen. A photo missing from the
list is asked about: only Flickr's "not found" to getInfo makes it a signal.

Every error but Flickr's own "not found" propagates: the caller backs off and acts
on nothing of this owner (an error is never a signal).
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from optout import flickr
from optout.recheck.signals import (
    Finding,
    account_finding,
    gone_finding,
    info_finding,
    listed_finding,
)

K_GONE = "gone"
type Way = Literal["list", "info"]


def cheaper_way(photos: int, public_photos: int | None) -> Way:
    """Asking about each photo, or listing all the owner's public photos.

    With the owner's public photo count unknown (never listed), a list's first page
    tells it; with one photo, asking about it is never dearer."""
    if photos <= 1:
        return "info"
    if public_photos is None:
        return "list"
    pages = max(1, math.ceil(public_photos / flickr.PER_PAGE))
    return "list" if pages < photos else "info"


def calls_needed(photos: int, public_photos: int) -> int:
    """Calls for an owner whose photos are all still there, taking the cheaper way
    (the projection in docs/recheck.md; the first check may spend one page more)."""
    if photos <= 0:
        return 0
    if cheaper_way(photos, public_photos) == "info":
        return photos
    return max(1, math.ceil(public_photos / flickr.PER_PAGE))


@dataclass
class OwnerCheck:
    nsid: str
    photos: int  # dataset photos checked
    findings: list[Finding] = field(default_factory=list)
    calls: int = 0
    public_photos: int | None = None  # as the list said, when it was read
    way: Way = "info"

    @property
    def account_gone(self) -> bool:
        return any(f.flickr_id is None for f in self.findings)


class CheckInterrupted(Exception):
    """Flickr gave no clear answer during an owner's check: nothing of it may be acted on."""

    def __init__(self, error: flickr.FlickrError, calls: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.calls = calls


class _Counted:
    """The Flickr calls of one check, counted as they are made (a failed one too)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__[T](self, ask: Callable[..., T], *args: object, **kwargs: object) -> T:
        self.calls += 1
        return ask(*args, purpose=flickr.Purpose.RECHECK, **kwargs)


def owner_check(
    *, nsid: str, photos: Mapping[int, str], public_photos: int | None = None
) -> OwnerCheck:
    """Ask Flickr about the owner's `photos` (photo id -> the licence a manifest gave).

    Raises CheckInterrupted for anything that is not a clear answer (a timeout, a 5xx,
    a 429, an answer we cannot read, a spent budget, a refused key), with the calls
    made until then.
    """
    ask = _Counted()
    try:
        return _check(ask, nsid, photos, public_photos)
    except flickr.FlickrError as error:
        raise CheckInterrupted(error, ask.calls) from error


def _check(
    ask: "_Counted", nsid: str, photos: Mapping[int, str], public_photos: int | None
) -> OwnerCheck:
    way = cheaper_way(len(photos), public_photos)
    result = OwnerCheck(nsid=nsid, photos=len(photos), way=way)
    found: dict[int, Finding] = {}
    unseen = set(photos)
    account_exists = False
    if way == "list":
        page = 1
        while unseen:
            try:
                got = ask(flickr.public_photos, nsid, page=page)
            except flickr.FlickrNotFound:
                # "User not found" from the list: only people.getInfo says it for sure.
                if _account_gone(ask, nsid):
                    result.findings.append(account_finding())
                    result.calls = ask.calls
                    return result
                account_exists = True
                break
            account_exists = True
            result.public_photos = got.total
            for listed in got.photos:
                if listed.id in unseen:
                    unseen.discard(listed.id)
                    if finding := listed_finding(listed, photos[listed.id]):
                        found[listed.id] = finding
            # The rest of the list, or a getInfo for each photo not seen yet.
            if page >= got.pages or not got.photos or got.pages - page >= len(unseen):
                break
            page += 1
    for photo_id in sorted(unseen):
        try:
            info = ask(flickr.photo_info, photo_id)
        except flickr.FlickrNotFound:
            found[photo_id] = gone_finding(photo_id)
            continue
        account_exists = True
        if finding := info_finding(info, photos[photo_id]):
            found[photo_id] = finding
    every_photo_gone = bool(photos) and all(
        photo_id in found and found[photo_id].kind == K_GONE for photo_id in photos
    )
    if every_photo_gone and not account_exists and _account_gone(ask, nsid):
        found = {}
        result.findings.append(account_finding())
    result.findings += [found[photo_id] for photo_id in sorted(found)]
    result.calls = ask.calls
    return result


def _account_gone(ask: _Counted, nsid: str) -> bool:
    try:
        ask(flickr.people_info, nsid)
    except flickr.FlickrNotFound:
        return True
    return False
