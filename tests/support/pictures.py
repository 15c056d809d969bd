"""Pictures for the look-up-by-picture tests: stored files, uploads, and a fresh index.

Import the fixture where it is needed (`from tests.support.pictures import fresh_index`)
and use it with `pytestmark = pytest.mark.usefixtures("fresh_index")`.
"""

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from devtools.pictures import picture_make
from optout.models import Dataset, Photo
from optout.pictures import picture_index
from tests.support.factories import PhotoFactory


@pytest.fixture
def fresh_index() -> Iterator[None]:
    """This process's index, emptied: a test's rows are not the previous test's."""
    picture_index().reset()
    yield
    picture_index().reset()


def encoded(image: Image.Image, fmt: str = "JPEG", **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def stored_photo(
    dataset: Dataset, seed: int, *, side: int = 320, key: str = "", **fields: Any
) -> Photo:
    """A present photo whose first stored file is the generated picture `seed` (a PNG)."""
    photo = PhotoFactory(dataset=dataset, **fields)
    key = key or f"{dataset.slug}/{photo.flickr_id}.png"
    if default_storage.exists(key):
        default_storage.delete(key)
    picture = picture_make(seed, width=side, height=side * 3 // 4)
    default_storage.save(key, ContentFile(encoded(picture, "PNG")))
    photo.file_keys = [key, f"{dataset.slug}/crops/{photo.flickr_id}.png"]
    photo.save(update_fields=["file_keys"])
    return photo


def resaved_smaller(seed: int, *, side: int = 320, quality: int = 70) -> bytes:
    """The picture `seed` as a person might have it: half the size, re-saved as a JPEG."""
    picture = picture_make(seed, width=side, height=side * 3 // 4)
    return encoded(picture.resize((side // 2, side * 3 // 8)), "JPEG", quality=quality)
