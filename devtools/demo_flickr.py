"""The demo's Flickr: what owners did there since the datasets were made, and a dataset
of links (Parquet, like a LAION part) whose photos name no owner.

- One owner tagged a photo `no_cv` and relicensed another All Rights Reserved: the
  background re-check (beat, or `manage.py recheck_flickr`) removes both without
  anyone filing a form. They are the first owner in NSID order, so the first pass
  reaches them within a minute of `make run`.
- The link dataset holds photos of several demo owners, among them a few of the
  first owner to try that no other dataset has: only their sign-in finds them
  (their public photo list on Flickr names them; docs/recheck.md).
- The simulator's world file says whose those photos are (the Photo table cannot),
  and how many other public photos each owner has, so their lists page as real
  ones do. The switches file holds what owners did (devtools/flickr_simulator/).

Seeded, like devtools/demo.py: every run makes the same photos and files.
"""

import functools
import random
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

from devtools import demo
from devtools.flickr_simulator import Switches, world_write
from optout.importers import ImportSummary, dataset_import
from optout.models import Photo

LINKS = {
    "slug": "laion-links",
    "name": "LAION-like image links (demo)",
    "source": "Common Crawl image links (Flickr's among them)",
    "description": "A generated stand-in for a part of LAION-400M: image links with "
    "captions and no owner. Some of the links are Flickr photos.",
}
LINK_ROWS = 600
FLICKR_SHARE = 0.4
SIGNIN_ONLY = 6  # photos of the first owner to try that only their sign-in finds
HOSTS = ("i.pinimg.com", "cdn.shopify.com", "images.squarespace-cdn.com", "i.ytimg.com")
WORDS = ("a", "photo", "of", "the", "beach", "wedding", "portrait", "family", "dog", "city")
SEED = demo.SEED + 14
BY = 4  # Flickr's id for CC BY 2.0: the link dataset's photos say nothing on their own
ALL_RIGHTS_RESERVED = 0


def world_path() -> Path:
    return settings.VAR_DIR / "demo" / "flickr-world.json"


def switches_path() -> Path:
    return settings.VAR_DIR / "flickr-switches.json"


@dataclass(frozen=True)
class LinkPhoto:
    flickr_id: int
    owner: demo.DemoOwner
    server: str
    secret: str
    farm: int

    @property
    def url(self) -> str:
        return (
            f"https://farm{self.farm}.staticflickr.com/{self.server}/"
            f"{self.flickr_id}_{self.secret}.jpg"
        )


@dataclass(frozen=True)
class DemoFlickr:
    summary: ImportSummary
    signal_owner: demo.DemoOwner
    no_cv: int
    relicensed: int
    signin_owner: demo.DemoOwner
    signin_only: int

    def lines(self) -> list[str]:
        return [
            *self.summary.lines(),
            f"On the demo's Flickr, {self.signal_owner.username} ({self.signal_owner.nsid}) "
            f"tagged photo {self.no_cv} no_cv and relicensed photo {self.relicensed} All "
            "Rights Reserved: the re-check removes both without a form (within a minute, or "
            f"now: manage.py recheck_flickr --owner {self.signal_owner.nsid}). Switches: "
            f"http://127.0.0.1:{settings.FLICKR_SIMULATOR_PORT}/simulator/",
            f"{self.signin_only} of {self.signin_owner.username}'s photos are only in "
            f"{LINKS['name']}, which names no owner: signing in as them finds them.",
        ]


def _words(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(3, 10)))


@functools.cache
def _others(count: int) -> tuple[int, ...]:
    """How many public photos each demo owner has besides those in datasets: most a few
    hundred, some thousands (a lognormal, as photo counts per account go)."""
    rng = random.Random(SEED + 1)
    return tuple(min(20_000, int(rng.lognormvariate(5.0, 1.3))) for _ in range(count))


def link_photos(signin_owner: demo.DemoOwner) -> list[LinkPhoto]:
    """The link dataset's Flickr photos: SIGNIN_ONLY of `signin_owner`, the rest of
    other demo owners, all with ids no other demo dataset has."""
    rng = random.Random(SEED)
    taken = {p.flickr_id for p in (*demo.dif_photos(), *demo.ffhq_photos())}
    people = [o for o in demo.owners() if o.nsid != signin_owner.nsid]
    photos: list[LinkPhoto] = []
    for n in range(int(LINK_ROWS * FLICKR_SHARE)):
        owner = signin_owner if n < SIGNIN_ONLY else rng.choice(people)
        while (flickr_id := rng.randint(14_000_000_000, 50_000_000_000)) in taken:
            pass
        taken.add(flickr_id)
        photos.append(
            LinkPhoto(
                flickr_id=flickr_id,
                owner=owner,
                server=str(rng.randint(1000, 65535)),
                secret=f"{rng.getrandbits(40):010x}",
                farm=rng.randint(1, 9),
            )
        )
    return photos


def write_links(path: Path, photos: list[LinkPhoto]) -> Path:
    """The link dataset: a Parquet file like a LAION-400M part, shuffled."""
    rng = random.Random(SEED + 2)
    urls = [p.url for p in photos]
    urls += [
        f"https://{rng.choice(HOSTS)}/{rng.getrandbits(64):016x}.jpg"
        for _ in range(LINK_ROWS - len(urls))
    ]
    rng.shuffle(urls)
    table = pa.table(
        {
            "SAMPLE_ID": pa.array(range(len(urls)), pa.int64()),
            "URL": urls,
            "TEXT": [_words(rng) for _ in urls],
            "HEIGHT": pa.array([rng.randint(200, 2000) for _ in urls], pa.int32()),
            "WIDTH": pa.array([rng.randint(200, 2000) for _ in urls], pa.int32()),
            "similarity": [round(rng.uniform(0.3, 0.45), 4) for _ in urls],
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=250)
    return path


def signal_owner() -> tuple[demo.DemoOwner, int, int]:
    """The first owner in NSID order with two photos present in Diversity in Faces, and
    those two photo ids (the first pass reaches them first)."""
    by_nsid = {o.nsid: o for o in demo.owners()}
    for nsid in sorted(by_nsid):
        ids = list(
            Photo.objects.filter(
                owner_nsid=nsid, dataset__slug=demo.DIF["slug"], state=Photo.State.PRESENT
            )
            .order_by("flickr_id")
            .values_list("flickr_id", flat=True)[:2]
        )
        if len(ids) == 2:
            return by_nsid[nsid], ids[0], ids[1]
    raise RuntimeError("no demo owner has two photos present: load the demo datasets first")


def demo_flickr_load(*, folder: Path | None = None) -> DemoFlickr:
    """After demo.demo_load: the link dataset imported, the simulator's world and
    switches written. Running it again writes the same."""
    folder = folder or settings.VAR_DIR / "demo"
    tries = demo.owners_to_try()
    signin_owner = tries[0][0] if tries else demo.owners()[0]
    photos = link_photos(signin_owner)
    path = write_links(folder / "laion-links-part-00000.parquet", photos)
    summary = dataset_import(path=path, fmt="parquet", **LINKS)
    others = _others(len(demo.owners()))
    world_write(
        world_path(),
        photos=[
            {
                "id": p.flickr_id,
                "owner": p.owner.nsid,
                "username": p.owner.username,
                "server": p.server,
                "secret": p.secret,
                "license": BY,
            }
            for p in photos
        ],
        others={owner.nsid: n for owner, n in zip(demo.owners(), others, strict=True)},
    )
    owner, no_cv, relicensed = signal_owner()
    switches = Switches(switches_path())
    switches.clear()
    switches.tag(no_cv, "no_cv")
    switches.relicense(relicensed, ALL_RIGHTS_RESERVED)
    return DemoFlickr(summary, owner, no_cv, relicensed, signin_owner, SIGNIN_ONLY)
