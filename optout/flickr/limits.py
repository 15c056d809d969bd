"""Flickr's limits and failures, shared by the REST look-ups and the sign-in: the
hourly call budget (kept in the cache, so every process spends from one), the
back-off after a 429, and the FlickrUnavailable each kind of trouble becomes."""

import hashlib
import logging
import math
import time

import requests
from django.conf import settings
from django.core.cache import cache

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
