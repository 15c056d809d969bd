"""Import speed and memory, against a raw COPY of the same rows run beside it.

    .venv/bin/python bench/import_bench.py [--rows N]

Generates an N-row (default 1,000,000) 25-column YFCC100M file and one a
quarter that size, creates its own PostgreSQL database next to the one in
DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test, never touched),
and measures, in that database:

- baseline: `COPY` of the file's lines, as they are, into a bare table (no
  index, no constraint): what the server does at best with these bytes; run
  before and after ours, their mean is the baseline (the machine drifts);
- ours: `manage.py import_dataset` as an operator runs it (a subprocess, Django
  start-up included): read, validate, decode, stage by COPY, fold duplicates,
  check suppressions, and merge into optout_photo with its indexes;
- peak memory (ru_maxrss) of the import process, at N/4 and N rows.

Then a re-import of the N rows (every row an update). Drops its database and
files at the end, also on failure or Ctrl-C.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optout.importers.yfcc import LICENSES, YFCC_25, yfcc_line  # noqa: E402

TARGET_RATIO = 0.5
MEMORY_LIMIT_MB = 300
STEP_TIMEOUT = 1200  # seconds; a step past this is killed and the bench fails
WORDS = ("beach", "wedding", "portrait", "family", "party", "street", "friends", "summer")


def generate(path: Path, rows: int, seed: int) -> None:
    """A YFCC100M file shaped like the real one: 1% videos, skewed owners, encoded text."""
    rng = random.Random(seed)
    owners = [
        (f"{rng.randint(10_000_000, 99_999_999)}@N{rng.randint(0, 8):02d}", f"user {i} é")
        for i in range(max(10, rows // 20))
    ]
    # Unique, in no order, as in a real manifest (which is not sorted by photo id).
    photo_ids = rng.sample(range(1_000_000, 14_000_000_000), rows)
    with open(path, "w", encoding="utf-8") as out:
        for n in range(rows):
            nsid, nick = owners[int(len(owners) * rng.random() ** 2)]
            photo_id = photo_ids[n]
            license_name, license_url = LICENSES[n % len(LICENSES)]
            secret = f"{rng.getrandbits(40):010x}"
            values = {
                "line_number": n,
                "photo_id": photo_id,
                "photo_hash": f"{rng.getrandbits(128):032x}",
                "user_nsid": nsid,
                "user_nickname": nick,
                "date_taken": "2010-05-01 12:34:56.0",
                "date_uploaded": 1272700000 + n,
                "capture_device": "Canon EOS 400D DIGITAL",
                "title": f"{rng.choice(WORDS)} {n} à la plage",
                "description": "A day at the beach with the whole family",
                "user_tags": ",".join(rng.sample(WORDS, 3)),
                "longitude": "-2.335453",
                "latitude": "55.010991",
                "accuracy": 12,
                "page_url": f"http://www.flickr.com/photos/{nsid}/{photo_id}/",
                "download_url": f"http://farm5.staticflickr.com/4036/{photo_id}_{secret}.jpg",
                "license_name": license_name,
                "license_url": license_url,
                "server_id": 4036,
                "farm_id": 5,
                "secret": secret,
                "secret_original": f"{rng.getrandbits(40):010x}",
                "original_extension": "jpg",
                "marker": int(n % 100 == 99),
            }
            out.write(yfcc_line(values) + "\n")


def raw_copy(dsn: str, path: Path) -> float:
    """Seconds to COPY the file's lines as they are into a bare 25-column table."""
    columns = ", ".join(f"{name} text" for name in YFCC_25)
    with psycopg.connect(dsn) as conn:
        conn.execute(f"DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw ({columns})")
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY bench_raw FROM STDIN") as copy,
            open(path, "rb") as f,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_raw")
        conn.commit()
    return seconds


def run_import(env: dict[str, str], slug: str, path: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, output) of one import_dataset process."""
    return run_command(env, ["import_dataset", slug, str(path), "--release", "1.0"])


def run_command(env: dict[str, str], args: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, output) of one manage.py process."""
    command = [sys.executable, "manage.py", *args]
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        watchdog = threading.Timer(STEP_TIMEOUT, proc.kill)
        watchdog.start()
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be a running max).
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        watchdog.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed or took over {STEP_TIMEOUT} s:\n{output}")
    return seconds, usage.ru_maxrss / 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.rows, args.seed)
        return
    rows, small = args.rows, max(1, args.rows // 4)

    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    name = f"optout_bench_{os.getpid()}"
    parts = urlsplit(server)
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    admin_dsn = urlunsplit(parts)
    workdir = Path(tempfile.mkdtemp(prefix="optout-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        "OWNER_KEY_SECRET": "bench-only",
        # Production requires a provider and the webhook's secret: anymail's test backend.
        "ANYMAIL_ESP": "test",
        "ANYMAIL_WEBHOOK_SECRET": "bench:bench-only",
        "VAR_DIR": str(workdir / "var"),
        "CONN_MAX_AGE": "0",
    }
    env.pop("REDIS_URL", None)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        print(f"Generating {rows:,} and {small:,} YFCC100M rows in {workdir} …", flush=True)
        big, little = workdir / "big.tsv", workdir / "small.tsv"
        # In a child process: the files' id lists would otherwise stay in this process,
        # and a vfork'd child's ru_maxrss starts from its parent's size.
        for path, count, seed in ((big, rows, 1), (little, small, 2)):
            subprocess.run(
                [sys.executable, __file__, "--generate", str(path), "--rows", str(count),
                 "--seed", str(seed)],
                check=True, timeout=STEP_TIMEOUT,
            )  # fmt: skip
        size_mb = big.stat().st_size / 1e6
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=ROOT, env=env, check=True, timeout=STEP_TIMEOUT,
        )  # fmt: skip

        floor_mb = run_command(env, ["check"])[1]
        # The baseline runs before and after ours, and their mean is the baseline: the
        # machine drifts (other work, checkpoints after a few hundred MB of writes).
        before = raw_copy(bench_url, big)
        small_s, small_mb, _ = run_import(env, "bench-small", little)
        ours, big_mb, output = run_import(env, "bench", big)
        after = raw_copy(bench_url, big)
        baseline = (before + after) / 2
        again, _, _ = run_import(env, "bench", big)

        base_rate, our_rate = rows / baseline, rows / ours
        ratio = our_rate / base_rate
        print(f"\nFile: {rows:,} rows, {size_mb:,.0f} MB, 25-column YFCC100M, 1% videos.")
        print(
            f"raw COPY into a bare table : {baseline:7.1f} s  {base_rate:>10,.0f} rows/s"
            f"  ({before:.1f} s before ours, {after:.1f} s after)"
        )
        print(f"import_dataset (new rows)  : {ours:7.1f} s  {our_rate:>10,.0f} rows/s")
        print(f"ratio (ours / raw COPY)    : {ratio:7.2f}   target ≥ {TARGET_RATIO}")
        print(f"re-import (all updates)    : {again:7.1f} s  {rows / again:>10,.0f} rows/s")
        small_rate = small / small_s
        print(f"peak memory, {small:>9,} rows : {small_mb:6.0f} MB  ({small_rate:,.0f} rows/s)")
        print(f"peak memory, {rows:>9,} rows : {big_mb:6.0f} MB  limit {MEMORY_LIMIT_MB} MB")
        print(f"peak memory, Django start-up: {floor_mb:6.0f} MB  (manage.py check, for scale)")
        print("\nLast import's summary:\n" + output.strip())
        ok = ratio >= TARGET_RATIO and max(small_mb, big_mb) < MEMORY_LIMIT_MB
        print("\nPASS" if ok else "\nBELOW TARGET")
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
