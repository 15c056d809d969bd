"""The one seam to Flickr: the REST look-ups and the OAuth 1.0a sign-in.

Everything here talks to settings.FLICKR_API_URL / FLICKR_OAUTH_URL, so the
local simulator (devtools.flickr_simulator) stands in for Flickr in tests and
under `make run`. Callers see small frozen dataclasses and the FlickrError
family below, whose messages can be shown to a person as they are.

Public API: `user_find`, `photo_owner` (REST), `public_photos`, `photo_info`,
`people_info` (an owner's photos and account: optout/flickr/photos.py) and
`signin_start`, `signin_finish` (OAuth). No access token ever leaves
`signin_finish`. Every call spends from the hourly budget's share of its `Purpose`
(`budget_spend`, shares in optout/flickr/limits.py SHARES).
"""

from optout.flickr.limits import SHARES, Purpose, budget_spend, budget_used
from optout.flickr.oauth import signin_finish, signin_start
from optout.flickr.photos import (
    LICENSES,
    PER_PAGE,
    ListedPhoto,
    PhotoInfo,
    PhotoPage,
    Tag,
    people_info,
    photo_info,
    public_photos,
)
from optout.flickr.rest import photo_owner, user_find
from optout.flickr.types import (
    NSID_RE,
    PATH_ALIAS_RE,
    PHOTO_ID_RE,
    FlickrError,
    FlickrIdentity,
    FlickrNotConfigured,
    FlickrNotFound,
    FlickrPhoto,
    FlickrRefused,
    FlickrUnavailable,
    FlickrUser,
    SigninStart,
)

__all__ = [
    "LICENSES",
    "NSID_RE",
    "PATH_ALIAS_RE",
    "PER_PAGE",
    "PHOTO_ID_RE",
    "SHARES",
    "FlickrError",
    "FlickrIdentity",
    "FlickrNotConfigured",
    "FlickrNotFound",
    "FlickrPhoto",
    "FlickrRefused",
    "FlickrUnavailable",
    "FlickrUser",
    "ListedPhoto",
    "PhotoInfo",
    "PhotoPage",
    "Purpose",
    "SigninStart",
    "Tag",
    "budget_spend",
    "budget_used",
    "people_info",
    "photo_info",
    "photo_owner",
    "public_photos",
    "signin_finish",
    "signin_start",
    "user_find",
]
