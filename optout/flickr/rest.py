"""Flickr's REST API: the look-ups (user by name or profile URL, a photo's owner),
within an hourly call budget shared through the cache, with Flickr's failures
turned into the FlickrError family."""

import logging
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings

from optout.flickr.limits import _garbled, _server_trouble, _spend_call, _timed_out, _unreachable
from optout.flickr.types import (
    NSID_RE,
    PATH_ALIAS_RE,
    PHOTO_ID_RE,
    REFUSED_CODES,
    UNAVAILABLE_CODES,
    FlickrError,
    FlickrNotConfigured,
    FlickrNotFound,
    FlickrPhoto,
    FlickrRefused,
    FlickrUnavailable,
    FlickrUser,
)

log = logging.getLogger(__name__)


def _call(method: str, not_found: str, **params: str) -> dict[str, Any]:
    if not settings.FLICKR_API_KEY:
        raise FlickrNotConfigured(
            "We could not look this up on Flickr: this site has no Flickr API key set up."
        )
    _spend_call()
    query = {
        "method": method,
        "api_key": settings.FLICKR_API_KEY,
        "format": "json",
        "nojsoncallback": "1",
        **params,
    }
    try:
        response = requests.get(
            settings.FLICKR_API_URL, params=query, timeout=settings.FLICKR_TIMEOUT
        )
    except requests.Timeout as exc:
        raise _timed_out() from exc
    except requests.RequestException as exc:
        raise _unreachable() from exc
    trouble = _server_trouble(response)
    if trouble:
        raise trouble
    try:
        data = response.json()
    except ValueError as exc:
        raise _garbled() from exc
    if not isinstance(data, dict):
        raise _garbled()
    if data.get("stat") == "ok":
        return data
    code = data.get("code")
    flickr_says = str(data.get("message", ""))
    if code == 1:
        raise FlickrNotFound(not_found)
    if code in UNAVAILABLE_CODES:
        raise FlickrUnavailable(
            "Flickr says its service is unavailable right now. Please try again in a few minutes.",
            retry_after=300,
        )
    if code in REFUSED_CODES:
        log.error("Flickr refused our API key on %s: %s (code %s)", method, flickr_says, code)
        raise FlickrRefused(
            "Flickr refused our request. This is a problem on our side, not yours; "
            "please try again later."
        )
    log.error("Flickr error on %s: %s (code %s)", method, flickr_says, code)
    raise FlickrError(f"Flickr could not answer: {flickr_says or 'unknown error'} (code {code}).")


def _content(value: Any) -> str:
    # Flickr wraps most strings as {"_content": "..."}; some places give a bare string.
    if isinstance(value, dict):
        value = value.get("_content", "")
    return "" if value is None else str(value)


def _user(data: dict[str, Any]) -> FlickrUser:
    user = data.get("user")
    if not isinstance(user, dict):
        raise _garbled()
    nsid = str(user.get("nsid") or user.get("id") or "")
    if not NSID_RE.match(nsid):
        raise _garbled()
    return FlickrUser(nsid=nsid, username=_content(user.get("username")))


def user_find(text: str) -> FlickrUser:
    """The Flickr account for a username or custom profile name (path alias).

    Tries flickr.urls.lookupUser on https://www.flickr.com/photos/<text>/ (which
    knows path aliases and NSIDs), then flickr.people.findByUsername.

    Raises:
        FlickrNotFound: no such account (also for empty input).
        FlickrUnavailable: Flickr down, slow, 5xx, rate-limited, or our hourly budget spent.
        FlickrRefused: Flickr refused our API key.
        FlickrNotConfigured: no FLICKR_API_KEY; the caller should say it could not
            resolve the username.
        FlickrError: any other error Flickr reports.
    """
    text = text.strip()
    not_found = f"Flickr has no account called “{text}”."
    if not text:
        raise FlickrNotFound("Please give a Flickr username.")
    if PATH_ALIAS_RE.match(text):
        found = _user_by_profile_url(text, not_found)
        if found is not None:
            return found
    return _user(_call("flickr.people.findByUsername", not_found, username=text))


def _user_by_profile_url(alias: str, not_found: str) -> FlickrUser | None:
    url = f"https://www.flickr.com/photos/{quote(alias, safe='@')}/"
    try:
        return _user(_call("flickr.urls.lookupUser", not_found, url=url))
    except FlickrNotFound:
        # Not a path alias or NSID; it may still be a username (on Flickr they differ).
        return None


def photo_owner(photo_id: int | str) -> FlickrPhoto:
    """Who owns a public Flickr photo (flickr.photos.getInfo).

    Raises:
        FlickrNotFound: no such photo, or it is not public (also for a non-numeric id).
        FlickrUnavailable: Flickr down, slow, 5xx, rate-limited, or our hourly budget spent.
        FlickrRefused: Flickr refused our API key.
        FlickrNotConfigured: no FLICKR_API_KEY.
        FlickrError: any other error Flickr reports.
    """
    text = str(photo_id).strip()
    # ASCII digits only: str.isdigit() also takes "²", which int() then refuses.
    if not PHOTO_ID_RE.match(text):
        raise FlickrNotFound(f"“{text}” is not a Flickr photo id (those are all digits).")
    data = _call(
        "flickr.photos.getInfo",
        f"Flickr has no public photo {text}; it may be private or deleted.",
        photo_id=text,
    )
    photo = data.get("photo")
    if not isinstance(photo, dict) or not isinstance(photo.get("owner"), dict):
        raise _garbled()
    owner = photo["owner"]
    nsid = str(owner.get("nsid", ""))
    if not NSID_RE.match(nsid):
        raise _garbled()
    return FlickrPhoto(
        id=int(text),
        owner_nsid=nsid,
        owner_username=str(owner.get("username") or ""),
        title=_content(photo.get("title")),
    )
