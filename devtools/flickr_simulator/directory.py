"""Who exists on the simulated Flickr: accounts and photos.

The simulator asks a directory, never a database, so the same WSGI app serves
a fixed list in tests and the Photo table under `manage.py flickr_simulator`.
"""

import hashlib
import re
import threading
from dataclasses import dataclass
from typing import Protocol

from django.db import connection

from optout.models import Photo

NSID_RE = re.compile(r"^[0-9]+@N[0-9]{2}$")


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


class Directory(Protocol):
    def accounts(self, *, limit: int) -> list[Account]: ...

    def account_by_nsid(self, nsid: str) -> Account | None: ...

    def account_by_username(self, username: str) -> Account | None: ...

    def account_by_path_alias(self, alias: str) -> Account | None: ...

    def photo(self, photo_id: int) -> SimPhoto | None: ...


def minted_nsid(username: str) -> str:
    """A stable, NSID-shaped id for a username someone typed on the authorize page."""
    digest = int(hashlib.sha256(username.lower().encode()).hexdigest(), 16)
    return f"{90_000_000 + digest % 9_000_000}@N{digest % 10:02d}"


class MemoryDirectory:
    """Accounts and photos given at construction (tests), plus any added later."""

    def __init__(
        self,
        accounts: list[Account] | tuple[Account, ...] = (),
        photos: list[tuple[int, str, str]] | tuple[tuple[int, str, str], ...] = (),
    ) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._photos: dict[int, tuple[str, str]] = {}
        for account in accounts:
            self.add_account(account)
        for photo_id, owner_nsid, title in photos:
            self.add_photo(photo_id, owner_nsid, title)

    def add_account(self, account: Account) -> Account:
        with self._lock:
            self._accounts[account.nsid] = account
        return account

    def add_photo(self, photo_id: int, owner_nsid: str, title: str = "") -> None:
        with self._lock:
            self._photos[int(photo_id)] = (owner_nsid, title)

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

    def photo(self, photo_id: int) -> SimPhoto | None:
        with self._lock:
            found = self._photos.get(photo_id)
            if found is None:
                return None
            owner_nsid, title = found
            owner = self._accounts.get(owner_nsid) or Account(owner_nsid, "")
        return SimPhoto(
            id=photo_id,
            owner_nsid=owner.nsid,
            owner_username=owner.username,
            title=title,
            owner_fullname=owner.fullname,
            owner_path_alias=owner.path_alias,
        )


class PhotoTableDirectory:
    """The owners and photos of our own Photo table, read live (demo data loaded
    after the simulator started shows up without a restart).

    Imports Django lazily so the simulator package stays usable without it.
    """

    def _close_connection(self) -> None:
        # Each request runs in a fresh server thread; Django opens one
        # connection per thread, so close it rather than leak one per request.

        connection.close()

    def accounts(self, *, limit: int) -> list[Account]:
        try:
            rows = (
                Photo.objects.exclude(owner_nsid="")
                .order_by("owner_nsid")
                .values_list("owner_nsid", "owner_name")
                .distinct()[:limit]
            )
            return [Account(nsid=nsid, username=name or nsid) for nsid, name in rows]
        finally:
            self._close_connection()

    def account_by_nsid(self, nsid: str) -> Account | None:
        try:
            name = (
                Photo.objects.filter(owner_nsid=nsid).values_list("owner_name", flat=True).first()
            )
        finally:
            self._close_connection()
        return None if name is None else Account(nsid=nsid, username=name or nsid)

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
        return None if row is None else Account(nsid=row[0], username=row[1])

    def account_by_path_alias(self, alias: str) -> Account | None:
        # Manifests carry no path aliases; profile URLs with an NSID still resolve.
        return None

    def photo(self, photo_id: int) -> SimPhoto | None:
        try:
            row = (
                Photo.objects.filter(flickr_id=photo_id)
                .values_list("owner_nsid", "owner_name", "title")
                .first()
            )
        finally:
            self._close_connection()
        if row is None:
            return None
        owner_nsid, owner_name, title = row
        return SimPhoto(id=photo_id, owner_nsid=owner_nsid, owner_username=owner_name, title=title)
