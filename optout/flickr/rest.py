"""Flickr's REST API: the look-ups (user by name or profile URL, a photo's owner),
within an hourly call budget shared through the cache, with Flickr's failures
turned into the FlickrError family."""

import dataclasses
import hashlib
import logging
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from optout.flickr.limits import (
    Purpose,
    _cache_key,
    _garbled,
    _server_trouble,
    _timed_out,
    _unreachable,
    budget_spend,
)
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


def _call(method: str, not_found: str, *, purpose: Purpose, **params: str) -> dict[str, Any]:
    if not settings.FLICKR_API_KEY:
        raise FlickrNotConfigured(
            _("We could not look this up on Flickr: this site has no Flickr API key set up.")
        )
    budget_spend(purpose)
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
            _(
                "Flickr says its service is unavailable right now. "
                "Please try again in a few minutes."
            ),
            retry_after=300,
        )
    if code in REFUSED_CODES:
        log.error("Flickr refused our API key on %s: %s (code %s)", method, flickr_says, code)
        raise FlickrRefused(
            _(
                "Flickr refused our request. This is a problem on our side, not yours; "
                "please try again later."
            )
        )
    log.error("Flickr error on %s: %s (code %s)", method, flickr_says, code)
    # Flickr's own words stay as Flickr wrote them (English): they are its data, not ours.
    raise FlickrError(
        _("Flickr could not answer: %(says)s (code %(code)s).")
        % {"says": flickr_says or _("unknown error"), "code": code}
    )


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


def user_find(text: str, *, purpose: Purpose = Purpose.LOOKUP) -> FlickrUser:
    """The Flickr account for a username or custom profile name (path alias).

    Tries flickr.urls.lookupUser on https://www.flickr.com/photos/<text>/ (which
    knows path aliases and NSIDs), then flickr.people.findByUsername. Flickr's
    answer, "no such account" included, is kept for FLICKR_NAME_CACHE_SECONDS
    under the lower-cased name (Flickr matches names without regard to case), so
    asking for the same names again and again costs no more Flickr calls.

    Raises:
        FlickrNotFound: no such account (also for empty input).
        FlickrUnavailable: Flickr down, slow, 5xx, rate-limited, or this purpose's
            share of the hourly budget spent.
        FlickrRefused: Flickr refused our API key.
        FlickrNotConfigured: no FLICKR_API_KEY; the caller should say it could not
            resolve the username.
        FlickrError: any other error Flickr reports.
    """
    text = text.strip()
    not_found = _("Flickr has no account called “%(name)s”.") % {"name": text}
    if not text:
        raise FlickrNotFound("Please give a Flickr username.")
    remembered = _name_recall(text)
    if remembered is _UNKNOWN_NAME:
        raise FlickrNotFound(not_found)
    if isinstance(remembered, FlickrUser):
        return remembered
    try:
        found = _user_find(text, not_found, purpose)
    except FlickrNotFound:
        _name_remember(text, _UNKNOWN_NAME)
        raise
    _name_remember(text, found)
    return found


def _user_find(text: str, not_found: str, purpose: Purpose) -> FlickrUser:
    if PATH_ALIAS_RE.match(text):
        found = _user_by_profile_url(text, not_found, purpose)
        if found is not None:
            return found
    return _user(_call("flickr.people.findByUsername", not_found, purpose=purpose, username=text))


def _user_by_profile_url(alias: str, not_found: str, purpose: Purpose) -> FlickrUser | None:
    url = f"https://www.flickr.com/photos/{quote(alias, safe='@')}/"
    try:
        return _user(_call("flickr.urls.lookupUser", not_found, purpose=purpose, url=url))
    except FlickrNotFound:
        # Not a path alias or NSID; it may still be a username (on Flickr they differ).
        return None


# -- what Flickr said about a name -------------------------------------------------
_UNKNOWN_NAME = "unknown"


def _name_key(text: str) -> str:
    # Hashed: any text a visitor types becomes a short, safe cache key.
    return _cache_key("name:" + hashlib.sha256(text.lower().encode()).hexdigest()[:32])


def _name_recall(text: str) -> FlickrUser | str | None:
    """What Flickr said about this name lately: a user, _UNKNOWN_NAME, or None (not asked)."""
    if settings.FLICKR_NAME_CACHE_SECONDS <= 0:
        return None
    try:
        value = cache.get(_name_key(text))
    except Exception:
        log.warning("Flickr name cache not read: the cache is unavailable", exc_info=True)
        return None
    if value == _UNKNOWN_NAME:
        return _UNKNOWN_NAME
    if isinstance(value, dict) and NSID_RE.match(str(value.get("nsid", ""))):
        return FlickrUser(nsid=str(value["nsid"]), username=str(value.get("username", "")))
    return None


def _name_remember(text: str, answer: FlickrUser | str) -> None:
    seconds = settings.FLICKR_NAME_CACHE_SECONDS
    if seconds <= 0:
        return
    value = answer if isinstance(answer, str) else dataclasses.asdict(answer)
    try:
        cache.set(_name_key(text), value, timeout=seconds)
    except Exception:
        log.warning("Flickr name cache not written: the cache is unavailable", exc_info=True)


def photo_owner(photo_id: int | str, *, purpose: Purpose = Purpose.LOOKUP) -> FlickrPhoto:
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
        _("Flickr has no public photo %(id)s; it may be private or deleted.") % {"id": text},
        purpose=purpose,
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
