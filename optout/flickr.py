"""The one seam to Flickr: three REST look-ups and the OAuth 1.0a sign-in.

Everything here talks to settings.FLICKR_API_URL / FLICKR_OAUTH_URL, so the
local simulator (optout.flickr_simulator) stands in for Flickr in tests and
under `make run`. Callers see small frozen dataclasses and the FlickrError
family below, whose messages can be shown to a person as they are.

Public API: `user_find`, `photo_owner` (REST) and `signin_start`,
`signin_finish` (OAuth). No access token ever leaves `signin_finish`.
"""

import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth1App, OAuth
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


class _NoTokenRecords(logging.Filter):
    """Authlib logs each request token, secret included, at DEBUG: drop those records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "token" not in record.getMessage().lower()


logging.getLogger("authlib.integrations.base_client.sync_app").addFilter(_NoTokenRecords())

NSID_RE = re.compile(r"^[0-9]+@N[0-9]{2}$")
PHOTO_ID_RE = re.compile(r"^[0-9]{1,20}$")
# Characters Flickr allows in a custom profile URL (path alias).
PATH_ALIAS_RE = re.compile(r"^[A-Za-z0-9_@-]+$")
# Flickr's stat=fail codes that mean "our key or signature is wrong", not "try later".
REFUSED_CODES = frozenset({95, 96, 97, 98, 99, 100})
UNAVAILABLE_CODES = frozenset({105, 106})
HOUR = 3600
# Without Retry-After, a rate-limited key waits this long before we try again.
DEFAULT_BACKOFF_SECONDS = 300


class FlickrError(Exception):
    """Anything that went wrong talking to Flickr. `str(error)` is fit to show."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Seconds after which trying again makes sense, when we know it.
        self.retry_after = retry_after


class FlickrNotFound(FlickrError):
    """Flickr has no such user or photo (or the photo is private)."""


class FlickrUnavailable(FlickrError):
    """Flickr is down, slow, overloaded, or we are over our hourly budget."""


class FlickrRefused(FlickrError):
    """Flickr refused our credentials (API key, signature) or the sign-in itself."""


class FlickrNotConfigured(FlickrError):
    """No Flickr API key is set on this site."""


@dataclass(frozen=True)
class FlickrUser:
    nsid: str
    username: str


@dataclass(frozen=True)
class FlickrPhoto:
    id: int
    owner_nsid: str
    owner_username: str
    title: str


@dataclass(frozen=True)
class FlickrIdentity:
    """Who signed in, as Flickr confirmed it. Holds no token."""

    nsid: str
    username: str
    fullname: str


@dataclass(frozen=True)
class SigninStart:
    """Where to send the person, and the request token to keep server-side until they return."""

    authorize_url: str
    request_token: str
    request_token_secret: str


# -- budget ----------------------------------------------------------------------
def _cache_key(name: str) -> str:
    # Per API key (the limit is per key); hashed so the key is not spelled out in Redis.
    digest = hashlib.sha256(settings.FLICKR_API_KEY.encode()).hexdigest()[:16]
    return f"flickr:{digest}:{name}"


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def _busy(seconds: float) -> FlickrUnavailable:
    minutes = _minutes(seconds)
    return FlickrUnavailable(
        "Flickr is busy for us right now, so we cannot ask it anything more at the "
        f"moment. Please try again in {minutes} minute{'s' if minutes != 1 else ''}.",
        retry_after=math.ceil(seconds),
    )


def _spend_call() -> None:
    """Count one call against the key's hourly budget, or refuse it.

    The counter lives in Django's cache (Redis in production), so every web
    and worker process shares it. Windows are clock hours; the budget
    (FLICKR_CALLS_PER_HOUR) stays under Flickr's 3,600 because two adjacent
    fixed windows can both fill up within one rolling hour on Flickr's side.
    """
    try:
        _count_call()
    except FlickrUnavailable:
        raise
    except Exception:
        # The cache (Redis) is down: a few uncounted calls during an outage
        # risk less than failing every look-up and sign-in meanwhile.
        log.warning("Flickr call budget not counted: the cache is unavailable", exc_info=True)


def _count_call() -> None:
    now = time.time()
    backoff_until = cache.get(_cache_key("backoff-until"))
    if backoff_until and backoff_until > now:
        raise _busy(backoff_until - now)
    window = int(now // HOUR)
    key = _cache_key(f"calls:{window}")
    cache.add(key, 0, timeout=HOUR + 60)
    try:
        count = cache.incr(key)
    except ValueError:
        # The entry expired between add() and incr(): we are its first call.
        cache.add(key, 1, timeout=HOUR + 60)
        count = 1
    if count > settings.FLICKR_CALLS_PER_HOUR:
        log.warning("Flickr hourly call budget spent (%s calls); refusing", count - 1)
        raise _busy((window + 1) * HOUR - now)


def _back_off(response: requests.Response) -> FlickrUnavailable:
    """Flickr said we ask too often: stop asking, for every process, for a while."""
    try:
        seconds = int(response.headers.get("Retry-After", DEFAULT_BACKOFF_SECONDS))
    except ValueError:
        seconds = DEFAULT_BACKOFF_SECONDS
    seconds = min(max(seconds, 1), HOUR)
    log.warning("Flickr rate-limited our key; backing off for %s s", seconds)
    try:
        cache.set(_cache_key("backoff-until"), time.time() + seconds, timeout=seconds)
    except Exception:
        # Same trade as in _spend_call: this answer still says "busy", later ones may ask.
        log.warning("Flickr back-off not recorded: the cache is unavailable", exc_info=True)
    return _busy(seconds)


def _server_trouble(response: requests.Response) -> FlickrUnavailable | None:
    if response.status_code == 429:
        return _back_off(response)
    if response.status_code >= 500:
        return FlickrUnavailable(
            f"Flickr is having trouble right now (it answered with error "
            f"{response.status_code}). Please try again in a few minutes.",
            retry_after=300,
        )
    return None


def _timed_out() -> FlickrUnavailable:
    return FlickrUnavailable(
        f"Flickr did not answer within {settings.FLICKR_TIMEOUT:g} seconds. "
        "Please try again in a few minutes.",
        retry_after=60,
    )


def _unreachable() -> FlickrUnavailable:
    return FlickrUnavailable(
        "We could not reach Flickr. Please try again in a few minutes.", retry_after=60
    )


def _garbled() -> FlickrUnavailable:
    return FlickrUnavailable(
        "Flickr sent an answer we could not understand. Please try again in a few minutes.",
        retry_after=60,
    )


# -- REST ------------------------------------------------------------------------
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


# -- OAuth 1.0a --------------------------------------------------------------------
def _raise_on_server_trouble(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    # A requests hook sees the HTTP status that Authlib would fold into a
    # generic OAuthError; 5xx and 429 mean "try later", not "refused".
    trouble = _server_trouble(response)
    if trouble:
        raise trouble


def _oauth_client() -> DjangoOAuth1App:
    if not settings.FLICKR_API_KEY or not settings.FLICKR_API_SECRET:
        raise FlickrNotConfigured(
            "Signing in with Flickr is not set up on this site yet. Please try again later."
        )
    # A fresh registry per call: cheap, and it picks up the settings of the moment.
    oauth = OAuth()
    timeout = {"timeout": settings.FLICKR_TIMEOUT}
    oauth.register(
        "flickr",
        client_id=settings.FLICKR_API_KEY,
        client_secret=settings.FLICKR_API_SECRET,
        request_token_url=f"{settings.FLICKR_OAUTH_URL}/request_token",
        request_token_params=timeout,
        access_token_url=f"{settings.FLICKR_OAUTH_URL}/access_token",
        access_token_params=timeout,
        authorize_url=f"{settings.FLICKR_OAUTH_URL}/authorize",
        authorize_params={"perms": "read"},
        client_kwargs={"hooks": {"response": [_raise_on_server_trouble]}},
    )
    return oauth.create_client("flickr")


def signin_start(*, callback_url: str) -> SigninStart:
    """Get a request token and the Flickr page where the person approves read access.

    `callback_url` must carry no %-escapes (keep "next" in the session): Flickr
    and Authlib disagree on how to sign an escaped oauth_callback.

    Raises:
        FlickrUnavailable: Flickr down, slow, 5xx or rate-limited.
        FlickrRefused: Flickr refused our key or signature.
        FlickrNotConfigured: no FLICKR_API_KEY / FLICKR_API_SECRET.
    """
    client = _oauth_client()
    _spend_call()
    try:
        answer = client.create_authorization_url(callback_url)
    except requests.Timeout as exc:
        raise _timed_out() from exc
    except requests.RequestException as exc:
        raise _unreachable() from exc
    except OAuthError as exc:
        log.error("Flickr refused our request token request: %s", exc.error)
        raise FlickrRefused(
            "Flickr refused to start the sign-in. This is a problem on our side, not "
            "yours; please try again later."
        ) from exc
    except ValueError as exc:
        raise _garbled() from exc
    token = answer["request_token"]
    # OAuth 1.0a: without the confirmation, the provider ignored our callback.
    if token.get("oauth_callback_confirmed") != "true" or not token.get("oauth_token_secret"):
        raise _garbled()
    return SigninStart(
        authorize_url=answer["url"],
        request_token=token["oauth_token"],
        request_token_secret=token["oauth_token_secret"],
    )


def signin_finish(
    *, request_token: str, request_token_secret: str, verifier: str
) -> FlickrIdentity:
    """Trade the verifier for Flickr's answer and keep only who signed in.

    The access token and its secret are dropped here: we never call Flickr on
    the person's behalf, so nothing that could is ever stored or logged.

    Raises:
        FlickrUnavailable: Flickr down, slow, 5xx or rate-limited.
        FlickrRefused: Flickr refused the verifier (used, expired) or our signature.
        FlickrNotConfigured: no FLICKR_API_KEY / FLICKR_API_SECRET.
    """
    client = _oauth_client()
    _spend_call()
    try:
        answer = client.fetch_access_token(
            request_token={
                "oauth_token": request_token,
                "oauth_token_secret": request_token_secret,
            },
            oauth_verifier=verifier,
        )
    except requests.Timeout as exc:
        raise _timed_out() from exc
    except requests.RequestException as exc:
        raise _unreachable() from exc
    except OAuthError as exc:
        log.warning("Flickr refused the access token exchange: %s", exc.error)
        raise FlickrRefused(
            "Flickr did not confirm this sign-in: the link may have been used already "
            "or have expired. Please sign in again."
        ) from exc
    except ValueError as exc:
        raise _garbled() from exc
    # Flickr sends user_nsid=12345678%40N01; one decoding gives the NSID, and
    # unquote() is a no-op on it, but rescues a proxy that escaped it twice.
    nsid = unquote(str(answer.get("user_nsid", "")))
    identity = FlickrIdentity(
        nsid=nsid,
        username=str(answer.get("username", "")),
        fullname=str(answer.get("fullname", "")),
    )
    if not NSID_RE.match(identity.nsid):
        raise _garbled()
    return identity
