"""Per-client-IP rate limits: a fixed one-minute window counted in the cache.

The cache is Redis when REDIS_URL is set, so every web process counts
together. There, one round trip starts a window's counter if it is new and
counts the call (a two-line Lua script: SET NX EX, then INCR), on one
Redis client per cache backend: Django's cache API takes three round trips for add + incr and
builds a new client for each, which cost more than the rest of the look-up's
Python. Any other cache (the local file cache) uses `cache.add` and
`cache.incr`. The cache being down lets calls through: an outage of Redis
should not turn every look-up and form into an error.

Scopes and their settings (units per client IP per minute; a unit is a call
unless said otherwise): lookup (RATE_LIMIT_LOOKUP_PER_MINUTE; a look-up that
needed Flickr costs RATE_LIMIT_LOOKUP_FLICKR_COST, charged with `rate_charge`),
signin (RATE_LIMIT_SIGNIN_PER_MINUTE), forms (RATE_LIMIT_FORMS_PER_MINUTE), api
(API_RATE_LIMIT_PER_MINUTE), api_items (API_RATE_LIMIT_ITEMS_PER_MINUTE: photos or
URLs checked, taken with `rate_take` once the call's items are counted).
"""

import functools
import ipaddress
import logging
import math
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.formats import number_format
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
SCOPES = {
    "lookup": "RATE_LIMIT_LOOKUP_PER_MINUTE",
    "signin": "RATE_LIMIT_SIGNIN_PER_MINUTE",
    "forms": "RATE_LIMIT_FORMS_PER_MINUTE",
    "api": "API_RATE_LIMIT_PER_MINUTE",
    "api_items": "API_RATE_LIMIT_ITEMS_PER_MINUTE",
    # The look-up by picture (/picture/, /api/v1/picture): each decodes and hashes an upload.
    "picture": "RATE_LIMIT_PICTURE_PER_MINUTE",
}

type View = Callable[..., HttpResponse]

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript, Script


def client_ip(request: HttpRequest) -> str:
    """The address of the client, as the last trusted proxy saw it.

    Each proxy appends the address it received the request from to
    X-Forwarded-For, so with TRUSTED_PROXY_COUNT = n the n-th entry from the
    end was written by our own outermost proxy; anything left of it came from
    the client and may be forged. With no trusted proxy the header is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: the request did not come the way we were told.
        return remote
    candidate = forwarded[-proxies]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate


def _counter_id(address: str) -> str:
    """One counter per IPv4 address, and per /64 for IPv6, which a single host usually has."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


@dataclass(frozen=True)
class Refusal:
    limit: int
    retry_after: int  # seconds
    # For a scope counted in items: how many this call has, and how many were left.
    asked: int = 0
    left: int = 0

    @property
    def message(self) -> str:
        again = datetime.fromtimestamp(time.time() + self.retry_after, tz=UTC)
        n = functools.partial(number_format, force_grouping=True)
        when = _("Try again in %(seconds)s s (at %(time)s UTC).") % {
            "seconds": self.retry_after,
            "time": f"{again:%H:%M:%S}",
        }
        if not self.asked:
            return (
                _("Too many requests from your address: at most %(limit)s a minute.")
                % {"limit": n(self.limit)}
                + f" {when}"
            )
        if self.asked > self.limit:
            return _(
                "This call has %(asked)s items, more than the %(limit)s a minute your address "
                "may check: split it into smaller calls."
            ) % {"asked": n(self.asked), "limit": n(self.limit)}
        return (
            _(
                "Too many items from your address: at most %(limit)s a minute, and this call has "
                "%(asked)s while %(left)s are left this minute."
            )
            % {"limit": n(self.limit), "asked": n(self.asked), "left": n(self.left)}
            + f" {when}"
        )


def _window(scope: str, request: HttpRequest) -> tuple[str, int]:
    """The client's counter key for this minute, and the seconds until the next one."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"rate:{scope}:{_counter_id(client_ip(request))}:{window}"
    return key, max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))


def rate_check(*, scope: str, request: HttpRequest) -> Refusal | None:
    """Counts this call; a Refusal once the client IP has passed the scope's limit."""
    limit: int = getattr(settings, SCOPES[scope])
    key, retry_after = _window(scope, request)
    try:
        calls = _count(key, timeout=WINDOW_SECONDS + 30)
    except Exception as exc:  # any cache backend's failure: fail open, and say so
        log.warning("Rate limit not counted (%s): %s", scope, exc)
        return None
    if calls <= limit:
        return None
    return Refusal(limit=limit, retry_after=retry_after)


def rate_take(*, scope: str, request: HttpRequest, units: int) -> Refusal | None:
    """Counts `units` if they fit in what the client has left this minute; else a
    Refusal that says how many were left, and nothing is counted (a client may
    then send a smaller call)."""
    limit: int = getattr(settings, SCOPES[scope])
    key, retry_after = _window(scope, request)
    try:
        taken, used = _take(key, timeout=WINDOW_SECONDS + 30, units=units, cap=limit)
    except Exception as exc:  # fail open, as rate_check does
        log.warning("Rate limit not counted (%s): %s", scope, exc)
        return None
    if taken:
        return None
    return Refusal(limit=limit, retry_after=retry_after, asked=units, left=max(0, limit - used))


def rate_charge(*, scope: str, request: HttpRequest, units: int) -> None:
    """Counts `units` more against the client after the fact (an answer that cost more
    than most): the next calls run into the limit sooner."""
    if units <= 0:
        return
    key, _ = _window(scope, request)
    try:
        _take(key, timeout=WINDOW_SECONDS + 30, units=units, cap=-1)
    except Exception as exc:  # fail open, as rate_check does
        log.warning("Rate limit not charged (%s): %s", scope, exc)


# Start the window's counter if it is new, then count: one atomic round trip.
_COUNT_LUA = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
"""
# One registered script (hence one redis-py client) per cache backend
# instance, which Django keeps one of per thread; weak, so a backend Django
# drops (settings changed in a test) takes it along, and the next count goes
# to the new backend's server.
_count_scripts: weakref.WeakKeyDictionary[BaseCache, "AsyncScript | Script"] = (
    weakref.WeakKeyDictionary()
)


def _count(key: str, *, timeout: int) -> int:
    """Starts `key` at 0 for `timeout` seconds unless it exists, adds 1, returns the count."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        backend.add(key, 0, timeout=timeout)
        return backend.incr(key)
    script = _count_scripts.get(backend)
    if script is None:
        # On the client Django's cache would use, on its connection pool: the
        # same server, database and options, and keys the cache reads back.
        client = backend._cache.get_client(write=True)
        script = _count_scripts[backend] = client.register_script(_COUNT_LUA)
    # Our client is the sync one; redis-py types the answer for the async one too.
    return int(cast("int", script(keys=[backend.make_key(key)], args=[timeout])))


def address_id(request: HttpRequest) -> str:
    """The client's address as the counters know it (IPv4, or an IPv6 /64)."""
    return _counter_id(client_ip(request))


def _strike_keys(scope: str, subject: str) -> tuple[str, str]:
    """The subject's count of strikes, and the time its lock (if any) ends."""
    return f"strikes:{scope}:{subject}", f"strikes:{scope}:{subject}:until"


def strikes_wait(*, scope: str, limits: dict[str, int]) -> int:
    """Seconds to wait while any subject (key part -> limit) has `limit` strikes; else 0.

    Reading counts nothing: a refused attempt does not push its own lock further out.
    """
    keys = {subject: _strike_keys(scope, subject) for subject in limits}
    try:
        found = caches[DEFAULT_CACHE_ALIAS].get_many([k for pair in keys.values() for k in pair])
    except Exception as exc:  # fail open, as rate_check does
        log.warning("Strikes not read (%s): %s", scope, exc)
        return 0
    now = time.time()
    waits = [
        float(found.get(until, now)) - now
        for subject, (count, until) in keys.items()
        if int(found.get(count, 0)) >= limits[subject]
    ]
    return max(1, math.ceil(max(waits))) if waits else 0


def strikes_add(*, scope: str, subjects: Iterable[str], seconds: int) -> None:
    """One strike (a failed attempt) against each subject. Strikes add up while each
    comes within `seconds` of the one before; a subject at its limit waits until
    `seconds` after its last strike."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    until = time.time() + seconds
    for subject in subjects:
        count, lock_end = _strike_keys(scope, subject)
        try:
            backend.add(count, 0, timeout=seconds)
            backend.incr(count)
            backend.touch(count, timeout=seconds)
            backend.set(lock_end, until, timeout=seconds)
        except ValueError:
            # The count expired between add() and incr(): start again from this strike.
            backend.set(count, 1, timeout=seconds)
            backend.set(lock_end, until, timeout=seconds)
        except Exception as exc:  # fail open, as rate_check does
            log.warning("Strike not counted (%s): %s", scope, exc)
            return


# Start the window's counter if it is new; add `units` unless that passes `cap`
# (-1: no cap). Returns {taken (1 or 0), the count after}.
_TAKE_LUA = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
local units, cap = tonumber(ARGV[2]), tonumber(ARGV[3])
local used = tonumber(redis.call('GET', KEYS[1]))
if cap >= 0 and used + units > cap then return {0, used} end
return {1, redis.call('INCRBY', KEYS[1], units)}
"""
_take_scripts: weakref.WeakKeyDictionary[BaseCache, "AsyncScript | Script"] = (
    weakref.WeakKeyDictionary()
)


def _take(key: str, *, timeout: int, units: int, cap: int) -> tuple[bool, int]:
    """Adds `units` to `key` unless the count would pass `cap` (-1: always adds).
    Returns (added, the count after)."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        backend.add(key, 0, timeout=timeout)
        used = backend.incr(key, units)
        if 0 <= cap < used:
            backend.decr(key, units)
            return False, used - units
        return True, used
    script = _take_scripts.get(backend)
    if script is None:
        client = backend._cache.get_client(write=True)
        script = _take_scripts[backend] = client.register_script(_TAKE_LUA)
    taken, used = cast(
        "list[int]", script(keys=[backend.make_key(key)], args=[timeout, units, cap])
    )
    return bool(taken), int(used)


def _wants_json(request: HttpRequest) -> bool:
    fmt = request.GET.get("format", "")
    if fmt:
        return fmt == "json"
    preferred = request.get_preferred_type(["text/html", "application/json"])
    return preferred == "application/json" or request.content_type == "application/json"


def refusal_response(request: HttpRequest, refusal: Refusal, *, json: bool) -> HttpResponse:
    if json:
        response: HttpResponse = JsonResponse(
            {"error": refusal.message, "retry_after": refusal.retry_after}, status=429
        )
    else:
        context = {"refusal": refusal}
        response = render(request, "optout/rate_limited.html", context, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    add_never_cache_headers(response)
    return response


def rate_limit(
    scope: str,
    *,
    methods: tuple[str, ...] = ("POST",),
    when: Callable[[HttpRequest], bool] | None = None,
    json: bool | None = None,
) -> Callable[[View], View]:
    """Refuses a view's `methods` with a 429 once the client passes the scope's limit.

    `when` narrows it further (the look-up counts only requests with ?q=);
    `json` forces the answer's format, else the request's Accept decides.
    """
    if scope not in SCOPES:
        raise ValueError(f"Unknown rate-limit scope {scope!r}; one of {', '.join(SCOPES)}.")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def limited(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method in methods and (when is None or when(request)):
                refusal = rate_check(scope=scope, request=request)
                if refusal is not None:
                    as_json = _wants_json(request) if json is None else json
                    return refusal_response(request, refusal, json=as_json)
            return view(request, *args, **kwargs)

        return limited

    return decorate
