"""The look-up by picture: how often it finds an edited copy, never a wrong photo, how fast.

    .venv/bin/python bench/picture_bench.py            # or: make bench-pictures
    .venv/bin/python bench/picture_bench.py --help     # sizes, --keep, --skip-speed

1. Accuracy. 500 generated photo-like pictures (devtools/pictures.py: light,
   texture, objects, grain; 640 x 480, stored as JPEG quality 90) and 5,000
   unrelated ones are hashed as `hash_pictures` hashes a dataset's files, and
   indexed together. Each of the 500 is then looked up after six edits (JPEG
   quality 60; half size; a crop of 5% of the area, evenly from the edges; a
   90-degree turn; a mirror image; a caption in a corner, 3% of the height),
   through the same matcher as /picture/ (`PictureIndex.search`). Recall: the
   share of edited copies that find their picture (target 0.95); a false match:
   any other picture found (target none). The 5,000 unrelated pictures are also
   looked up against the 500 alone. Reported, not required: the square centre
   crop of a 4:3 picture that social networks make.
2. Speed, on PostgreSQL. A database (default `optout_picture_bench`) gets a
   dataset of 500 photos with these pictures as stored files, hashed by
   `pictures_hash` (hashes a second per core), and 1,000,000 more hashes
   (random bits, as unrelated pictures' are). Then: the index's first load,
   its memory, the table check each search makes at most every few seconds, and
   `picture_search` (decode, hash, match, read the matched photos, keep the
   reference) on uploads of four kinds: a phone's JPEG (4032 x 3024), a JPEG
   re-saved at 1600 x 1200, a 1024 px PNG screenshot and a 640 px WebP; p50 and
   p99 of each kind (target: p99 under 150 ms). The database is dropped at the end
   unless --keep.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"

from devtools.pictures import picture_make  # noqa: E402 (after the path)

RECALL_TARGET = 0.95
P99_TARGET_MS = 150.0
INDEX_TARGET_MB = 100.0
CROP_SIDE = (1 - 0.95**0.5) / 2  # 5% of the area, evenly from the four edges


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def caption(image: Image.Image) -> Image.Image:
    captioned = image.copy()
    size = max(8, round(image.height * 0.03))
    font = ImageFont.load_default(size=size)
    ImageDraw.Draw(captioned).text(
        (round(image.width * 0.02), image.height - round(size * 1.6)),
        "@someone · summer 2019",
        fill=(255, 255, 255),
        font=font,
    )
    return captioned


def crop(image: Image.Image) -> Image.Image:
    w, h = image.size
    return image.crop(
        (round(w * CROP_SIDE), round(h * CROP_SIDE), round(w * (1 - CROP_SIDE)),
         round(h * (1 - CROP_SIDE)))
    )  # fmt: skip


def centre_square(image: Image.Image) -> Image.Image:
    side = min(image.size)
    left = (image.width - side) // 2
    top = (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


EDITS: dict[str, Callable[[Image.Image], bytes]] = {
    "JPEG quality 60": lambda im: jpeg(im, 60),
    "half size": lambda im: jpeg(
        im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)
    ),
    "5% crop": lambda im: jpeg(crop(im)),
    "90° turn": lambda im: jpeg(im.rotate(90, expand=True)),
    "mirror image": lambda im: jpeg(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
    "caption": lambda im: jpeg(caption(im)),
}
STRETCH: dict[str, Callable[[Image.Image], bytes]] = {
    "square centre crop (stretch)": lambda im: jpeg(centre_square(im)),
}


def accuracy(originals: int, unrelated: int) -> bool:
    from optout.pictures import MAX_DISTANCE, PictureIndex, picture_hash, picture_variants

    started = time.monotonic()
    pictures = [picture_make(seed) for seed in range(originals)]
    stored = [picture_hash(data=jpeg(picture)) for picture in pictures]
    # Unrelated pictures at 320 x 240: PDQ sees 64 x 64 whatever the size, and they
    # take a quarter of the time to make.
    unrelated_files = [
        jpeg(picture_make(100_000 + seed, width=320, height=240)) for seed in range(unrelated)
    ]
    others = [picture_hash(data=data) for data in unrelated_files]
    flat = sum(h.quality < 50 for h in stored + others)
    print(
        f"Accuracy: {originals} pictures and {unrelated:,} unrelated ones, hashed in "
        f"{time.monotonic() - started:.0f} s ({flat} too flat to match)."
    )
    everything = PictureIndex.of(
        [h.pdq for h in stored] + [h.pdq for h in others],
        list(range(originals)) + [10**6 + n for n in range(unrelated)],
    )
    print(f"  {'edit':<30} {'found':>7} {'recall':>7} {'false':>6} {'worst distance':>15}")
    found_all = false_all = queries = 0
    ok = True
    for name, edit in {**EDITS, **STRETCH}.items():
        found = false = 0
        worst = 0
        for n, picture in enumerate(pictures):
            variants = picture_variants(data=edit(picture))
            matches = everything.search(variants.hashes)
            ids = {m.photo_id for m in matches}
            found += n in ids
            false += len(ids - {n})
            nearest = min(
                int(
                    np.unpackbits(
                        np.frombuffer(v, np.uint8) ^ np.frombuffer(stored[n].pdq, np.uint8)
                    ).sum()
                )
                for v in variants.hashes
            )
            worst = max(worst, nearest)
        recall = found / originals
        print(f"  {name:<30} {found:>7} {recall:>7.3f} {false:>6} {worst:>15}")
        if name in EDITS:
            found_all += found
            false_all += false
            queries += originals
    recall = found_all / queries
    print(f"  {'all six edits':<30} {found_all:>7} {recall:>7.3f} {false_all:>6}")
    # The unrelated pictures, looked up against the 500 alone.
    alone = PictureIndex.of([h.pdq for h in stored], list(range(originals)))
    strays = sum(bool(alone.search(picture_variants(data=data).hashes)) for data in unrelated_files)
    closest = min(
        int(np.unpackbits(np.frombuffer(a.pdq, np.uint8) ^ np.frombuffer(b.pdq, np.uint8)).sum())
        for a in stored[:100]
        for b in others
    )
    print(
        f"  Unrelated pictures looked up: {strays} of {unrelated:,} found something. "
        f"Closest unrelated pair (100 x {unrelated:,}): distance {closest} "
        f"(a match is {MAX_DISTANCE} or less)."
    )
    if recall < RECALL_TARGET:
        print(f"  Recall {recall:.3f} is under the target {RECALL_TARGET}.")
        ok = False
    if false_all or strays:
        print("  False matches: the target is none.")
        ok = False
    print(f"  Accuracy took {time.monotonic() - started:.0f} s.")
    return ok


# --- Speed, on PostgreSQL --------------------------------------------------------------


def database_create(server: str, name: str) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{server}/{name}"


def database_drop(server: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def sensor_noise(image: Image.Image, seed: int) -> Image.Image:
    """A phone's grain, so that its JPEG is the size a phone's is (3-5 MB at 12 MP)."""
    noise = np.random.default_rng(seed).integers(-9, 10, size=(image.height, image.width, 1))
    pixels = np.asarray(image, np.int16) + noise.astype(np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def speed(rows: int, photos: int, searches: int) -> bool:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import connection

    from optout.models import Dataset, Photo, PictureHash
    from optout.pictures import picture_hash, picture_index, picture_search, pictures_hash
    from optout.pictures.index import _table_stamp

    ok = True
    dataset = Dataset.objects.create(slug="bench", name="Bench")
    started = time.monotonic()
    Photo.objects.bulk_create(
        [
            Photo(dataset=dataset, flickr_id=9_000_000_000 + n, file_keys=[f"bench/{n}.jpg"])
            for n in range(photos)
        ]
    )
    sources = []  # the first few, kept for the uploads below
    for n in range(photos):
        # Made at 512 x 384 and enlarged: a quarter of the time, and the same work to hash.
        source = picture_make(n, width=512, height=384).resize(
            (1024, 768), Image.Resampling.BICUBIC
        )
        default_storage.save(f"bench/{n}.jpg", ContentFile(jpeg(source)))
        if n < 32:
            sources.append(source)
    print(
        f"\nSpeed: {photos} stored JPEG files of 1024 x 768 written in "
        f"{time.monotonic() - started:.0f} s."
    )
    cpu = time.process_time()
    wall = time.monotonic()
    run = pictures_hash(slug="bench")
    cpu = time.process_time() - cpu
    wall = time.monotonic() - wall
    print(
        f"  hash_pictures: {run.hashed} hashed in {wall:.1f} s, {cpu:.1f} s of CPU: "
        f"{run.hashed / cpu:,.0f} hashes a second per core (storage read, decode, hash, "
        "bulk insert)."
    )
    for label, data in (
        (
            "1024 x 1024 PNG (an FFHQ image)",
            encoded(picture_make(1, width=1024, height=1024), "PNG"),
        ),
        ("640 x 480 JPEG (a YFCC100M photo)", jpeg(picture_make(2))),
    ):
        count = 200
        cpu = time.process_time()
        for _ in range(count):
            picture_hash(data=data)
        cpu = time.process_time() - cpu
        print(f"  picture_hash alone, {label}: {count / cpu:,.0f} a second per core.")

    # 1,000,000 more hashes: random bits, as unrelated pictures' are.
    started = time.monotonic()
    rng = np.random.default_rng(18)
    table = PictureHash._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.connection
        block = 100_000
        for start in range(0, rows, block):
            n = min(block, rows - start)
            bits = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
            with raw.cursor().copy(
                f"COPY {table} (photo_id, dataset_id, flickr_id, pdq, quality, hashed_at) "
                "FROM STDIN"
            ) as copy:
                for i in range(n):
                    copy.write_row(
                        (2_000_000_000 + start + i, dataset.pk, 3_000_000_000 + start + i,
                         bits[i].tobytes(), 90, "2026-01-01T00:00:00Z")
                    )  # fmt: skip
        cursor.execute(f"ANALYZE {table}")
    print(f"  {rows:,} more hashes COPYed in {time.monotonic() - started:.0f} s.")

    picture_index().reset()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    picture_index().refresh()
    load = time.monotonic() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    megabytes = picture_index().nbytes / 1e6
    print(
        f"  Index: {picture_index().size:,} hashes, {megabytes:.1f} MB of arrays (peak RSS grew "
        f"{(rss_after - rss_before) / 1024:.0f} MB while loading), first load {load:.1f} s."
    )
    if megabytes >= INDEX_TARGET_MB:
        print(f"  The index is over {INDEX_TARGET_MB:.0f} MB.")
        ok = False
    for count, what in (
        (False, "last id, newest; every 5 s"),
        (True, "and the count; every 5 min"),
    ):
        checks = []
        for _ in range(20):
            started = time.perf_counter()
            _table_stamp(count=count)
            checks.append((time.perf_counter() - started) * 1000)
        print(
            f"  The table check a search makes ({what}): median {statistics.median(checks):.1f} ms."
        )

    phone = [jpeg(sensor_noise(sources[s].resize((4032, 3024)), s), 85) for s in range(3)]
    kinds = {
        "phone JPEG 4032 x 3024": [(p, True) for p in phone],
        "JPEG 1600 x 1200": [(jpeg(sources[s].resize((1600, 1200)), 85), True) for s in range(10)],
        "PNG 1024 x 768 (screenshot)": [(encoded(sources[s], "PNG"), True) for s in range(10, 20)],
        "WebP 640 x 480": [
            (encoded(sources[s].resize((640, 480)), "WEBP", quality=80), True)
            for s in range(20, 30)
        ],
        "unrelated JPEG 1600 x 1200": [
            (jpeg(picture_make(50_000 + s, width=400, height=300).resize((1600, 1200)), 85), False)
            for s in range(10)
        ],
        # An iPhone's HEIC carries a 320 x 240 thumbnail, which is what gets decoded.
        "phone HEIC 4032 x 3024": [
            (encoded(sources[30].resize((4032, 3024)), "HEIF", quality=60, thumbnails=[320]), True)
        ],
    }
    # Reported apart, outside the target: the whole 12 megapixels of HEVC decoded.
    bare_heic = encoded(sources[31].resize((4032, 3024)), "HEIF", quality=60, thumbnails=[])
    print(
        f"  picture_search over {picture_index().size:,} hashes "
        "(decode, hash, match, photos, reference):"
    )
    print(f"    {'upload':<30} {'size':>8} {'p50 ms':>7} {'p99 ms':>7} {'found':>6}")
    every: list[float] = []
    cpu_every = 0.0
    for kind, uploads in kinds.items():
        times: list[float] = []
        right = 0
        for i in range(searches):
            data, expected = uploads[i % len(uploads)]
            cpu = time.process_time()
            started = time.perf_counter()
            answer = picture_search(data=data)
            times.append((time.perf_counter() - started) * 1000)
            cpu_every += time.process_time() - cpu
            right += bool(answer.present_in) == expected
        every += times
        size = sum(len(d) for d, _ in uploads) / len(uploads) / 1e6
        print(
            f"    {kind:<30} {size:>6.1f}MB {statistics.median(times):>7.1f} "
            f"{percentile(times, 0.99):>7.1f} {right / searches:>6.0%}"
        )
        if right != searches:
            ok = False
    p99 = percentile(every, 0.99)
    print(
        f"    {'all':<30} {'':>8} {statistics.median(every):>7.1f} {p99:>7.1f}   "
        f"({cpu_every / len(every) * 1000:.0f} ms of CPU a search)"
    )
    if p99 >= P99_TARGET_MS:
        print(f"  p99 {p99:.0f} ms is over the target {P99_TARGET_MS:.0f} ms.")
        ok = False
    times = []
    for _ in range(3):
        started = time.perf_counter()
        picture_search(data=bare_heic)
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"    {'HEIC without a thumbnail':<30} {len(bare_heic) / 1e6:>6.1f}MB "
        f"{statistics.median(times):>7.1f}  (not in the target: no thumbnail to read)"
    )
    matchable = picture_index()
    hashes = [bytes(rng.integers(0, 256, size=32, dtype=np.uint8)) for _ in range(8)]
    times = []
    for _ in range(50):
        started = time.perf_counter()
        matchable.search(tuple(hashes))
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"  The match alone (8 variants against {matchable.size:,}): median "
        f"{statistics.median(times):.1f} ms, p99 {percentile(times, 0.99):.1f} ms."
    )
    # The same match in PostgreSQL, for comparison: one variant of the eight.
    with connection.cursor() as cursor:
        times = []
        for variant in hashes[:3]:
            started = time.perf_counter()
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE bit_count(('x' || encode(pdq, 'hex'))"
                "::bit(256) # ('x' || %s)::bit(256)) <= 31",
                [variant.hex()],
            )
            cursor.fetchone()
            times.append((time.perf_counter() - started) * 1000)
    print(
        f"  The same match in PostgreSQL (bit_count of XOR, a sequential scan), one variant: "
        f"median {statistics.median(times):.0f} ms (eight: x 8)."
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--originals", type=int, default=500)
    parser.add_argument("--unrelated", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=1_000_000, help="Hashes in the speed test.")
    parser.add_argument(
        "--photos", type=int, default=500, help="Stored files hashed (at least 32)."
    )
    parser.add_argument("--searches", type=int, default=100, help="Searches per upload kind.")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="optout_picture_bench")
    parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    args.photos = max(args.photos, 32)  # the uploads are made from the first 32

    var = Path(tempfile.mkdtemp(prefix="optout-picture-bench-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",
            "VAR_DIR": str(var),
            "LOG_LEVEL": "WARNING",
        }
    )
    ok = True
    try:
        if not args.skip_speed:
            os.environ["DATABASE_URL"] = database_create(args.server, args.database)
            subprocess.run(
                [str(BIN / "python"), str(ROOT / "manage.py"), "migrate", "--no-input", "-v0"],
                check=True,
                env=os.environ,
            )
        import django
        from django.conf import settings

        django.setup()
        # DEBUG on spares the bench production's secrets; off again, so that no query is logged.
        settings.DEBUG = False
        if not args.skip_accuracy:
            ok &= accuracy(args.originals, args.unrelated)
        if not args.skip_speed:
            ok &= speed(args.rows, args.photos, args.searches)
    finally:
        if not args.skip_speed and not args.keep:
            database_drop(args.server, args.database)
        shutil.rmtree(var, ignore_errors=True)
    print("\nAll targets met." if ok else "\nSome targets were missed (above).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
