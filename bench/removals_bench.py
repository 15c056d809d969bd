"""Does the public removal list stream in constant memory? A big list next to a small one.

    .venv/bin/python bench/removals_bench.py            # 2,000,000 removed photos vs 10,000
    .venv/bin/python bench/removals_bench.py --big 500000 --keep

1. creates a PostgreSQL database (default `optout_bench_removals` on
   postgres://postgres@127.0.0.1:5432/), migrates it, and fills two datasets
   set-based (INSERT … SELECT generate_series): `small` with --small removed
   photos (the baseline) and `big` with --big;
2. runs `manage.py export_removals <slug> --format csv` and `--format json`
   for each in a child process (the same generator the
   /datasets/<slug>/removals.* views stream), output to a file, and reads
   the child's own peak RSS from wait4;
3. prints rows, seconds, rows/s and peak RSS of each, and the RSS ratio big /
   small (target: at most 1.25, i.e. memory does not grow with the list);
   exits 1 above it;
4. drops the database (unless --keep).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
TARGET_RATIO = 1.25


def run_child(args: list[str], env: dict[str, str], out: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of one child process."""
    started = time.monotonic()
    with out.open("wb") as sink:
        child = subprocess.Popen(args, env=env, stdout=sink, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed with status {status}")
    return time.monotonic() - started, usage.ru_maxrss


def fill(url: str, slug: str, count: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO optout_dataset (slug, name, description, source, release, photo_count,"
            " created_at, updated_at) VALUES (%s, %s, '', 'bench', '1.0', 0, now(), now())",
            (slug, slug),
        )
        conn.execute(
            "INSERT INTO optout_photo (dataset_id, flickr_id, owner_nsid, owner_name, title,"
            " page_url, image_url, server, secret, license, file_keys, extra, release, state,"
            " removed_at, updated_at)"
            " SELECT d.id, 1000000 + n, (n %% 50000)::text || '@N01', '', '', '', '', '65535',"
            " 'abcdef', '', '[]', '{}', '1.0', 'removed', now() - (n %% 300) * interval '1 day',"
            " now() FROM optout_dataset d, generate_series(1, %s) AS n WHERE d.slug = %s",
            (count, slug),
        )
        conn.execute("ANALYZE optout_photo")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=2_000_000)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="optout_bench_removals")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    options = parser.parse_args()

    admin_url = f"{options.server}/postgres"
    url = f"{options.server}/{options.database}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(options.database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(options.database)))
    tmp = Path(tempfile.mkdtemp(prefix="removals-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "true",
        "VAR_DIR": str(tmp),
        "REDIS_URL": "",
    }
    try:
        subprocess.run(
            [str(PYTHON), "manage.py", "migrate", "--no-input", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        for slug, count in (("small", options.small), ("big", options.big)):
            started = time.monotonic()
            fill(url, slug, count)
            print(f"filled {slug}: {count:,} removed photos in {time.monotonic() - started:.1f} s")

        peaks: dict[tuple[str, str], int] = {}
        print(f"{'list':<12}{'rows':>12}{'seconds':>10}{'rows/s':>12}{'peak RSS':>12}")
        for fmt in ("csv", "json"):
            for slug, count in (("small", options.small), ("big", options.big)):
                out = tmp / f"{slug}.{fmt}"
                args = [str(PYTHON), "manage.py", "export_removals", slug, "--format", fmt]
                seconds, peak_kib = run_child(args, env, out)
                peaks[(slug, fmt)] = peak_kib
                print(
                    f"{slug + '.' + fmt:<12}{count:>12,}{seconds:>10.1f}"
                    f"{count / seconds:>12,.0f}{peak_kib / 1024:>9.1f} MB"
                )
        worst = 0.0
        for fmt in ("csv", "json"):
            ratio = peaks[("big", fmt)] / peaks[("small", fmt)]
            worst = max(worst, ratio)
            print(
                f"{fmt}: peak RSS big/small = {ratio:.2f} "
                f"({options.big:,} vs {options.small:,} rows; target <= {TARGET_RATIO})"
            )
        return 0 if worst <= TARGET_RATIO else 1
    finally:
        if not options.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(options.database)
                    )
                )
        for path in sorted(tmp.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        tmp.rmdir()


if __name__ == "__main__":
    sys.exit(main())
