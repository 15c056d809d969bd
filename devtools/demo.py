"""Generated demo data: owners, a Diversity-in-Faces-like YFCC100M manifest and an
FFHQ-like JSON, imported through the same service as real manifests.

Everything is seeded, so every run (and every machine) makes the same owners,
photos and files: `owners()` is what the Flickr simulator signs people in as.
"""

import functools
import hashlib
import io
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Count
from faker import Faker
from PIL import Image

from devtools.pictures import picture_make
from optout.importers import ImportSummary, dataset_import
from optout.importers.yfcc import LICENSES, yfcc_line
from optout.models import Photo
from optout.pictures import HashRun, first_picture_key, pictures_hash

SEED = 20190129  # the day IBM announced Diversity in Faces
OWNERS = 300
DIF_PHOTOS = 4000
FFHQ_PHOTOS = 700
DIF = {
    "slug": "diversity-in-faces",
    "name": "Diversity in Faces (demo)",
    "release": "1.0",
    "source": "YFCC100M (Flickr)",
    "description": "A generated stand-in for IBM's Diversity in Faces: "
    "one million face images from YFCC100M, built in 2019.",
}
FFHQ = {
    "slug": "ffhq",
    "name": "Flickr-Faces-HQ (demo)",
    "release": "v2",
    "source": "Flickr",
    "description": "A generated stand-in for NVIDIA's FFHQ: "
    "70,000 aligned faces crawled from Flickr in 2018.",
}
LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "pt_BR", "nl_NL", "pl_PL")
EPOCH = datetime(2004, 1, 1, tzinfo=UTC)  # YFCC100M photos were taken 2004-2014
DEVICES = ("Canon EOS 400D DIGITAL", "NIKON D70", "Canon PowerShot S3 IS", "iPhone 4", "")


@dataclass(frozen=True)
class DemoOwner:
    nsid: str
    username: str
    fullname: str


@dataclass(frozen=True)
class DemoPhoto:
    flickr_id: int
    owner: DemoOwner
    title: str
    license: int  # index into LICENSES
    server: str
    farm: int
    secret: str
    secret_original: str
    taken: datetime
    video: bool = False


def _faker(salt: int) -> Faker:
    fake = Faker(list(LOCALES))
    fake.seed_instance(SEED + salt)
    return fake


@functools.cache
def owners() -> tuple[DemoOwner, ...]:
    """The demo Flickr accounts, always the same ones, in the same order."""
    rng = random.Random(SEED)
    fake = _faker(1)
    found: list[DemoOwner] = []
    nsids: set[str] = set()
    usernames: set[str] = set()
    while len(found) < OWNERS:
        nsid = f"{rng.randint(10_000_000, 99_999_999)}@N{rng.randint(0, 8):02d}"
        fullname = fake.name()
        username = fake.user_name()
        if rng.random() < 0.3:
            username = f"{username}{rng.randint(1, 99)}"
        if nsid in nsids or username.casefold() in usernames:
            continue
        nsids.add(nsid)
        usernames.add(username.casefold())
        found.append(DemoOwner(nsid, username, fullname))
    return tuple(found)


def _photo(rng: random.Random, fake: Faker, owner: DemoOwner, taken_ids: set[int]) -> DemoPhoto:
    while (flickr_id := rng.randint(100_000, 14_000_000_000)) in taken_ids:
        pass
    taken_ids.add(flickr_id)
    if rng.random() < 0.4:
        title = rng.choice(("IMG_", "DSC_", "DSCF", "P10")) + f"{rng.randint(1, 9999):04d}"
    else:
        title = fake.sentence(nb_words=rng.randint(2, 5)).rstrip(".")
    return DemoPhoto(
        flickr_id=flickr_id,
        owner=owner,
        title=title,
        license=rng.randrange(len(LICENSES)),
        server=str(rng.randint(1000, 8999)),
        farm=rng.randint(1, 9),
        secret=f"{rng.getrandbits(40):010x}",
        secret_original=f"{rng.getrandbits(40):010x}",
        taken=datetime(2004, 1, 1, tzinfo=UTC)
        + timedelta(seconds=rng.randint(0, 10 * 365 * 86400)),
    )


@functools.cache
def dif_photos() -> tuple[DemoPhoto, ...]:
    """The Diversity in Faces demo rows: a few owners with many photos, most with a few."""
    rng = random.Random(SEED + 2)
    fake = _faker(2)
    people = owners()[: OWNERS - 40]  # the last 40 owners are only in FFHQ
    weights = [rng.paretovariate(1.1) for _ in people]
    scale = (DIF_PHOTOS - len(people)) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    counts[0] += DIF_PHOTOS - sum(counts)  # the first owner takes the rounding
    ids: set[int] = set()
    photos = [
        _photo(rng, fake, owner, ids)
        for owner, n in zip(people, counts, strict=True)
        for _ in range(n)
    ]
    # A few videos, as YFCC100M has: the importer skips them.
    photos += [
        DemoPhoto(**{**_photo(rng, fake, rng.choice(people), ids).__dict__, "video": True})
        for _ in range(25)
    ]
    rng.shuffle(photos)
    return tuple(photos)


@functools.cache
def ffhq_photos() -> tuple[DemoPhoto, ...]:
    """FFHQ demo rows: some owners shared with DiF (some even the same photos), some not."""
    rng = random.Random(SEED + 3)
    fake = _faker(3)
    shared = [p for p in dif_photos() if not p.video]
    people = list(owners()[:60]) + list(owners()[OWNERS - 40 :])
    ids = {p.flickr_id for p in dif_photos()}
    photos = rng.sample(shared, 120)
    while len(photos) < FFHQ_PHOTOS - 10:
        photos.append(_photo(rng, fake, rng.choice(people), ids))
    # FFHQ crops several faces from one photo: the same photo id on several entries.
    photos += rng.sample(photos, 10)
    rng.shuffle(photos)
    return tuple(photos)


def yfcc_values(photo: DemoPhoto, line_number: int) -> dict[str, Any]:
    license_name, license_url = LICENSES[photo.license]
    nsid = photo.owner.nsid
    return {
        "line_number": line_number,
        "photo_id": photo.flickr_id,
        "photo_hash": hashlib.md5(str(photo.flickr_id).encode()).hexdigest(),  # noqa: S324
        "user_nsid": nsid,
        "user_nickname": photo.owner.username,
        "date_taken": photo.taken.strftime("%Y-%m-%d %H:%M:%S.0"),
        "date_uploaded": int(photo.taken.timestamp()) + 86400,
        "capture_device": DEVICES[photo.flickr_id % len(DEVICES)],
        "title": photo.title,
        "page_url": f"http://www.flickr.com/photos/{nsid}/{photo.flickr_id}/",
        "download_url": f"http://farm{photo.farm}.staticflickr.com/{photo.server}/"
        f"{photo.flickr_id}_{photo.secret}.jpg",
        "license_name": license_name,
        "license_url": license_url,
        "server_id": photo.server,
        "farm_id": photo.farm,
        "secret": photo.secret,
        "secret_original": photo.secret_original,
        "original_extension": "mp4" if photo.video else "jpg",
        "marker": int(photo.video),
    }


def write_dif_manifest(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for number, photo in enumerate(dif_photos()):
            out.write(yfcc_line(yfcc_values(photo, number)) + "\n")
    return path


FFHQ_LICENSES = (
    ("Attribution License", "https://creativecommons.org/licenses/by/2.0/"),
    ("Attribution-NonCommercial License", "https://creativecommons.org/licenses/by-nc/2.0/"),
    ("Public Domain Mark", "https://creativecommons.org/publicdomain/mark/1.0/"),
    ("Public Domain Dedication (CC0)", "https://creativecommons.org/publicdomain/zero/1.0/"),
)


def ffhq_entry(index: int, photo: DemoPhoto) -> dict[str, Any]:
    """One image of ffhq-dataset-v2.json, as NVIDIA's README describes it."""
    folder = f"{index // 1000 * 1000:05d}"
    license_name, license_url = FFHQ_LICENSES[photo.license % len(FFHQ_LICENSES)]
    rng = random.Random(photo.flickr_id + index)
    landmarks = [[round(rng.uniform(300, 700), 1), round(rng.uniform(300, 700), 1)]]

    def block(kind: str, size: int) -> dict[str, Any]:
        return {
            "file_url": f"https://drive.google.com/uc?id=demo-{kind}-{index}",
            "file_path": f"{kind}/{folder}/{index:05d}.png",
            "file_size": rng.randint(20_000, 3_000_000),
            "file_md5": f"{rng.getrandbits(128):032x}",
            "pixel_size": [size, size],
            "pixel_md5": f"{rng.getrandbits(128):032x}",
        }

    return {
        "category": "training" if index < FFHQ_PHOTOS * 6 // 7 else "validation",
        "metadata": {
            "photo_url": f"https://www.flickr.com/photos/{photo.owner.nsid}/{photo.flickr_id}/",
            "photo_title": photo.title,
            "author": photo.owner.username,
            "country": "",
            "license": license_name,
            "license_url": license_url,
            "date_uploaded": photo.taken.strftime("%Y-%m-%d"),
            "date_crawled": "2018-10-10",
        },
        "image": block("images1024x1024", 1024) | {"face_landmarks": landmarks},
        "thumbnail": block("thumbnails128x128", 128),
        "in_the_wild": block("in-the-wild-images", 2048)
        | {"face_rect": [667, 410, 1438, 1181], "face_landmarks": landmarks},
    }


def write_ffhq_manifest(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = {str(i): ffhq_entry(i, photo) for i, photo in enumerate(ffhq_photos())}
    path.write_text(json.dumps(entries, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def demo_load(*, folder: Path | None = None) -> list[ImportSummary | HashRun]:
    """Write both demo manifests and import them, write the stored files and hash their
    pictures (for the look-up by picture); running it again updates in place."""
    folder = folder or settings.VAR_DIR / "demo"
    dif = write_dif_manifest(folder / "diversity-in-faces-1.0.tsv")
    ffhq = write_ffhq_manifest(folder / "ffhq-dataset-v2.json")
    # force: a second `make run` imports the same releases again, on purpose.
    summaries = [
        dataset_import(path=dif, fmt="yfcc100m", force=True, **DIF),
        dataset_import(path=ffhq, fmt="ffhq", force=True, **FFHQ),
    ]
    placeholder_files_write()
    return [*summaries, pictures_hash(slug=FFHQ["slug"])]


# The demo's stored pictures: small (the look-up by picture looks at 64 x 64 pixels),
# without grain, and quickly compressed: the demo writes one per FFHQ photo.
PICTURE_SIDE = 160
THUMBNAIL_SIDE = 128


def placeholder_files_write() -> int:
    """Stand-ins for the stored files: a generated photo-like picture per present photo
    with file keys (devtools/pictures.py, seeded by its photo id), so that the look-up
    by picture finds each demo photo and no other. Every photo gets its first picture
    file; the owners worth trying get all of theirs (FFHQ's image, thumbnail and
    in-the-wild crop), so that their removal has files to delete. Returns how many
    files were written; existing ones are kept."""
    to_try = {owner.nsid for owner, _ in owners_to_try()}
    rows = (
        Photo.objects.filter(state=Photo.State.PRESENT)
        .exclude(file_keys=[])
        .values_list("flickr_id", "owner_nsid", "file_keys")
    )
    written = 0
    for flickr_id, nsid, keys in rows:
        wanted = keys if nsid in to_try else [first_picture_key(keys)]
        missing = [key for key in wanted if key and not default_storage.exists(key)]
        if not missing:
            continue
        picture = picture_make(flickr_id, width=PICTURE_SIDE, height=PICTURE_SIDE, grain=0)
        for key in missing:
            side = THUMBNAIL_SIDE if key.startswith("thumbnails") else PICTURE_SIDE
            out = io.BytesIO()
            picture.resize((side, side), Image.Resampling.LANCZOS).save(
                out, format="PNG", compress_level=1
            )
            default_storage.save(key, ContentFile(out.getvalue()))
            written += 1
    return written


def owners_to_try() -> list[tuple[DemoOwner, dict[str, int]]]:
    """Three owners worth looking up: the busiest one in both datasets, one in DiF
    only, one in FFHQ only; with their present photos per dataset slug."""
    by_nsid = {o.nsid: o for o in owners()}
    counts: dict[str, dict[str, int]] = {}
    rows = (
        Photo.objects.filter(owner_nsid__in=by_nsid, state=Photo.State.PRESENT)
        .values_list("owner_nsid", "dataset__slug")
        .annotate(n=Count("id"))
    )
    for nsid, slug, n in rows:
        counts.setdefault(nsid, {})[slug] = n
    picks: list[tuple[DemoOwner, dict[str, int]]] = []
    for wanted in ({DIF["slug"], FFHQ["slug"]}, {DIF["slug"]}, {FFHQ["slug"]}):
        fitting = [nsid for nsid, per in counts.items() if set(per) == wanted]
        if fitting:
            best = max(fitting, key=lambda nsid: (sum(counts[nsid].values()), nsid))
            picks.append((by_nsid[best], counts[best]))
    return picks
