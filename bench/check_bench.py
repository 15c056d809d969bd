"""How much CPU can one client make the check APIs spend? The worst body they accept.

    .venv/bin/python bench/check_bench.py

1. sets up the app on SQLite in a temp folder (DEBUG off, no Flickr, rate limits
   out of the way);
2. builds, for item shapes that reach the look-up parser and for several item
   lengths, the largest body the APIs accept: as many items as fit in the body
   limit (API_CHECK_MAX_BODY_BYTES, or Django's DATA_UPLOAD_MAX_MEMORY_SIZE where
   that setting does not exist yet), at most MAX_CHECK, each no longer than the
   API reads (MAX_ITEM_CHARS, or the parser's MAX_QUERY_LENGTH before it);
3. posts each body to /api/v1/check and /api/v2/query/urls/ through Django's
   test client, a few times, and prints this process's CPU seconds per call
   (median), the worst of all, and what that makes a minute for one address at
   the production defaults: 60 calls a minute, and at most 20,000 items a minute
   where API_RATE_LIMIT_ITEMS_PER_MINUTE exists.

Run it on a checkout before and after a change to compare; nothing is kept.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REPEATS = 3


def configure() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="optout-check-bench-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="check-bench-only-" + secrets.token_hex(8),
        OWNER_KEY_SECRET="check-bench-only",  # noqa: S106 (a throwaway database)
        ALLOWED_HOSTS="testserver",
        VAR_DIR=str(workdir / "var"),
        ANYMAIL_ESP="test",
        ANYMAIL_WEBHOOK_SECRET="bench:bench-only",  # noqa: S106
        LOG_LEVEL="ERROR",
        FLICKR_API_KEY="",
        API_RATE_LIMIT_PER_MINUTE="1000000000",
        API_RATE_LIMIT_ITEMS_PER_MINUTE="1000000000",
        SECURE_SSL_REDIRECT="false",
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)


def shapes(length: int) -> dict[str, str]:
    """Items of `length` characters that get past the fast paths into the parser."""
    page = "https://www.flickr.com/photos/jdoe/5123456789/?"
    static = "https://live.staticflickr.com/65535/5123456789_"
    return {
        "photo page + query": page + "x" * (length - len(page)),
        "static look-alike": static + "a" * (length - len(static)),
        "deep path": ("https://www.flickr.com/photos/jdoe/" + "a/" * length)[:length],
        "plain name": "n" * length,
        "photo.gne query": ("https://www.flickr.com/photo.gne?" + "a=1&" * length)[:length],
        "escaped segments": ("https://www.flickr.com/" + "%41/" * length)[:length],
        "no scheme, slashes": ("www.flickr.com/" + "é/" * length)[:length],
    }


def main() -> None:
    configure()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from optout import lookup
    from optout.api import checks

    call_command("migrate", verbosity=0)
    body_limit = getattr(settings, "API_CHECK_MAX_BODY_BYTES", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    longest = getattr(checks, "MAX_ITEM_CHARS", lookup.MAX_QUERY_LENGTH)
    # The production defaults (the environment above lifts them for the bench):
    # 60 calls a minute, and 20,000 items where items are counted.
    calls_per_minute = 60
    items_per_minute = 20_000 if hasattr(settings, "API_RATE_LIMIT_ITEMS_PER_MINUTE") else None
    print(
        f"body limit {body_limit:,} bytes, items at most {longest} characters, "
        f"at most {checks.MAX_CHECK:,} items a call"
    )
    client = Client()
    worst_call = worst_minute = (0.0, "")
    for length in sorted({100, 200, longest}):
        for name, item in shapes(length).items():
            for endpoint in ("/api/v1/check", "/api/v2/query/urls/"):
                if "check" in endpoint:
                    per_item = len(json.dumps(item).encode()) + 2
                else:
                    per_item = len(item.encode()) + 1
                count = min(checks.MAX_CHECK, (body_limit - 20) // per_item)
                items = [item] * count
                if "check" in endpoint:
                    data, kind = json.dumps({"photos": items}), "application/json"
                else:
                    data, kind = "\n".join(items), "text/plain"
                cpu = []
                for _ in range(REPEATS):
                    ip = "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))
                    started = time.process_time()
                    response = client.post(endpoint, data, content_type=kind, REMOTE_ADDR=ip)
                    cpu.append(time.process_time() - started)
                    assert response.status_code == 200, (
                        response.status_code,
                        response.content[:200],
                    )
                seconds = statistics.median(cpu)
                print(
                    f"{endpoint:22} {name:20} {length:4} chars x {count:6,} items "
                    f"({len(data):>9,} bytes): {seconds:6.3f} s CPU a call"
                )
                what = f"{endpoint} {name} {length} chars x {count:,} items"
                worst_call = max(worst_call, (seconds, what))
                # A minute of such calls from one address, as far as the limits let it.
                in_a_minute = calls_per_minute * count
                if items_per_minute:
                    in_a_minute = min(in_a_minute, items_per_minute)
                minute = (in_a_minute * seconds / count, f"{in_a_minute:,} items as {what}")
                worst_minute = max(worst_minute, minute)
    print(f"\nworst call: {worst_call[1]}: {worst_call[0]:.3f} s CPU")
    print(
        f"worst minute for one address: {worst_minute[1]}: {worst_minute[0]:.1f} s CPU "
        f"({worst_minute[0] / 60:.1%} of one core)"
    )


if __name__ == "__main__":
    main()
