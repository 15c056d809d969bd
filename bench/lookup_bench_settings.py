"""Settings for bench/lookup_bench.py only: production settings plus a baseline URL.

The baseline (a trivial view behind the same middleware) lives in
lookup_bench_urls.py, so production's URLconf never carries a bench route.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "lookup_bench_urls"
