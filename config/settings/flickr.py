"""Flickr: where its OAuth and REST endpoints are, and our hourly budget of calls.

With no FLICKR_API_KEY and DEBUG on, the local Flickr simulator stands in (it can
never be on with DEBUG off).
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import DEBUG, env

FLICKR_API_KEY: str = env.str("FLICKR_API_KEY", default="")
FLICKR_API_SECRET: str = env.str("FLICKR_API_SECRET", default="")
FLICKR_SIMULATOR: bool = DEBUG and not FLICKR_API_KEY
FLICKR_SIMULATOR_PORT: int = env.int("FLICKR_SIMULATOR_PORT", default=8001)
if FLICKR_SIMULATOR:
    # A fixed local key pair that `manage.py flickr_simulator` is started with;
    # it opens nothing but the simulator on 127.0.0.1.
    FLICKR_API_KEY = "optoutlocaldemokey00000000000000"
    FLICKR_API_SECRET = "optoutlocaldemosecret"  # noqa: S105 (a local stand-in, not a secret)
    _flickr_default = f"http://127.0.0.1:{FLICKR_SIMULATOR_PORT}/services"
    _flickr_api_default = _flickr_default
else:
    _flickr_default = "https://www.flickr.com/services"
    _flickr_api_default = "https://api.flickr.com/services"
FLICKR_OAUTH_URL: str = env.str("FLICKR_OAUTH_URL", default=f"{_flickr_default}/oauth")
FLICKR_API_URL: str = env.str("FLICKR_API_URL", default=f"{_flickr_api_default}/rest")
FLICKR_TIMEOUT: float = env.float("FLICKR_TIMEOUT", default=10.0)
# Where thumbnails are built from (server/ID_secret_q.jpg); the simulator serves
# placeholders, so the demo shows pictures without reaching Flickr.
FLICKR_STATIC_URL: str = env.str(
    "FLICKR_STATIC_URL",
    default=f"http://127.0.0.1:{FLICKR_SIMULATOR_PORT}/static"
    if FLICKR_SIMULATOR
    else "https://live.staticflickr.com",
)
# Flickr allows 3,600 calls an hour per key; we count in clock hours, and two
# adjacent full hours could overlap one rolling hour on Flickr's side: stay under.
FLICKR_CALLS_PER_HOUR: int = env.int("FLICKR_CALLS_PER_HOUR", default=3000)
# The budget's shares (optout/flickr/limits.py SHARES): sign-in keeps a reserve only it
# may spend (and may use whatever the others leave); look-ups of names and the
# background re-check each stop at their own cap. Together never above the total.
FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR: int = env.int(
    "FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR", default=600
)
FLICKR_LOOKUP_CALLS_PER_HOUR: int = env.int("FLICKR_LOOKUP_CALLS_PER_HOUR", default=400)
FLICKR_RECHECK_CALLS_PER_HOUR: int = env.int("FLICKR_RECHECK_CALLS_PER_HOUR", default=2000)
if FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR > FLICKR_CALLS_PER_HOUR:
    raise ImproperlyConfigured(
        f"FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR ({FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR}) is "
        f"more than FLICKR_CALLS_PER_HOUR ({FLICKR_CALLS_PER_HOUR}): the reserve for "
        "sign-ins must fit in the hourly budget."
    )
# How long Flickr's answer about a name (found or not) is kept: a day, so asking for
# the same names again and again costs no Flickr calls.
FLICKR_NAME_CACHE_SECONDS: int = env.int("FLICKR_NAME_CACHE_SECONDS", default=86400)

# The sign-in listing (optout/recheck/listing.py): after a sign-in, the owner's public
# photos are read to find theirs in datasets that name no owner. A later sign-in reads
# them again once the last reading is older than this (or a dataset was imported since).
FLICKR_LISTING_FRESH_SECONDS: int = env.int("FLICKR_LISTING_FRESH_SECONDS", default=86400)
# Its sweeper: a listing still queued this long after its task was sent (a lost message,
# a broker that was down), or running with a heartbeat this old (a killed worker), is
# sent again. A listing that Flickr failed this many times in a row gives up.
LISTING_REQUEUE_AFTER_SECONDS: int = env.int("LISTING_REQUEUE_AFTER_SECONDS", default=120)
LISTING_STALE_AFTER_SECONDS: int = env.int("LISTING_STALE_AFTER_SECONDS", default=300)
LISTING_SWEEP_EVERY_SECONDS: float = env.float("LISTING_SWEEP_EVERY_SECONDS", default=60.0)
LISTING_MAX_ATTEMPTS: int = env.int("LISTING_MAX_ATTEMPTS", default=8)
# The background re-check (optout/recheck/, docs/recheck.md) runs this often and spends,
# each time, its share of FLICKR_RECHECK_CALLS_PER_HOUR for that many seconds.
RECHECK_EVERY_SECONDS: float = env.float("RECHECK_EVERY_SECONDS", default=60.0)
