"""Flickr as the source of truth about who owns a photo and what its owner wants.

- `listing`: after a sign-in, the owner's public photo list gives their photos in
  datasets that name no owner (datasets of links) an owner.
- `check`: one owner's dataset photos against Flickr, the cheaper way (their list,
  or each photo's details).
- `signals`: what counts as a signal (no_cv, a licence change, private or deleted,
  a deleted account); an error never does.
- `walk`: the round-robin pass over every owner within the re-check's budget, and
  the foreground run behind `manage.py recheck_flickr`.

Signals become a request of kind flickr_signal (optout.requests.flickr_signals).
docs/recheck.md has the design and the figures.
"""

from optout.recheck.check import CheckInterrupted, OwnerCheck, calls_needed, cheaper_way
from optout.recheck.listing import (
    ListingProgress,
    listing_progress,
    listing_run,
    listing_start,
    listings_sweep,
)
from optout.recheck.signals import Finding
from optout.recheck.walk import (
    OwnerResult,
    PassFigures,
    RecheckProblem,
    Run,
    owner_recheck,
    recheck_figures,
    recheck_run,
    recheck_tick,
)

__all__ = [
    "CheckInterrupted",
    "Finding",
    "ListingProgress",
    "OwnerCheck",
    "OwnerResult",
    "PassFigures",
    "RecheckProblem",
    "Run",
    "calls_needed",
    "cheaper_way",
    "listing_progress",
    "listing_run",
    "listing_start",
    "listings_sweep",
    "owner_recheck",
    "recheck_figures",
    "recheck_run",
    "recheck_tick",
]
