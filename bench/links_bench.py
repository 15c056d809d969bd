"""Importing a dataset of links (Parquet, as LAION ships) beside a YFCC100M file.

    .venv/bin/python bench/links_bench.py [--rows N] [--flickr 0.3]

Generates an N-row (default 1,000,000) Parquet file shaped like LAION-400M's parts
(SAMPLE_ID, URL, TEXT, HEIGHT, WIDTH, LICENSE, NSFW, similarity; row groups of
100,000; snappy), in which a share (default 30%) of the links are Flickr photos in
every form the importer reads (static images on live/farmN/cN.staticflickr.com,
photo pages, flic.kr links) and the rest other sites' images, and a YFCC100M file
of the same number of rows (bench/import_bench.py's generator). Then, in its own
PostgreSQL database next to the one in DATABASE_URL (never touched), runs
`manage.py import_dataset` on each as an operator would (Django start-up
included) and prints the rows read per second of each, their ratio, and each
import's peak memory (ru_maxrss of the process, and of the reading child for
files of 16 MB and more). Target: the Parquet file at least as fast per row read
as the YFCC100M file; memory flat (the same at N/4 rows as at N).
Drops its database and files at the end.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from import_bench import STEP_TIMEOUT, run_import  # noqa: E402

from optout.lookup.parse import base58_encode  # noqa: E402

RATIO_TARGET = 1.0
ROW_GROUP = 100_000
HOSTS = ("i.pinimg.com", "cdn.shopify.com", "images.squarespace-cdn.com", "i.ytimg.com")
WORDS = ("a", "photo", "of", "the", "beach", "wedding", "portrait", "family", "dog", "city")


def flickr_link(rng: random.Random, photo_id: int) -> str:
    secret = f"{rng.getrandbits(40):010x}"
    server = rng.randint(1000, 65535)
    pick = rng.random()
    if pick < 0.55:
        return f"https://live.staticflickr.com/{server}/{photo_id}_{secret}_b.jpg"
    if pick < 0.80:
        return f"http://farm{rng.randint(1, 9)}.staticflickr.com/{server}/{photo_id}_{secret}.jpg"
    if pick < 0.90:
        farm = rng.randint(1, 9)
        return f"https://c{farm}.staticflickr.com/{farm}/{server}/{photo_id}_{secret}_z.jpg"
    if pick < 0.95:
        nsid = f"{rng.randint(10**7, 10**8)}@N0{rng.randint(0, 8)}"
        return f"https://www.flickr.com/photos/{nsid}/{photo_id}/"
    return f"https://flic.kr/p/{base58_encode(photo_id)}"


def generate_parquet(path: Path, rows: int, share: float, seed: int) -> None:
    rng = random.Random(seed)
    ids = rng.sample(range(1_000_000, 60_000_000_000), rows)
    writer = None
    for start in range(0, rows, ROW_GROUP):
        n = min(ROW_GROUP, rows - start)
        urls = [
            flickr_link(rng, ids[start + i])
            if rng.random() < share
            else f"https://{rng.choice(HOSTS)}/{rng.getrandbits(64):016x}/{i}.jpg"
            for i in range(n)
        ]
        table = pa.table(
            {
                "SAMPLE_ID": pa.array(range(start, start + n), pa.int64()),
                "URL": urls,
                "TEXT": [" ".join(rng.choices(WORDS, k=rng.randint(3, 12))) for _ in range(n)],
                "HEIGHT": pa.array([rng.randint(200, 4000) for _ in range(n)], pa.int32()),
                "WIDTH": pa.array([rng.randint(200, 4000) for _ in range(n)], pa.int32()),
                "LICENSE": ["?"] * n,
                "NSFW": [rng.choice(("UNLIKELY", "UNSURE", "NSFW")) for _ in range(n)],
                "similarity": [rng.uniform(0.3, 0.45) for _ in range(n)],
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="snappy")
        writer.write_table(table, row_group_size=ROW_GROUP)
    assert writer is not None
    writer.close()


def summary_count(output: str, label: str) -> int:
    line = next(line for line in output.splitlines() if line.strip().startswith(label))
    return int(line.rsplit(None, 1)[-1].replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--flickr", type=float, default=0.3, help="share of Flickr links")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate_parquet(args.generate, args.rows, args.flickr, args.seed)
        return
    rows, small = args.rows, max(1, args.rows // 4)
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    name = f"optout_links_bench_{os.getpid()}"
    parts = urlsplit(server)
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    admin_dsn = urlunsplit(parts)
    workdir = Path(tempfile.mkdtemp(prefix="optout-links-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        "OWNER_KEY_SECRET": "bench-only",
        "ANYMAIL_ESP": "test",
        "ANYMAIL_WEBHOOK_SECRET": "bench:bench-only",
        "VAR_DIR": str(workdir / "var"),
        "CONN_MAX_AGE": "0",
    }
    env.pop("REDIS_URL", None)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        print(f"Generating {rows:,} rows of links and of YFCC100M in {workdir} …", flush=True)
        links, little, yfcc = (workdir / n for n in ("links.parquet", "small.parquet", "y.tsv"))
        for path, count, seed in ((links, rows, 1), (little, small, 2)):
            subprocess.run(
                [sys.executable, __file__, "--generate", str(path), "--rows", str(count),
                 "--seed", str(seed), "--flickr", str(args.flickr)],
                check=True, timeout=STEP_TIMEOUT,
            )  # fmt: skip
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "import_bench.py"), "--generate", str(yfcc),
             "--rows", str(rows), "--seed", "3"],
            check=True, timeout=STEP_TIMEOUT,
        )  # fmt: skip
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=ROOT, env=env, check=True, timeout=STEP_TIMEOUT,
        )  # fmt: skip
        # YFCC first, then the links, then YFCC again into a second dataset: the
        # machine drifts, and the mean of the two YFCC runs is the comparison.
        y1, y1_mb, _ = run_import(env, "yfcc-a", yfcc)
        _, small_mb, _ = run_import(env, "links-small", little)
        ours, ours_mb, output = run_import(env, "links", links)
        y2, _, _ = run_import(env, "yfcc-b", yfcc)
        yfcc_s = (y1 + y2) / 2
        kept = summary_count(output, "imported (new)")
        not_flickr = summary_count(output, "skipped: not Flickr")
        size_mb = links.stat().st_size / 1e6
        ratio = yfcc_s / ours
        print(
            f"\nParquet: {rows:,} rows, {size_mb:,.0f} MB, {args.flickr:.0%} Flickr links; "
            f"{kept:,} photos kept, {not_flickr:,} not Flickr."
        )
        print(
            f"YFCC100M import_dataset    : {yfcc_s:7.1f} s  {rows / yfcc_s:>10,.0f} rows/s"
            f"  ({y1:.1f} s before, {y2:.1f} s after)"
        )
        print(f"Parquet import_dataset     : {ours:7.1f} s  {rows / ours:>10,.0f} rows/s")
        print(f"ratio (Parquet / YFCC100M) : {ratio:7.2f}   target ≥ {RATIO_TARGET}")
        print(f"peak memory, {small:>9,} rows of links : {small_mb:6.0f} MB")
        print(f"peak memory, {rows:>9,} rows of links : {ours_mb:6.0f} MB")
        print(f"peak memory, {rows:>9,} YFCC100M rows : {y1_mb:6.0f} MB")
        print("\nParquet import's summary:\n" + output.strip())
        ok = ratio >= RATIO_TARGET and ours_mb < small_mb * 1.5 + 20
        print("\nPASS" if ok else "\nBELOW TARGET")
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
