"""The public look-up's answer: counts per dataset (an owner) or a state per dataset (a photo).

Anonymous answers carry counts and states only: never a title, a thumbnail or
a photo id of the owner, because anyone can type anyone's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import connection

from optout.lookup.parse import (
    EXAMPLES_HINT,
    OwnerAmbiguous,
    OwnerNotFound,
    OwnerQuery,
    PhotoQuery,
    ResolverUnavailable,
    query_parse,
)
from optout.models import Dataset, Photo

# --- The answer -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatasetCount:
    slug: str
    name: str
    release: str
    count: int  # present photos: the ones that are "in" the dataset
    removed: int


@dataclass(frozen=True, slots=True)
class OwnerAnswer:
    query: str
    nsid: str
    username: str
    datasets: list[DatasetCount]
    kind: Literal["owner"] = "owner"

    @property
    def total(self) -> int:
        return sum(dataset.count for dataset in self.datasets)

    @property
    def removed(self) -> int:
        return sum(dataset.removed for dataset in self.datasets)

    def as_json(self) -> dict:
        return {
            "query": self.query,
            "kind": self.kind,
            "nsid": self.nsid,
            "username": self.username,
            "datasets": [
                {
                    "slug": d.slug,
                    "name": d.name,
                    "release": d.release,
                    "count": d.count,
                    "removed": d.removed,
                }
                for d in self.datasets
            ],
            "total": self.total,
        }


@dataclass(frozen=True, slots=True)
class DatasetPhotoState:
    slug: str
    name: str
    release: str
    state: Literal["present", "removed", "absent"]


@dataclass(frozen=True, slots=True)
class PhotoAnswer:
    query: str
    photo_id: int
    datasets: list[DatasetPhotoState]
    kind: Literal["photo"] = "photo"

    @property
    def present_in(self) -> list[DatasetPhotoState]:
        return [d for d in self.datasets if d.state == "present"]

    @property
    def removed_from(self) -> list[DatasetPhotoState]:
        return [d for d in self.datasets if d.state == "removed"]

    def as_json(self) -> dict:
        return {
            "query": self.query,
            "kind": self.kind,
            "photo_id": self.photo_id,
            "datasets": [
                {"slug": d.slug, "name": d.name, "release": d.release, "state": d.state}
                for d in self.datasets
            ],
            "in_any": bool(self.present_in),
        }


def lookup_answer(*, text: str) -> OwnerAnswer | PhotoAnswer:
    """Answer a public look-up; raises a LookupProblem whose message is for the person.

    One query whatever the number of datasets (two when a username has to be
    asked of Flickr first).
    """
    query = query_parse(text=text)
    text = text.strip()
    if isinstance(query, PhotoQuery):
        return _photo_answer(text, query.photo_id)
    if query.nsid:
        rows = _owner_rows(nsid=query.nsid)
        return _owner_answer(text, query.nsid, "", rows)
    if not query.is_alias:
        rows = _owner_rows(name=query.name)
        if rows:
            return _owner_answer(text, rows[0][0], query.name, rows)
    nsid, username = _owner_resolve(query)
    return _owner_answer(text, nsid, username, _owner_rows(nsid=nsid))


# Raw SQL, one round trip per look-up: the look-up is the busiest page and is
# benchmarked against a trivial view, so it cannot spend a round trip (and a
# query plan) on the datasets list and another on the counts. Each dataset is
# LEFT JOINed to this owner's photos in it, which the (owner_nsid, dataset)
# index answers with one probe per dataset.
_PHOTO = Photo._meta.db_table
_DATASET = Dataset._meta.db_table
_OWNER_COUNTS_SQL = """
    WITH owner AS ({owner})
    SELECT owner.owner_nsid, d.slug, d.name, d.release,
           COUNT(p.id) FILTER (WHERE p.state = %s),
           COUNT(p.id) FILTER (WHERE p.state = %s)
    FROM owner CROSS JOIN {dataset} d
    LEFT JOIN {photo} p ON p.dataset_id = d.id AND p.owner_nsid = owner.owner_nsid
    GROUP BY owner.owner_nsid, d.id, d.slug, d.name, d.release
    ORDER BY owner.owner_nsid, d.name, d.id
"""
_BY_NSID_SQL = _OWNER_COUNTS_SQL.format(
    owner="SELECT CAST(%s AS varchar(32)) AS owner_nsid", dataset=_DATASET, photo=_PHOTO
)
# LIMIT 2: enough to tell one owner from several; lower() on both sides so
# PostgreSQL uses the lower(owner_name) index.
_BY_NAME_SQL = _OWNER_COUNTS_SQL.format(
    owner=f"SELECT DISTINCT owner_nsid FROM {_PHOTO} "  # noqa: S608 (a model's table name)
    "WHERE lower(owner_name) = lower(%s) AND owner_nsid <> '' LIMIT 2",
    dataset=_DATASET,
    photo=_PHOTO,
)
_PHOTO_STATES_SQL = f"""
    SELECT d.slug, d.name, d.release, p.state
    FROM {_DATASET} d LEFT JOIN {_PHOTO} p ON p.dataset_id = d.id AND p.flickr_id = %s
    ORDER BY d.name, d.id
"""  # noqa: S608 (table names from the models, values as parameters)

OwnerRow = tuple[str, str, str, str, int, int]


def _owner_rows(*, nsid: str = "", name: str = "") -> list[OwnerRow]:
    """(nsid, slug, name, release, present, removed) per dataset; none for an unknown name."""
    sql, key = (_BY_NSID_SQL, nsid) if nsid else (_BY_NAME_SQL, name)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, Photo.State.PRESENT.value, Photo.State.REMOVED.value])
        rows = cursor.fetchall()
    if name and len({row[0] for row in rows}) > 1:
        raise OwnerAmbiguous(
            f"More than one Flickr account has used the name “{name}” in the datasets "
            "we cover. " + EXAMPLES_HINT
        )
    return rows


def _owner_answer(text: str, nsid: str, username: str, rows: list[OwnerRow]) -> OwnerAnswer:
    datasets = [
        DatasetCount(slug=slug, name=name, release=release, count=present, removed=removed)
        for _, slug, name, release, present, removed in rows
    ]
    return OwnerAnswer(query=text, nsid=nsid, username=username, datasets=datasets)


def _photo_answer(text: str, photo_id: int) -> PhotoAnswer:
    with connection.cursor() as cursor:
        cursor.execute(_PHOTO_STATES_SQL, [photo_id])
        rows = cursor.fetchall()
    datasets = [
        DatasetPhotoState(slug=slug, name=name, release=release, state=state or "absent")
        for slug, name, release, state in rows
    ]
    return PhotoAnswer(query=text, photo_id=photo_id, datasets=datasets)


def _owner_resolve(query: OwnerQuery) -> tuple[str, str]:
    """(nsid, username) for a name the datasets do not know, or a path alias, from Flickr."""
    try:
        return _flickr_resolve(query.name)
    except _FlickrNotConfigured:
        if query.is_alias:
            # Without a Flickr key, the datasets' usernames are the best guess
            # for a path alias: most aliases equal the username, and the answer
            # is counts only anyway.
            rows = _owner_rows(name=query.name)
            if rows:
                return rows[0][0], query.name
        raise _cannot_resolve(query.name) from None


class _FlickrNotConfigured(Exception):
    pass


def _cannot_resolve(name: str) -> OwnerNotFound:
    return OwnerNotFound(
        f"We could not find the Flickr account “{name}”: it is not a name the datasets "
        "we cover know, and we could not ask Flickr. " + EXAMPLES_HINT
    )


def _flickr_resolve(name: str) -> tuple[str, str]:
    # Imported here: only names the datasets do not know need Flickr (the seam
    # pulls in requests and Authlib), and a missing seam reads as "not
    # configured" rather than breaking the page.
    try:
        from optout import flickr
    except ImportError:
        raise _FlickrNotConfigured from None
    try:
        user = flickr.user_find(name)
    except flickr.FlickrNotConfigured:
        raise _FlickrNotConfigured from None
    except flickr.FlickrNotFound:
        raise OwnerNotFound(
            f"Flickr has no account called “{name}”. Check the spelling, or "
            + EXAMPLES_HINT[0].lower()
            + EXAMPLES_HINT[1:]
        ) from None
    except flickr.FlickrError as exc:
        # Unavailable, refused, or anything else Flickr says: its message is
        # fit to show, and a photo link or an NSID needs no Flickr at all.
        raise ResolverUnavailable(
            f"We could not look up “{name}” on Flickr. {exc} Meanwhile, a link to one of "
            "your photos or your NSID (it looks like 12345678@N01) works without Flickr.",
            retry_after=getattr(exc, "retry_after", None),
        ) from exc
    return user.nsid, user.username
