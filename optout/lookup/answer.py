"""The public look-up's answer: counts per dataset (an owner) or a state per dataset (a photo).

Anonymous answers carry counts and states only: never a title, a thumbnail or
a photo id of the owner, because anyone can type anyone's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import connection
from django.utils.translation import gettext as _

from optout import flickr
from optout.infra.owner_keys import owner_key
from optout.lookup.parse import (
    EXAMPLES_HINT,
    OwnerAmbiguous,
    OwnerNotFound,
    OwnerQuery,
    PhotoQuery,
    ResolverUnavailable,
    query_parse,
)
from optout.models import Dataset, Photo, Suppression

# --- The answer -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatasetCount:
    slug: str
    name: str
    release: str
    count: int  # present photos in the current release: the ones that are "in" the dataset
    removed: int
    # Present photos that only earlier releases listed: still in those copies, removable.
    earlier: int = 0


@dataclass(frozen=True, slots=True)
class OwnerAnswer:
    query: str
    nsid: str
    username: str
    datasets: list[DatasetCount]
    kind: Literal["owner"] = "owner"
    # The NSID came from Flickr's answer about a name (see LookupProblem.needed_flickr).
    needed_flickr: bool = False

    @property
    def total(self) -> int:
        return sum(dataset.count for dataset in self.datasets)

    @property
    def removed(self) -> int:
        return sum(dataset.removed for dataset in self.datasets)

    @property
    def earlier(self) -> int:
        return sum(dataset.earlier for dataset in self.datasets)

    @property
    def removable(self) -> int:
        """Photos the owner can still ask us to remove: in the current release or earlier."""
        return self.total + self.earlier

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
                    "earlier": d.earlier,
                    "removed": d.removed,
                }
                for d in self.datasets
            ],
            "total": self.total,
            "earlier": self.earlier,
        }


@dataclass(frozen=True, slots=True)
class DatasetPhotoState:
    slug: str
    name: str
    release: str
    state: Literal["present", "removed", "absent"]
    # Present, but only in earlier releases: the current one no longer lists it.
    earlier: bool = False


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
                {
                    "slug": d.slug,
                    "name": d.name,
                    "release": d.release,
                    "state": d.state,
                    "earlier": d.earlier,
                }
                for d in self.datasets
            ],
            "in_any": bool(self.present_in),
        }


def lookup_answer(*, text: str) -> OwnerAnswer | PhotoAnswer:
    """Answer a public look-up; raises a LookupProblem whose message is for the person.

    One query whatever the number of datasets for an NSID or a photo; a
    username first costs one more to find its NSID (and Flickr's answer when
    the datasets do not know it).
    """
    query = query_parse(text=text)
    text = text.strip()
    if isinstance(query, PhotoQuery):
        return _photo_answer(text, query.photo_id)
    if query.nsid:
        return _owner_answer(text, query.nsid, "", _owner_rows(query.nsid))
    if not query.is_alias:
        nsid = _owner_by_name(query.name)
        if nsid:
            return _owner_answer(text, nsid, query.name, _owner_rows(nsid))
    nsid, username, needed_flickr = _owner_resolve(query)
    return _owner_answer(text, nsid, username, _owner_rows(nsid), needed_flickr=needed_flickr)


# Raw SQL, one round trip for the counts: the look-up is the busiest page and
# is benchmarked against a trivial view, so it cannot spend a round trip (and a
# query plan) on the datasets list and another per count. Per dataset, the
# (owner_nsid, dataset) index counts the owner's photos still present, in the
# current release (last_seq empty) and in earlier ones only, and the
# (owner_key, dataset) index of Suppression the ones removed: tombstones keep no
# NSID, the photo's suppression keeps the keyed hash of it.
_PHOTO = Photo._meta.db_table
_DATASET = Dataset._meta.db_table
_SUPPRESSION = Suppression._meta.db_table
_OWNER_COUNTS_SQL = f"""
    SELECT d.slug, d.name, d.release,
           (SELECT COUNT(*) FROM {_PHOTO} p
            WHERE p.dataset_id = d.id AND p.owner_nsid = %s AND p.state = %s
              AND p.last_seq IS NULL),
           (SELECT COUNT(*) FROM {_PHOTO} p
            WHERE p.dataset_id = d.id AND p.owner_nsid = %s AND p.state = %s
              AND p.last_seq IS NOT NULL),
           (SELECT COUNT(*) FROM {_SUPPRESSION} s
            WHERE s.dataset_id = d.id AND s.owner_key = %s AND s.kind = %s)
    FROM {_DATASET} d
    ORDER BY d.name, d.id
"""  # noqa: S608 (table names from the models, values as parameters)
# LIMIT 2: enough to tell one owner from several; lower() on both sides so the
# lower(owner_name) index serves it. On PostgreSQL that index is COLLATE "C"
# (optout.models.fields.ByteOrder), and serves only a comparison under "C". Same answers:
# under a deterministic collation, two strings are equal only when their bytes are.
_NSIDS_BY_NAME_SQL = {
    vendor: f"""
    SELECT DISTINCT owner_nsid FROM {_PHOTO}
    WHERE {name} = lower(%s) AND owner_nsid <> '' LIMIT 2
"""  # noqa: S608
    for vendor, name in (
        ("postgresql", '(lower(owner_name) COLLATE "C")'),
        ("sqlite", "lower(owner_name)"),
    )
}
_PHOTO_STATES_SQL = f"""
    SELECT d.slug, d.name, d.release, p.state, p.last_seq IS NOT NULL
    FROM {_DATASET} d LEFT JOIN {_PHOTO} p ON p.dataset_id = d.id AND p.flickr_id = %s
    ORDER BY d.name, d.id
"""  # noqa: S608 (table names from the models, values as parameters)

OwnerRow = tuple[str, str, str, int, int, int]


def _owner_rows(nsid: str) -> list[OwnerRow]:
    """(slug, name, release, present, in earlier releases only, removed) per dataset."""
    present = Photo.State.PRESENT.value
    with connection.cursor() as cursor:
        cursor.execute(
            _OWNER_COUNTS_SQL,
            [nsid, present, nsid, present, owner_key(nsid), Suppression.Kind.PHOTO.value],
        )
        return cursor.fetchall()


def _owner_by_name(name: str) -> str:
    """The NSID of the one owner the datasets know by this name; '' for none."""
    with connection.cursor() as cursor:
        cursor.execute(_NSIDS_BY_NAME_SQL[connection.vendor], [name])
        nsids = [nsid for (nsid,) in cursor.fetchall()]
    if len(nsids) > 1:
        raise OwnerAmbiguous(
            _("More than one Flickr account has used the name “%(name)s” in the datasets we cover.")
            % {"name": name}
            + f" {EXAMPLES_HINT}"
        )
    return nsids[0] if nsids else ""


def _owner_answer(
    text: str, nsid: str, username: str, rows: list[OwnerRow], *, needed_flickr: bool = False
) -> OwnerAnswer:
    datasets = [
        DatasetCount(
            slug=slug, name=name, release=release, count=present, earlier=earlier, removed=removed
        )
        for slug, name, release, present, earlier, removed in rows
    ]
    return OwnerAnswer(
        query=text, nsid=nsid, username=username, datasets=datasets, needed_flickr=needed_flickr
    )


def _photo_answer(text: str, photo_id: int) -> PhotoAnswer:
    with connection.cursor() as cursor:
        cursor.execute(_PHOTO_STATES_SQL, [photo_id])
        rows = cursor.fetchall()
    datasets = [
        DatasetPhotoState(
            slug=slug,
            name=name,
            release=release,
            state=state or "absent",
            earlier=bool(earlier and state == Photo.State.PRESENT),
        )
        for slug, name, release, state, earlier in rows
    ]
    return PhotoAnswer(query=text, photo_id=photo_id, datasets=datasets)


def _owner_resolve(query: OwnerQuery) -> tuple[str, str, bool]:
    """(nsid, username, asked Flickr) for a name the datasets do not know, or a path alias."""
    try:
        return (*_flickr_resolve(query.name), True)
    except _FlickrNotConfigured:
        if query.is_alias:
            # Without a Flickr key, the datasets' usernames are the best guess
            # for a path alias: most aliases equal the username, and the answer
            # is counts only anyway.
            nsid = _owner_by_name(query.name)
            if nsid:
                return nsid, query.name, False
        raise _cannot_resolve(query.name) from None


class _FlickrNotConfigured(Exception):
    pass


def _cannot_resolve(name: str) -> OwnerNotFound:
    return OwnerNotFound(
        _(
            "We could not find the Flickr account “%(name)s”: it is not a name the datasets "
            "we cover know, and we could not ask Flickr."
        )
        % {"name": name}
        + f" {EXAMPLES_HINT}"
    )


def _flickr_resolve(name: str) -> tuple[str, str]:
    try:
        user = flickr.user_find(name, purpose=flickr.Purpose.LOOKUP)
    except flickr.FlickrNotConfigured:
        raise _FlickrNotConfigured from None
    except flickr.FlickrNotFound:
        missing = OwnerNotFound(
            _(
                "Flickr has no account called “%(name)s”. Check the spelling, or paste a "
                "link to one of your photos, or your NSID (it looks like 12345678@N01)."
            )
            % {"name": name}
        )
        missing.needed_flickr = True
        raise missing from None
    except flickr.FlickrError as exc:
        # Unavailable, refused, our share of Flickr's budget spent, or anything
        # else Flickr says: its message is fit to show, and a photo link or an
        # NSID needs no Flickr at all.
        unavailable = ResolverUnavailable(
            _(
                "We could not look up “%(name)s” on Flickr. %(why)s Meanwhile, a link to one "
                "of your photos or your NSID (it looks like 12345678@N01) works without Flickr."
            )
            % {"name": name, "why": exc},
            retry_after=getattr(exc, "retry_after", None),
        )
        unavailable.needed_flickr = True
        raise unavailable from exc
    return user.nsid, user.username
