"""Flickr's limits and failures, shared by the REST look-ups and the sign-in: the
hourly call budget (kept in the cache, so every process spends from one) in shares
by purpose (SHARES), the back-off after a 429, and the FlickrUnavailable each kind
of trouble becomes."""

import contextlib
import hashlib
import logging
import math
import time
from dataclasses import dataclass
from enum import StrEnum

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from optout.flickr.types import DEFAULT_BACKOFF_SECONDS, HOUR, FlickrUnavailable

log = logging.getLogger(__name__)


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
        ngettext(
            "Flickr is too busy to answer us at the moment. Please try again in %(count)s minute.",
            "Flickr is too busy to answer us at the moment. Please try again in %(count)s minutes.",
            minutes,
        )
        % {"count": minutes},
        retry_after=math.ceil(seconds),
    )


class Purpose(StrEnum):
    """Why we call Flickr; each purpose spends from its own share of the hourly budget."""

    SIGNIN = "signin"
    LOOKUP = "lookup"
    RECHECK = "recheck"


@dataclass(frozen=True)
class Share:
    """A purpose's part of FLICKR_CALLS_PER_HOUR, as the names of the settings that size it.

    `reserve`: calls an hour that only this purpose may spend; it may also spend
    whatever the others leave. `cap`: calls an hour this purpose may never pass.
    Whatever the shares say, all purposes together stay within FLICKR_CALLS_PER_HOUR.
    """

    reserve: str | None = None
    cap: str | None = None

    def calls(self, setting: str | None) -> int:
        return max(0, int(getattr(settings, setting))) if setting else 0


# Sign-in comes first: an anonymous look-up must never leave a person unable to
# sign in, and a background pass must never starve either of them.
SHARES: dict[Purpose, Share] = {
    Purpose.SIGNIN: Share(reserve="FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR"),
    Purpose.LOOKUP: Share(cap="FLICKR_LOOKUP_CALLS_PER_HOUR"),
    Purpose.RECHECK: Share(cap="FLICKR_RECHECK_CALLS_PER_HOUR"),
}


def _share_spent(purpose: Purpose, seconds: float) -> FlickrUnavailable:
    minutes = _minutes(seconds)
    # A sentence per purpose: a noun slotted into one sentence reads badly in most languages.
    if purpose == Purpose.SIGNIN:
        message = ngettext(
            "We have used this hour's share of Flickr sign-ins. Please try again in "
            "%(count)s minute.",
            "We have used this hour's share of Flickr sign-ins. Please try again in "
            "%(count)s minutes.",
            minutes,
        )
    elif purpose == Purpose.LOOKUP:
        message = ngettext(
            "We have used this hour's share of Flickr look-ups (the rest is kept for people "
            "signing in). Please try again in %(count)s minute.",
            "We have used this hour's share of Flickr look-ups (the rest is kept for people "
            "signing in). Please try again in %(count)s minutes.",
            minutes,
        )
    else:
        message = ngettext(
            "We have used this hour's share of Flickr re-checks (the rest is kept for people "
            "signing in). Please try again in %(count)s minute.",
            "We have used this hour's share of Flickr re-checks (the rest is kept for people "
            "signing in). Please try again in %(count)s minutes.",
            minutes,
        )
    return FlickrUnavailable(message % {"count": minutes}, retry_after=math.ceil(seconds))


def budget_spend(purpose: Purpose) -> None:
    """Count one call for `purpose` against the key's hourly budget, or refuse it.

    The counters live in Django's cache (Redis in production), so every web
    and worker process shares them. Windows are clock hours; the budget
    (FLICKR_CALLS_PER_HOUR) stays under Flickr's 3,600 because two adjacent
    fixed windows can both fill up within one rolling hour on Flickr's side.

    Raises:
        FlickrUnavailable: Flickr told us to back off, or this purpose's share
            (or the whole budget) is spent for this clock hour.
    """
    try:
        _count_call(purpose)
    except FlickrUnavailable:
        raise
    except Exception:
        # The cache (Redis) is down: a few uncounted calls during an outage
        # risk less than failing every look-up and sign-in meanwhile.
        log.warning("Flickr call budget not counted: the cache is unavailable", exc_info=True)


def _count_call(purpose: Purpose) -> None:
    now = time.time()
    backoff_until = cache.get(_cache_key("backoff-until"))
    if backoff_until and backoff_until > now:
        raise _busy(backoff_until - now)
    window = int(now // HOUR)
    until_next_hour = (window + 1) * HOUR - now
    share = SHARES[purpose]
    own_key = _cache_key(f"calls:{window}:{purpose}")
    total_key = _cache_key(f"calls:{window}")
    # Count first, then look: each caller sees its own count, so two racing
    # callers cannot both take the last call. A refused call gives its count back.
    own = _incr(own_key)
    if share.cap and own > share.calls(share.cap):
        _decr(own_key)
        log.warning("Flickr calls for %s spent this hour (%s); refusing", purpose, own - 1)
        raise _share_spent(purpose, until_next_hour)
    total = _incr(total_key)
    held = _held_for_others(purpose, window)
    if total + held > settings.FLICKR_CALLS_PER_HOUR:
        _decr(total_key)
        _decr(own_key)
        log.warning("Flickr hourly call budget spent for %s (%s calls); refusing", purpose, total)
        # What is left is another purpose's reserve, or nothing at all.
        raise _share_spent(purpose, until_next_hour) if held else _busy(until_next_hour)


def budget_used(purpose: Purpose) -> int:
    """Calls `purpose` spent in this clock hour (0 when the cache cannot say)."""
    window = int(time.time() // HOUR)
    try:
        return int(cache.get(_cache_key(f"calls:{window}:{purpose}"), 0))
    except Exception:
        log.warning("Flickr call budget not read: the cache is unavailable", exc_info=True)
        return 0


def _held_for_others(purpose: Purpose, window: int) -> int:
    """Calls the other purposes' reserves still hold back this hour."""
    reserves = {
        other: share.calls(share.reserve)
        for other, share in SHARES.items()
        if other != purpose and share.reserve
    }
    if not reserves:
        return 0
    keys = {other: _cache_key(f"calls:{window}:{other}") for other in reserves}
    spent = cache.get_many(list(keys.values()))
    return sum(max(0, calls - int(spent.get(keys[other], 0))) for other, calls in reserves.items())


def _incr(key: str) -> int:
    cache.add(key, 0, timeout=HOUR + 60)
    try:
        return cache.incr(key)
    except ValueError:
        # The entry expired between add() and incr(): we are its first call.
        cache.add(key, 1, timeout=HOUR + 60)
        return 1


def _decr(key: str) -> None:
    # ValueError: the entry expired meanwhile, and there is nothing left to give back.
    with contextlib.suppress(ValueError):
        cache.decr(key)


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
        # Same trade as in budget_spend: this answer still says "busy", later ones may ask.
        log.warning("Flickr back-off not recorded: the cache is unavailable", exc_info=True)
    return _busy(seconds)


def _server_trouble(response: requests.Response) -> FlickrUnavailable | None:
    if response.status_code == 429:
        return _back_off(response)
    if response.status_code >= 500:
        return FlickrUnavailable(
            _(
                "Flickr is having trouble right now (it answered with error %(code)s). "
                "Please try again in a few minutes."
            )
            % {"code": response.status_code},
            retry_after=300,
        )
    return None


def _timed_out() -> FlickrUnavailable:
    return FlickrUnavailable(
        _("Flickr did not answer within %(seconds)s seconds. Please try again in a few minutes.")
        % {"seconds": f"{settings.FLICKR_TIMEOUT:g}"},
        retry_after=60,
    )


def _unreachable() -> FlickrUnavailable:
    return FlickrUnavailable(
        _("We could not reach Flickr. Please try again in a few minutes."), retry_after=60
    )


def _garbled() -> FlickrUnavailable:
    return FlickrUnavailable(
        _("Flickr sent an answer we could not understand. Please try again in a few minutes."),
        retry_after=60,
    )


# -- REST ------------------------------------------------------------------------
