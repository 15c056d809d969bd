"""The answer per dataset, the index, and the opaque reference for the report form."""

import base64
import hashlib
from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache
from PIL import Image
from pytest_django.fixtures import Settings

from devtools.pictures import picture_make
from optout.models import Photo
from optout.pictures import (
    REF_SECONDS,
    TooFlat,
    picture_index,
    picture_search,
    pictures_hash,
    ref_forget,
    ref_mint,
    ref_photos,
)
from tests.support.factories import DatasetFactory
from tests.support.pictures import (
    encoded,
    fresh_index,  # noqa: F401 (a fixture)
    resaved_smaller,
    stored_photo,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_index")]


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def test_the_answer_lists_every_dataset_with_a_state_and_no_photo() -> None:
    faces = DatasetFactory(slug="faces", name="Faces", release="2")
    DatasetFactory(slug="empty", name="Empty")
    photo = stored_photo(faces, 21)
    pictures_hash(slug="faces")

    answer = picture_search(data=resaved_smaller(21))

    assert [(d.slug, d.state) for d in answer.datasets] == [
        ("empty", "absent"),
        ("faces", "present"),
    ]
    assert answer.as_json() == {
        "datasets": [
            {"slug": "empty", "name": "Empty", "release": "1.0", "state": "absent"},
            {"slug": "faces", "name": "Faces", "release": "2", "state": "present"},
        ],
        "in_any": True,
        "removed_from_any": False,
    }
    assert ref_photos(token=answer.ref) == [photo.pk]


def test_a_picture_in_two_datasets_is_present_in_both_and_removed_where_removed() -> None:
    one, two, three = (DatasetFactory(slug=s, name=s) for s in ("one", "two", "three"))
    kept = stored_photo(one, 30)
    stored_photo(two, 30)
    gone = stored_photo(three, 30)
    for slug in ("one", "two", "three"):
        pictures_hash(slug=slug)
    Photo.objects.filter(pk=gone.pk).update(state=Photo.State.REMOVED)

    answer = picture_search(data=resaved_smaller(30))

    assert {d.slug: d.state for d in answer.datasets} == {
        "one": "present",
        "two": "present",
        "three": "removed",
    }
    photos = ref_photos(token=answer.ref)
    assert photos is not None and kept.pk in photos and gone.pk not in photos


def test_an_unrelated_picture_is_absent_everywhere_and_has_no_reference() -> None:
    faces = DatasetFactory(slug="faces")
    for seed in range(5):
        stored_photo(faces, seed)
    pictures_hash(slug="faces")

    answer = picture_search(data=encoded(picture_make(77), "JPEG"))

    assert [d.state for d in answer.datasets] == ["absent"]
    assert answer.ref == ""


def test_a_flat_picture_is_too_flat_not_absent() -> None:
    with pytest.raises(TooFlat) as raised:
        picture_search(data=encoded(Image.new("RGB", (64, 64), "white"), "PNG"))
    assert raised.value.status == 422
    assert raised.value.quality < 50


def test_a_hash_whose_photo_is_gone_matches_nothing() -> None:
    faces = DatasetFactory(slug="faces")
    photo = stored_photo(faces, 40)
    pictures_hash(slug="faces")
    assert picture_search(data=resaved_smaller(40)).present_in
    Photo.objects.filter(pk=photo.pk).delete()

    assert not picture_search(data=resaved_smaller(40)).present_in


def test_the_reference_is_a_random_handle_that_carries_no_photo_id() -> None:
    # Large ids: a one-byte id would turn up in 24 random bytes one time in ten.
    photo_ids = [5_123_456_789, 7_000_000_042]

    token = ref_mint(photo_ids=photo_ids)

    assert len(token) == 32 and token != ref_mint(photo_ids=photo_ids)
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for photo_id in photo_ids:
        assert str(photo_id).encode() not in decoded
        assert photo_id.to_bytes(8, "big").lstrip(b"\0") not in decoded
    assert ref_photos(token=token) == sorted(photo_ids)
    # The cache is keyed by the SHA-256 of the token: its keys open nothing.
    assert cache.get("picture-ref:" + hashlib.sha256(token.encode()).hexdigest()) == photo_ids
    assert cache.get("picture-ref:" + token) is None


def test_the_reference_expires_after_an_hour_and_is_forgotten_once_used() -> None:
    with mock.patch.object(cache, "set", wraps=cache.set) as stored:
        token = ref_mint(photo_ids=[7])
    assert stored.call_args.args[2] == REF_SECONDS == 3600

    ref_forget(token=token)

    assert ref_photos(token=token) is None
    assert ref_photos(token="") is None
    assert ref_photos(token="x" * 500) is None


def test_a_cache_that_is_down_leaves_the_answer_without_a_reference() -> None:
    with mock.patch.object(cache, "set", side_effect=ConnectionError("down")):
        assert ref_mint(photo_ids=[7]) == ""
    with mock.patch.object(cache, "get", side_effect=ConnectionError("down")):
        assert ref_photos(token="anything") is None


def test_the_index_holds_48_bytes_a_hash() -> None:
    faces = DatasetFactory(slug="faces")
    for seed in range(4):
        stored_photo(faces, seed)
    pictures_hash(slug="faces")

    picture_search(data=resaved_smaller(0))

    assert (picture_index().size, picture_index().nbytes) == (4, 4 * 48)
