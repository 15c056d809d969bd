"""What the re-check of the owners' signals costs in Flickr calls, and how long a full
pass takes at the default budget.

    .venv/bin/python bench/recheck_bench.py [--photos 1000000] [--owners 100000]

Measured: loads the demo (`load_demo`'s datasets, its world of other public photos
per owner: devtools/demo_flickr.py) into its own PostgreSQL database next to the one
in DATABASE_URL (never touched), serves the Flickr simulator over it in a thread,
and runs two full passes of `recheck_run` with no owner having done anything: the
first knows no owner's public photo count, the second knows them all (as every pass
after the first does). Prints calls, photos and owners checked, calls per photo,
and how the owners were checked (their list, or each photo's details).

Projected: a Diversity-in-Faces-sized registry (default 1,000,000 photos of 100,000
owners), with the demo's shapes: photos per owner Pareto-skewed as the demo's
(devtools/demo.py: a few owners with many, most with a few), public photos per owner
lognormal as the demo's world (median about 150, some thousands). Calls per owner as
the cheaper way costs them (optout.recheck.calls_needed), and the days a full pass
takes at FLICKR_RECHECK_CALLS_PER_HOUR (default 2,000). Drops its database at the end.
"""

import argparse
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_SHARE = 2000


def project(
    photos: int, owners: int, share: int, *, mu: float = 5.0, seed: int = 14
) -> dict[str, float]:
    """Calls for a full pass over `photos` photos of `owners` owners, the demo's shapes;
    `mu`: the log of the median public photos an owner has besides (the demo's: 5.0)."""
    from optout.recheck import calls_needed

    rng = random.Random(seed)
    weights = [rng.paretovariate(1.1) for _ in range(owners)]
    scale = (photos - owners) / sum(weights)
    per_owner = [1 + int(w * scale) for w in weights]
    per_owner[0] += photos - sum(per_owner)
    first = later = 0
    ways: Counter[str] = Counter()
    for count in per_owner:
        public = count + min(20_000, int(rng.lognormvariate(mu, 1.3)))
        cost = calls_needed(count, public)
        later += cost
        # The first pass lists page 1 of every owner with two photos or more, then
        # goes on the cheaper way: at worst one call more than a later pass.
        first += cost if count <= 1 or cost == math.ceil(public / 500) else cost + 1
        ways["one photo: its details" if count <= 1 else
             "their list" if cost < count else "each photo's details"] += 1  # fmt: skip
    return {
        "owners": owners,
        "photos": photos,
        "calls_first": first,
        "calls_later": later,
        "per_photo_first": first / photos,
        "per_photo_later": later / photos,
        "days_first": first / share / 24,
        "days_later": later / share / 24,
        **{f"way: {way}": n for way, n in ways.items()},
    }


def measure_demo() -> list[dict[str, float | str]]:
    """Two full passes over the demo, against the simulator: their calls and ways."""
    from django.conf import settings
    from django.core.management import call_command

    from devtools import demo_flickr
    from devtools.flickr_simulator import (
        FlickrSimulator,
        PhotoTableDirectory,
        RunningSimulator,
        Switches,
    )
    from optout.models import RecheckOwner
    from optout.recheck import recheck_run

    call_command("migrate", "--no-input", verbosity=0)
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    sim = FlickrSimulator(
        api_key=settings.FLICKR_API_KEY,
        api_secret=settings.FLICKR_API_SECRET,
        directory=PhotoTableDirectory(demo_flickr.world_path()),
        switches=Switches(),  # nobody did anything: the pass's cost alone
    )
    running = RunningSimulator(sim).start()
    settings.FLICKR_API_URL = running.api_url
    passes: list[dict[str, float | str]] = []
    try:
        for label in ("first pass", "later pass"):
            sim.calls.clear()
            started = time.perf_counter()
            run = recheck_run()
            seconds = time.perf_counter() - started
            assert run.finished and not run.stopped, run.stopped
            methods = Counter(sim.rest_calls())
            passes.append(
                {
                    "pass": label,
                    "owners": run.owners,
                    "photos": run.photos,
                    "calls": run.calls,
                    "per_photo": run.calls / run.photos,
                    "seconds": seconds,
                    "signals": sum(run.signals.values()),
                    **{f"calls: {m.removeprefix('flickr.')}": n for m, n in methods.items()},
                }
            )
        known = RecheckOwner.objects.exclude(public_photos=None).count()
        passes[-1]["owners with a known public count"] = known
    finally:
        running.stop()
    return passes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--owners", type=int, default=100_000)
    parser.add_argument("--share", type=int, default=DEFAULT_SHARE, help="calls an hour")
    parser.add_argument("--skip-demo", action="store_true", help="the projection only")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    name = f"optout_recheck_bench_{os.getpid()}"
    parts = urlsplit(server)
    admin_dsn = urlunsplit(parts._replace(path="/postgres"))
    workdir = Path(tempfile.mkdtemp(prefix="optout-recheck-bench-"))
    os.environ.update(
        {
            "DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}")),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",  # the demo's fixed simulator key pair
            "FLICKR_API_KEY": "",
            "SECRET_KEY": "bench-only",
            "OWNER_KEY_SECRET": "bench-only",
            "VAR_DIR": str(workdir / "var"),
            # The budget is not what is measured here: room for every call of a pass.
            "FLICKR_CALLS_PER_HOUR": "1000000",
            "FLICKR_RECHECK_CALLS_PER_HOUR": "1000000",
        }
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    if not args.skip_demo:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        if not args.skip_demo:
            for figures in measure_demo():
                print(f"\nDemo, {figures.pop('pass')}:")
                for key, value in figures.items():
                    shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
                    print(f"  {key:<38} {shown:>12}")
        for mu, shape in ((5.0, "the demo's"), (7.0, "heavier: a median of 1,100")):
            print(
                f"\nProjected: {args.photos:,} photos of {args.owners:,} owners, "
                f"{args.share:,} re-check calls an hour, public photos per owner {shape}:"
            )
            for key, value in project(args.photos, args.owners, args.share, mu=mu).items():
                shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
                print(f"  {key:<38} {shown:>12}")
    finally:
        if not args.skip_demo:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
