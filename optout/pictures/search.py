"""The look-up by picture: is this picture in a dataset, present or removed?

The picture is hashed in memory, its eight rotations and flips matched
against the index, and the matched photos read from the photo table for
their dataset and state. The answer names datasets and states only, never a
photo id, a title or an owner: anyone can upload any picture.

A person shown in the picture goes on to the report form with a reference to
the photos found (`ref_mint`): a random token, of which the cache keeps only
the SHA-256, holding the photos' keys for an hour. The token says nothing
itself (a signed value would carry the ids in readable base64); the
maintainers see the photos on the request it files.
"""

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from django.core.cache import cache
from django.utils.translation import gettext_lazy

from optout.models import Dataset, Photo
from optout.pictures.index import picture_index
from optout.pictures.pdq import MIN_QUALITY, PictureProblem, picture_variants

log = logging.getLogger(__name__)

REF_SECONDS: Final = 3600
REF_PREFIX: Final = "picture-ref:"
# A reference carries at most this many photos (the report form's own limit).
REF_MAX_PHOTOS: Final = 200

type State = Literal["present", "removed", "absent"]


class TooFlat(PictureProblem):
    """A picture with too little detail for PDQ: it would match too much, or nothing."""

    status = 422
    code = "too_flat"
    default = gettext_lazy(
        "This picture is too flat to match: it has too little detail (one colour, or nearly) "
        "for us to tell it from other pictures. Try another copy of the photo, or look up "
        "the Flickr account instead."
    )

    def __init__(self, quality: int) -> None:
        super().__init__()
        self.quality = quality


@dataclass(frozen=True, slots=True)
class DatasetMatch:
    slug: str
    name: str
    release: str
    state: State


@dataclass(frozen=True, slots=True)
class PictureAnswer:
    datasets: list[DatasetMatch]
    # The opaque reference for the report form; "" when no present photo matched.
    ref: str = ""

    @property
    def present_in(self) -> list[DatasetMatch]:
        return [d for d in self.datasets if d.state == "present"]

    @property
    def removed_from(self) -> list[DatasetMatch]:
        return [d for d in self.datasets if d.state == "removed"]

    def as_json(self) -> dict[str, object]:
        return {
            "datasets": [
                {"slug": d.slug, "name": d.name, "release": d.release, "state": d.state}
                for d in self.datasets
            ],
            "in_any": bool(self.present_in),
            "removed_from_any": bool(self.removed_from),
        }


def picture_search(*, data: bytes) -> PictureAnswer:
    """Answer for the picture in `data`; raises PictureProblem (TooFlat among them)."""
    variants = picture_variants(data=data)
    if variants.quality < MIN_QUALITY:
        raise TooFlat(variants.quality)
    matches = picture_index().search(variants.hashes)
    states: dict[int, State] = {}
    present: list[int] = []
    if matches:
        rows = Photo.objects.filter(
            pk__in=[m.photo_id for m in matches],
            dataset_id__in={m.dataset_id for m in matches},
        ).values_list("pk", "dataset_id", "state")
        for pk, dataset_id, state in rows:
            if state == Photo.State.PRESENT:
                present.append(pk)
                states[dataset_id] = "present"
            else:
                states.setdefault(dataset_id, "removed")
    datasets = [
        DatasetMatch(slug, name, release, states.get(pk, "absent"))
        for pk, slug, name, release in Dataset.objects.order_by("name", "id").values_list(
            "pk", "slug", "name", "release"
        )
    ]
    return PictureAnswer(datasets, ref_mint(photo_ids=present) if present else "")


def _ref_key(token: str) -> str:
    return REF_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def ref_mint(*, photo_ids: Iterable[int]) -> str:
    """A new reference to these photos, for an hour; "" when the cache cannot keep it."""
    token = secrets.token_urlsafe(24)
    try:
        cache.set(_ref_key(token), sorted(photo_ids)[:REF_MAX_PHOTOS], REF_SECONDS)
    except Exception as error:  # any cache backend's failure: the answer stands without it
        log.warning("Picture reference not kept: %s", error.__class__.__name__)
        return ""
    return token


def ref_photos(*, token: str) -> list[int] | None:
    """The photos' keys a reference holds; None when it is unknown or expired."""
    if not token or len(token) > 100:
        return None
    try:
        photo_ids = cache.get(_ref_key(token))
    except Exception as error:  # as in ref_mint: the person can still give the links
        log.warning("Picture reference not read: %s", error.__class__.__name__)
        return None
    if not isinstance(photo_ids, list):
        return None
    return [pk for pk in photo_ids if isinstance(pk, int)]


def ref_forget(*, token: str) -> None:
    """Drop a reference once its request is filed."""
    try:
        cache.delete(_ref_key(token))
    except Exception as error:  # it expires within the hour anyway
        log.warning("Picture reference not dropped: %s", error.__class__.__name__)
