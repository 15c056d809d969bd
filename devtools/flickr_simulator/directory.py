"""Who exists on the simulated Flickr: accounts and photos.

The simulator asks a directory, never a database, so the same WSGI app serves
a fixed list in tests and the Photo table under `manage.py flickr_simulator`
(with the demo's world file: photos only Flickr knows the owner of, and how
many other public photos each owner has).
"""

import hashlib
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from django.db import connection

from optout.models import Photo

NSID_RE = re.compile(r"^[0-9]+@N[0-9]{2}$")
# Flickr's licence ids by the names YFCC100M and FFHQ manifests give (simulated
# photos of our own Photo table keep the licence their manifest says).
LICENSE_IDS = {
    "all rights reserved": 0,
    "attribution-noncommercial-sharealike license": 1,
    "attribution-noncommercial license": 2,
    "attribution-noncommercial-noderivs license": 3,
    "attribution license": 4,
    "attribution-sharealike license": 5,
    "attribution-noderivs license": 6,
    "no known copyright restrictions": 7,
    "public domain dedication (cc0)": 9,
    "public domain mark": 10,
}
DEFAULT_LICENSE = 4
# Ids of the public photos an owner has besides those in datasets: far above any demo id.
OTHERS_BASE = 60_000_000_000


@dataclass(frozen=True)
class Account:
    nsid: str
    username: str
    fullname: str = ""
    # Flickr's custom URL name (flickr.com/photos/<path_alias>/); many accounts have none.
    path_alias: str = ""


@dataclass(frozen=True)
class SimPhoto:
    id: int
    owner_nsid: str
    owner_username: str
    title: str = ""
    owner_fullname: str = ""
    owner_path_alias: str = ""
    license: int = DEFAULT_LICENSE
    tags: tuple[str, ...] = ()  # raw, as the owner typed them
    server: str = ""
    secret: str = ""
    public: bool = True

    def __post_init__(self) -> None:
        # Stable stand-ins, so a photo's image URL is the same on every call.
        if not self.server:
            object.__setattr__(self, "server", "65535")
        if not self.secret:
            digest = hashlib.sha1(str(self.id).encode()).hexdigest()  # noqa: S324 (not security)
            object.__setattr__(self, "secret", digest[:10])


def license_id(name: str) -> int:
    """Flickr's licence id for a manifest's licence name or URL."""
    text = name.strip().lower()
    if text.isdigit():
        return int(text)
    if text in LICENSE_IDS:
        return LICENSE_IDS[text]
    for marker, number in (
        ("by-nc-nd", 3), ("by-nc-sa", 1), ("by-nc", 2), ("by-nd", 6), ("by-sa", 5),
        ("/by/", 4), ("zero", 9), ("mark", 10),
    ):  # fmt: skip
        if marker in text:
            return number
    return DEFAULT_LICENSE


class Directory(Protocol):
    def accounts(self, *, limit: int) -> list[Account]: ...

    def account_by_nsid(self, nsid: str) -> Account | None: ...

    def account_by_username(self, username: str) -> Account | None: ...

    def account_by_path_alias(self, alias: str) -> Account | None: ...

    def photo(self, photo_id: int) -> SimPhoto | None: ...

    def photos_of(self, nsid: str) -> list[SimPhoto]:
        """The owner's photos, public or not, in Flickr's order (newest first)."""
        ...


def minted_nsid(username: str) -> str:
    """A stable, NSID-shaped id for a username someone typed on the authorize page."""
    digest = int(hashlib.sha256(username.lower().encode()).hexdigest(), 16)
    return f"{90_000_000 + digest % 9_000_000}@N{digest % 10:02d}"


class MemoryDirectory:
    """Accounts and photos given at construction (tests), plus any added later."""

    def __init__(
        self,
        accounts: Iterable[Account] = (),
        photos: Iterable[tuple[int, str, str]] = (),
    ) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._photos: dict[int, SimPhoto] = {}
        for account in accounts:
            self.add_account(account)
        for photo_id, owner_nsid, title in photos:
            self.add_photo(photo_id, owner_nsid, title)

    def add_account(self, account: Account) -> Account:
        with self._lock:
            self._accounts[account.nsid] = account
        return account

    def add_photo(
        self,
        photo_id: int,
        owner_nsid: str,
        title: str = "",
        *,
        license: int = DEFAULT_LICENSE,
        tags: tuple[str, ...] = (),
        server: str = "",
        secret: str = "",
        public: bool = True,
    ) -> SimPhoto:
        photo = SimPhoto(
            id=int(photo_id),
            owner_nsid=owner_nsid,
            owner_username="",
            title=title,
            license=license,
            tags=tuple(tags),
            server=server,
            secret=secret,
            public=public,
        )
        with self._lock:
            self._photos[photo.id] = photo
        return photo

    def accounts(self, *, limit: int) -> list[Account]:
        with self._lock:
            return list(self._accounts.values())[:limit]

    def account_by_nsid(self, nsid: str) -> Account | None:
        with self._lock:
            return self._accounts.get(nsid)

    def account_by_username(self, username: str) -> Account | None:
        # Flickr matches usernames without regard to case.
        wanted = username.casefold()
        with self._lock:
            return next(
                (a for a in self._accounts.values() if a.username.casefold() == wanted), None
            )

    def account_by_path_alias(self, alias: str) -> Account | None:
        wanted = alias.casefold()
        with self._lock:
            return next(
                (
                    a
                    for a in self._accounts.values()
                    if a.path_alias and a.path_alias.casefold() == wanted
                ),
                None,
            )

    def _with_owner(self, photo: SimPhoto) -> SimPhoto:
        owner = self._accounts.get(photo.owner_nsid) or Account(photo.owner_nsid, "")
        return replace(
            photo,
            owner_username=owner.username,
            owner_fullname=owner.fullname,
            owner_path_alias=owner.path_alias,
        )

    def photo(self, photo_id: int) -> SimPhoto | None:
        with self._lock:
            found = self._photos.get(photo_id)
            return None if found is None else self._with_owner(found)

    def photos_of(self, nsid: str) -> list[SimPhoto]:
        with self._lock:
            mine = [p for p in self._photos.values() if p.owner_nsid == nsid]
            return [self._with_owner(p) for p in sorted(mine, key=lambda p: -p.id)]


@dataclass
class _World:
    """The demo's world file, as last read: photos whose owner only Flickr knows (a
    dataset of links names none), and how many other public photos each owner has."""

    mtime: float = -1.0
    photos: dict[int, SimPhoto] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    others: dict[str, int] = field(default_factory=dict)


def world_write(path: Path, *, photos: Iterable[dict[str, Any]], others: dict[str, int]) -> Path:
    """Write a world file: `photos` as {id, owner, username, title, server, secret, license}."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"photos": list(photos), "others": others}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    temporary.replace(path)
    return path


def other_photo_ids(nsid: str, count: int) -> list[int]:
    """Stable ids of an owner's public photos that are in no dataset."""
    number = int(nsid.split("@", 1)[0]) % 10_000_000
    return [OTHERS_BASE + number * 10_000 + i for i in range(min(count, 10_000))]


class PhotoTableDirectory:
    """The owners and photos of our own Photo table, read live (demo data loaded
    after the simulator started shows up without a restart), and of the world file
    (`world`), re-read when it changes.

    Imports Django lazily so the simulator package stays usable without it.
    """

    def __init__(self, world: Path | None = None) -> None:
        self.world_path = world
        self._world = _World()
        self._lock = threading.Lock()

    def _close_connection(self) -> None:
        # Each request runs in a fresh server thread; Django opens one
        # connection per thread, so close it rather than leak one per request.

        connection.close()

    def world(self) -> _World:
        path = self.world_path
        if path is None or not path.is_file():
            return _World()
        mtime = path.stat().st_mtime
        with self._lock:
            if mtime != self._world.mtime:
                data = json.loads(path.read_text(encoding="utf-8"))
                world = _World(mtime=mtime, others=dict(data.get("others", {})))
                for item in data.get("photos", []):
                    photo = SimPhoto(
                        id=int(item["id"]),
                        owner_nsid=item["owner"],
                        owner_username=item.get("username", ""),
                        title=item.get("title", ""),
                        server=str(item.get("server", "")),
                        secret=str(item.get("secret", "")),
                        license=int(item.get("license", DEFAULT_LICENSE)),
                    )
                    world.photos[photo.id] = photo
                    world.accounts.setdefault(
                        photo.owner_nsid,
                        Account(photo.owner_nsid, photo.owner_username or photo.owner_nsid),
                    )
                self._world = world
            return self._world

    def accounts(self, *, limit: int) -> list[Account]:
        try:
            rows = (
                Photo.objects.exclude(owner_nsid="")
                .order_by("owner_nsid")
                .values_list("owner_nsid", "owner_name")
                .distinct()[:limit]
            )
            found = {nsid: Account(nsid=nsid, username=name or nsid) for nsid, name in rows}
        finally:
            self._close_connection()
        for nsid, account in self.world().accounts.items():
            found.setdefault(nsid, account)
        return list(found.values())[:limit]

    def account_by_nsid(self, nsid: str) -> Account | None:
        try:
            name = (
                Photo.objects.filter(owner_nsid=nsid).values_list("owner_name", flat=True).first()
            )
        finally:
            self._close_connection()
        if name is None:
            return self.world().accounts.get(nsid)
        return Account(nsid=nsid, username=name or nsid)

    def account_by_username(self, username: str) -> Account | None:
        try:
            row = (
                Photo.objects.filter(owner_name__iexact=username)
                .exclude(owner_nsid="")
                .values_list("owner_nsid", "owner_name")
                .first()
            )
        finally:
            self._close_connection()
        if row is not None:
            return Account(nsid=row[0], username=row[1])
        wanted = username.casefold()
        return next(
            (a for a in self.world().accounts.values() if a.username.casefold() == wanted), None
        )

    def account_by_path_alias(self, alias: str) -> Account | None:
        # Manifests carry no path aliases; profile URLs with an NSID still resolve.
        return None

    def photo(self, photo_id: int) -> SimPhoto | None:
        try:
            row = (
                Photo.objects.filter(flickr_id=photo_id)
                .exclude(owner_nsid="")
                .values_list("owner_nsid", "owner_name", "title", "server", "secret", "license")
                .first()
            )
        finally:
            self._close_connection()
        if row is None:
            return self.world().photos.get(photo_id)
        return _table_photo(photo_id, *row)

    def photos_of(self, nsid: str) -> list[SimPhoto]:
        try:
            rows = list(
                Photo.objects.filter(owner_nsid=nsid).values_list(
                    "flickr_id", "owner_nsid", "owner_name", "title", "server", "secret", "license"
                )
            )
        finally:
            self._close_connection()
        world = self.world()
        found = {row[0]: _table_photo(*row) for row in rows}
        for photo in world.photos.values():
            if photo.owner_nsid == nsid:
                found.setdefault(photo.id, photo)
        name = next((p.owner_username for p in found.values() if p.owner_username), nsid)
        for other in other_photo_ids(nsid, world.others.get(nsid, 0)):
            found.setdefault(other, SimPhoto(id=other, owner_nsid=nsid, owner_username=name))
        return sorted(found.values(), key=lambda p: -p.id)


def _table_photo(
    photo_id: int, nsid: str, name: str, title: str, server: str, secret: str, license: str
) -> SimPhoto:
    return SimPhoto(
        id=photo_id,
        owner_nsid=nsid,
        owner_username=name,
        title=title,
        server=server,
        secret=secret,
        license=license_id(license),
    )
