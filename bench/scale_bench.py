"""How the costs grow with the data: 0.1M, 1M and 10M photos, one run each, side by side.

    .venv/bin/python bench/scale_bench.py                       # 100k, 1M, 10M photos
    .venv/bin/python bench/scale_bench.py --sizes 100000,1000000 --duration 10

For each size N, in a PostgreSQL database of its own (dropped afterwards, also on
failure or Ctrl-C), on this machine, with Redis for the rate-limit counters:

1. generates an N-row 25-column YFCC100M file (bench/import_bench.py's generator)
   from N/10 owners, each photo's owner picked evenly, so an owner has about ten
   photos whatever N (what a look-up costs is then what grows with N, not with
   the owner); checks the free disk first;
2. imports it as an operator does (`manage.py import_dataset`, in a child process):
   rows/s, and a raw COPY of the file into a bare table after it, for scale;
3. removes every 50th photo (a tombstone and its suppression, as the deletion
   pipeline leaves them), then VACUUM ANALYZE, as autovacuum would in time; and
   writes the dataset's removal list (`manage.py export_removals`, CSV) in a
   child: seconds and peak memory (this process stays small: a child started
   from it counts its peak memory as the child's own);
4. times migration 0016 (the releases' columns on the photo table) forward, after
   taking it back: the lock it holds, per million rows;
5. serves the app with gunicorn (bench/lookup_bench.py's set-up: 2 workers x 4
   threads, behind one proxy, clients from 65,536 addresses) and loads it with wrk
   at 32 connections: the trivial view, then look-ups of random owners (half by
   NSID, half by username): requests/s, p50, p99, CPU per request (gunicorn and
   the database's backends);
6. posts one 10,000-link check (/api/v1/check, photo page links of random photos),
   three times: seconds and server CPU per call.

Then a table of every figure by size, and the targets: import rows/s at 10M at
least 0.8x the 1M figure; look-up CPU per request and p99 at 10M within 1.2x of
1M; the removal list's peak memory flat (10M / 1M at most 1.25); and at 10M at
least 400 look-ups/s with p99 under 250 ms. Exits 1 when one is missed. Prints
the load average before and after each size: other work on the machine moves
every figure.

Needs wrk (`apt-get install -y wrk`) and, for the look-ups as in production, Redis
(--redis-url, default REDIS_URL).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import import_bench  # noqa: E402 (bench/ is on the path above)
import lookup_bench  # noqa: E402

from optout.infra.owner_keys import owner_key  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
SLUG = "scale"
OWNERS_PER_PHOTO = 0.1  # ten photos per owner, at every size
REMOVED_EVERY = 50
CHECK_LINKS = 10_000
CHECK_CALLS = 3
# Targets (issue 13).
IMPORT_RATE_AT_10M = 0.8  # x the 1M figure
LOOKUP_GROWTH = 1.2  # CPU per request and p99, 10M / 1M
REMOVALS_MEMORY_GROWTH = 1.25  # peak RSS, 10M / 1M
CAPACITY_RPS, CAPACITY_P99_MS = 400, 250  # at 10M, 32 clients
# A 10M-row file, its database with indexes, and the raw COPY's table, with room to spare.
DISK_PER_MILLION_GB = 2.5


@dataclass
class SizeResult:
    rows: int
    owners: int
    file_mb: float = 0.0
    import_s: float = 0.0
    import_rows: int = 0
    import_rss_mb: float = 0.0
    raw_copy_s: float = 0.0
    database_mb: float = 0.0
    migration_s: float = 0.0
    trivial: lookup_bench.WrkResult | None = None
    lookup: lookup_bench.WrkResult | None = None
    check_s: float = 0.0
    check_cpu_s: float = 0.0
    removed: int = 0
    removals_s: float = 0.0
    removals_rss_mb: float = 0.0
    load: list[str] = field(default_factory=list)

    @property
    def import_rate(self) -> float:
        return self.import_rows / self.import_s

    @property
    def raw_ratio(self) -> float:
        return self.raw_copy_s / self.import_s


def main() -> int:
    args = _arguments()
    if args.remove_some:
        print(_remove_some(args.remove_some))
        return 0
    if not shutil.which("wrk"):
        print("wrk is not installed. Install it with: apt-get install -y wrk", file=sys.stderr)
        return 2
    sizes = [int(size) for size in args.sizes.split(",")]
    server_url = args.postgres.rstrip("/")
    results = []
    for rows in sizes:
        results.append(_one_size(args, server_url, rows))
        _print_table(results)
    return _verdict(results)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000", help="photos, by commas")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per URL")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per URL")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""))
    parser.add_argument("--keep", action="store_true", help="keep the last database")
    parser.add_argument("--remove-some", help=argparse.SUPPRESS)
    options = parser.parse_args()
    # What bench/lookup_bench.py's helpers read.
    options.connections, options.threads_wrk, options.workers, options.threads = 32, 2, 2, 4
    options.settings = "lookup_bench_settings"
    return options


def _one_size(args: argparse.Namespace, server_url: str, rows: int) -> SizeResult:
    owners = max(10, int(rows * OWNERS_PER_PHOTO))
    result = SizeResult(rows=rows, owners=owners)
    name = f"optout_scale_{rows}"
    database_url = f"{server_url}/{name}"
    tmp = Path(tempfile.mkdtemp(prefix="optout-scale-bench-"))
    env = lookup_bench._server_env(args, database_url, tmp)
    # One client posts the 10,000-link checks, and more than once a minute.
    env["API_RATE_LIMIT_ITEMS_PER_MINUTE"] = str(10 * CHECK_LINKS * CHECK_CALLS)
    gunicorn: subprocess.Popen | None = None
    print(f"\n== {rows:,} photos of {owners:,} owners ==", flush=True)
    result.load.append(_load("start"))
    try:
        _disk_check(rows, tmp)
        path = tmp / "scale.tsv"
        started = time.perf_counter()
        subprocess.run(
            [str(PYTHON), "-c", _GENERATE, str(path), str(rows), str(owners)],
            cwd=ROOT, check=True,
        )  # fmt: skip
        result.file_mb = path.stat().st_size / 1e6
        print(f"generated {result.file_mb:,.0f} MB in {time.perf_counter() - started:.0f} s")
        lookup_bench._database_create(server_url, name)
        lookup_bench._manage(env, "migrate", "--no-input", "-v", "0")

        result.import_s, result.import_rss_mb, output = import_bench.run_command(
            env, ["import_dataset", SLUG, str(path), "--release", "1.0"]
        )
        result.import_rows = _summary_count(output, "imported (new)")
        print(output.strip())
        result.raw_copy_s = import_bench.raw_copy(database_url, path)
        path.unlink()
        result.load.append(_load("imported"))

        # In a child, as every step that holds many rows in Python: a child started
        # from this process (vfork) counts this process's peak memory as its own.
        done = subprocess.run(
            [str(PYTHON), __file__, "--remove-some", database_url],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        result.removed = int(done.stdout.strip().splitlines()[-1])
        print(f"removed {result.removed:,} photos")
        out = tmp / "removals.csv"
        command = [str(PYTHON), "manage.py", "export_removals", SLUG, "--format", "csv"]
        result.removals_s, peak_kib = _child(command, env, out)
        result.removals_rss_mb = peak_kib / 1024
        result.database_mb = _database_mb(database_url)
        result.migration_s = _migration_seconds(env)
        print(f"migration 0016 forward: {result.migration_s:.2f} s")

        lookup_bench._manage(env, "collectstatic", "--no-input", "-v", "0")
        paths = _lookup_paths(database_url)
        lookup_lua, trivial_lua = tmp / "lookup.lua", tmp / "trivial.lua"
        lookup_lua.write_text(lookup_bench._lua_script(paths))
        trivial_lua.write_text(lookup_bench._lua_script(["/bench/trivial"]))
        port = lookup_bench._free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = lookup_bench._gunicorn_start(env, port, args.workers, args.threads, tmp)
        lookup_bench._wait_until_up(f"{base}/bench/trivial", gunicorn, tmp / "gunicorn.log")
        lookup_bench._check_answers(base, paths)
        for script in (trivial_lua, lookup_lua):
            lookup_bench._wrk(f"{base}/", script, args, duration=args.warmup, pids=None)
        pids = lookup_bench._ServerProcesses(gunicorn.pid, server_url, name)
        result.load.append(_load("look-ups"))
        result.trivial = lookup_bench._wrk(
            f"{base}/", trivial_lua, args, duration=args.duration, pids=pids
        )
        result.lookup = lookup_bench._wrk(
            f"{base}/", lookup_lua, args, duration=args.duration, pids=pids
        )
        result.check_s, result.check_cpu_s = _check_calls(base, database_url, pids)
        lookup_bench._gunicorn_stop(gunicorn)
        gunicorn = None

        result.load.append(_load("end"))
    finally:
        if gunicorn is not None:
            lookup_bench._gunicorn_stop(gunicorn)
        if not (args.keep and rows == int(args.sizes.split(",")[-1])):
            lookup_bench._database_drop(server_url, name)
        shutil.rmtree(tmp, ignore_errors=True)
    return result


# The generator, in a child: the photo id list of a 10M-row file stays out of this process.
_GENERATE = """
import sys
sys.path.insert(0, "bench")
from pathlib import Path
import import_bench
import_bench.generate(Path(sys.argv[1]), int(sys.argv[2]), 1, owners=int(sys.argv[3]), skew=False)
"""

# Migration 0016 taken back and applied again, timed inside one process (no start-up).
_MIGRATION = """
import time
import django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
executor = MigrationExecutor(connection)
node = executor.loader.graph.node_map[("optout", "0016_photo_releases")]
(before,) = [parent.key for parent in node.parents if parent.key[0] == "optout"]
executor.migrate([before])
executor.loader.build_graph()
started = time.perf_counter()
executor.migrate([("optout", "0016_photo_releases")])
print(time.perf_counter() - started)
executor.loader.build_graph()
executor.migrate(executor.loader.graph.leaf_nodes("optout"))
"""


def _migration_seconds(env: dict[str, str]) -> float:
    done = subprocess.run(
        [str(PYTHON), "-c", _MIGRATION],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def _disk_check(rows: int, where: Path) -> None:
    free_gb = shutil.disk_usage(where).free / 1e9
    needed = max(1.0, rows / 1e6 * DISK_PER_MILLION_GB)
    print(f"disk: {free_gb:,.0f} GB free, about {needed:,.0f} GB needed")
    if free_gb < needed:
        raise SystemExit(f"Not enough disk for {rows:,} rows: {free_gb:.0f} GB free.")


def _load(when: str) -> str:
    figures = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(f"load average ({when}): {figures}", flush=True)
    return figures


def _summary_count(output: str, label: str) -> int:
    (line,) = [line for line in output.splitlines() if line.strip().startswith(label)]
    return int(line.split()[-1].replace(",", ""))


def _remove_some(database_url: str) -> int:
    """Every REMOVED_EVERY-th photo becomes a tombstone with its suppression, as the
    deletion pipeline leaves them; then the statistics and visibility autovacuum keeps."""
    with psycopg.connect(database_url) as conn:
        conn.execute("SET LOCAL synchronous_commit = off")
        removed = conn.execute(
            "UPDATE optout_photo SET state = 'removed', removed_at = now(), updated_at = now() "
            "WHERE id %% %s = 0 RETURNING owner_nsid",
            [REMOVED_EVERY],
        ).fetchall()
        nsids = sorted({nsid for (nsid,) in removed})
        keys = [owner_key(nsid, secret=lookup_bench.OWNER_KEY_SECRET) for nsid in nsids]
        conn.execute(
            "INSERT INTO optout_suppression (kind, dataset_id, flickr_id, owner_key, created_at) "
            "SELECT 'photo', p.dataset_id, p.flickr_id, k.key, now() FROM optout_photo p "
            "JOIN unnest(%s::text[], %s::text[]) AS k (nsid, key) ON k.nsid = p.owner_nsid "
            "WHERE p.state = 'removed'",
            [nsids, keys],
        )
        # Tombstones keep no NSID, name or title (the suppression has the NSID's keyed hash).
        conn.execute(
            "UPDATE optout_photo SET owner_nsid = '', owner_name = '', title = '' "
            "WHERE state = 'removed'"
        )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE optout_photo")
        conn.execute("VACUUM ANALYZE optout_suppression")
    return len(removed)


def _lookup_paths(database_url: str) -> list[str]:
    """10,000 random owners' look-ups, half by NSID, half by username (one query more)."""
    with psycopg.connect(database_url) as conn:
        owners = conn.execute(
            "SELECT DISTINCT owner_nsid, owner_name FROM optout_photo TABLESAMPLE SYSTEM (10) "
            "WHERE owner_nsid <> '' LIMIT 10000"
        ).fetchall()
    rng = random.Random(1)
    return [f"/?q={quote(nsid if rng.random() < 0.5 else name, safe='')}" for nsid, name in owners]


def _database_mb(database_url: str) -> float:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    return row[0] / 1e6


def _check_calls(
    base: str, database_url: str, pids: lookup_bench._ServerProcesses
) -> tuple[float, float]:
    """Median wall seconds and server CPU seconds of CHECK_CALLS 10,000-link checks."""
    with psycopg.connect(database_url) as conn:
        calls = [
            conn.execute(
                "SELECT flickr_id FROM optout_photo ORDER BY random() LIMIT %s", [CHECK_LINKS]
            ).fetchall()
            for _ in range(CHECK_CALLS)
        ]
    walls, cpus = [], []
    for call, rows in enumerate(calls):
        links = [f"https://www.flickr.com/photos/someone/{photo_id}/" for (photo_id,) in rows]
        body = json.dumps({"photos": links})
        watched = pids.pids()
        before = lookup_bench._cpu_seconds(watched)
        started = time.perf_counter()
        response = requests.post(
            f"{base}/api/v1/check",
            data=body,
            headers={"Content-Type": "application/json", "X-Forwarded-For": f"10.79.0.{call}"},
            timeout=120,
        )
        walls.append(time.perf_counter() - started)
        after = lookup_bench._cpu_seconds(watched)
        cpus.append(sum(after[pid] - before.get(pid, 0.0) for pid in after))
        answered = response.json().get("results", []) if response.ok else []
        if len(answered) != len(links):
            raise SystemExit(f"The check answered {response.status_code}: {response.text[:300]}")
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"10,000-link check: {wall:.2f} s, server CPU {cpu:.2f} s")
    return wall, cpu


def _child(args: list[str], env: dict[str, str], out: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of one child process, its output to `out`."""
    started = time.monotonic()
    with out.open("wb") as sink:
        child = subprocess.Popen(args, env=env, stdout=sink, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed with status {status}")
    return time.monotonic() - started, usage.ru_maxrss


def _print_table(results: list[SizeResult]) -> None:
    def row(label: str, values: list[str]) -> None:
        print(f"{label:<36}" + "".join(f"{value:>14}" for value in values))

    def wrk(result: SizeResult, name: str) -> lookup_bench.WrkResult:
        found = getattr(result, name)
        assert found is not None
        return found

    print()
    row("photos", [f"{r.rows:,}" for r in results])
    row("owners", [f"{r.owners:,}" for r in results])
    row("file MB", [f"{r.file_mb:,.0f}" for r in results])
    row("import s", [f"{r.import_s:,.1f}" for r in results])
    row("import rows/s", [f"{r.import_rate:,.0f}" for r in results])
    row("raw COPY s (for scale)", [f"{r.raw_copy_s:,.1f}" for r in results])
    row("import / raw COPY (a figure)", [f"{r.raw_ratio:.2f}" for r in results])
    row("import peak RSS MB", [f"{r.import_rss_mb:,.0f}" for r in results])
    row("database MB", [f"{r.database_mb:,.0f}" for r in results])
    row("migration 0016 s", [f"{r.migration_s:.2f}" for r in results])
    row("trivial view req/s", [f"{wrk(r, 'trivial').requests_per_second:,.0f}" for r in results])
    row("trivial p99 ms", [f"{wrk(r, 'trivial').p99_ms:.1f}" for r in results])
    row("look-up req/s", [f"{wrk(r, 'lookup').requests_per_second:,.0f}" for r in results])
    row("look-up p50 ms", [f"{wrk(r, 'lookup').p50_ms:.1f}" for r in results])
    row("look-up p99 ms", [f"{wrk(r, 'lookup').p99_ms:.1f}" for r in results])
    row("look-up CPU ms/req", [f"{wrk(r, 'lookup').cpu_ms_per_request:.2f}" for r in results])
    row(
        "look-up / trivial req/s (a figure)",
        [
            f"{wrk(r, 'lookup').requests_per_second / wrk(r, 'trivial').requests_per_second:.2f}"
            for r in results
        ],
    )
    row("10,000-link check s", [f"{r.check_s:.2f}" for r in results])
    row("10,000-link check CPU s", [f"{r.check_cpu_s:.2f}" for r in results])
    row("removal list rows", [f"{r.removed:,}" for r in results])
    row("removal list s", [f"{r.removals_s:.1f}" for r in results])
    row("removal list peak RSS MB", [f"{r.removals_rss_mb:.0f}" for r in results])
    for errors in {wrk(r, name).errors for r in results for name in ("trivial", "lookup")}:
        if errors:
            print(f"wrk errors: {errors}")
    for result in results:
        print(f"load average at {result.rows:,}: " + " | ".join(result.load))


def _verdict(results: list[SizeResult]) -> int:
    by_rows = {result.rows: result for result in results}
    one, ten = by_rows.get(1_000_000), by_rows.get(10_000_000)
    if not (one and ten and one.lookup and ten.lookup):
        print("\n(no 1M and 10M pair: no targets checked)")
        return 0
    checks: list[tuple[str, Any, bool]] = [
        (
            f"import rows/s at 10M >= {IMPORT_RATE_AT_10M} x 1M",
            f"{ten.import_rate / one.import_rate:.2f} x",
            ten.import_rate >= IMPORT_RATE_AT_10M * one.import_rate,
        ),
        (
            f"look-up CPU/request at 10M <= {LOOKUP_GROWTH} x 1M",
            f"{ten.lookup.cpu_ms_per_request / one.lookup.cpu_ms_per_request:.2f} x",
            ten.lookup.cpu_ms_per_request <= LOOKUP_GROWTH * one.lookup.cpu_ms_per_request,
        ),
        (
            f"look-up p99 at 10M <= {LOOKUP_GROWTH} x 1M",
            f"{ten.lookup.p99_ms / one.lookup.p99_ms:.2f} x",
            ten.lookup.p99_ms <= LOOKUP_GROWTH * one.lookup.p99_ms,
        ),
        (
            f"removal list peak RSS 10M / 1M <= {REMOVALS_MEMORY_GROWTH}",
            f"{ten.removals_rss_mb / one.removals_rss_mb:.2f}",
            ten.removals_rss_mb <= REMOVALS_MEMORY_GROWTH * one.removals_rss_mb,
        ),
        (
            f"look-ups/s at 10M >= {CAPACITY_RPS}",
            f"{ten.lookup.requests_per_second:,.0f}",
            ten.lookup.requests_per_second >= CAPACITY_RPS,
        ),
        (
            f"look-up p99 at 10M < {CAPACITY_P99_MS} ms",
            f"{ten.lookup.p99_ms:.0f} ms",
            ten.lookup.p99_ms < CAPACITY_P99_MS,
        ),
        (
            "no wrk errors",
            "",
            not any(wrk.errors for r in results for wrk in (r.trivial, r.lookup) if wrk),
        ),
    ]
    print()
    for label, figure, ok in checks:
        print(f"{'meets' if ok else 'MISSES':<7}{label:<48}{figure}")
    return 0 if all(ok for _, _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
