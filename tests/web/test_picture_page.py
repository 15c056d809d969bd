"""/picture/: the look-up by upload, as a person meets it; and nothing of the upload kept."""

import logging
import re
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.apps import apps
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings

from devtools.pictures import picture_make
from optout.models import Dataset, Photo, RemovalRequest
from optout.pictures import MAX_UPLOAD_BYTES, pictures_hash
from tests.support.factories import DatasetFactory
from tests.support.pictures import (
    encoded,
    fresh_index,  # noqa: F401 (a fixture)
    resaved_smaller,
    stored_photo,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_index")]


def random_ip() -> str:
    # Rate-limit counters outlive a test (Redis in CI): each test comes from its own address.
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


def text(html: bytes) -> str:
    """The page as a person reads it: tags gone, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.decode()).split())


def upload(data: bytes, name: str = "holiday.jpg", kind: str = "image/jpeg") -> dict[str, Any]:
    return {"picture": SimpleUploadedFile(name, data, content_type=kind)}


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> Iterator[Path]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield tmp_path / "media"


@pytest.fixture
def demo_like() -> dict[str, Photo]:
    """Two datasets of generated photos, hashed: one photo present, one removed."""
    faces = DatasetFactory(slug="ffhq", name="Flickr-Faces-HQ (demo)", release="v2")
    other = DatasetFactory(slug="dif", name="Diversity in Faces (demo)", release="1.0")
    present = stored_photo(faces, 11, title="Grandma at the lake", owner_name="grandkid")
    removed = stored_photo(faces, 12, title="Beach day")
    for seed in (13, 14):
        stored_photo(other, seed)
    pictures_hash(slug="ffhq")
    pictures_hash(slug="dif")
    Photo.objects.filter(pk=removed.pk).update(state=Photo.State.REMOVED, file_keys=[])
    return {"present": present, "removed": removed}


def test_the_page_asks_for_the_picture_and_says_nothing_is_kept(client: Client) -> None:
    page = client.get("/picture/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Do you have the picture itself?</h1>" in html
    assert re.findall(r'<input type="file" id="picture" name="picture"', html)
    assert 'enctype="multipart/form-data"' in html
    assert (
        "Your picture is read in memory and forgotten once we have answered: it is never "
        "saved to disk, to our database or to a log." in text(page.content)
    )
    assert "no face recognition" in text(page.content)
    assert '<a href="/picture/">Look for it by the picture</a>' in client.get("/").content.decode()


def test_a_re_saved_smaller_copy_of_a_dataset_photo_is_found_in_its_dataset(
    client: Client, demo_like: dict[str, Photo]
) -> None:
    photo = demo_like["present"]

    page = client.post("/picture/", upload(resaved_smaller(11)))

    assert page.status_code == 200
    said = text(page.content)
    assert "This picture is in Flickr-Faces-HQ (demo) (release v2)." in said
    assert "Diversity in Faces" not in said.split("Your picture")[1].split("This is my photo")[0]
    assert "This is my photo" in said and "I am in this photo" in said
    assert "Sign in with Flickr to see your photos and ask for removal" in said
    # Never which photo: no id, title or owner.
    html = page.content.decode()
    for secret in (str(photo.flickr_id), photo.title, photo.owner_name, photo.owner_nsid):
        assert secret not in html
    assert re.search(r'href="/report/\?ref=[A-Za-z0-9_-]{32}"', html)


def test_an_unrelated_picture_is_not_found(client: Client, demo_like: dict[str, Photo]) -> None:
    page = client.post("/picture/", upload(encoded(picture_make(99), "JPEG")))

    assert page.status_code == 200
    said = text(page.content)
    assert "We did not find this picture in any dataset we cover." in said
    assert "We cover Diversity in Faces (demo) (release 1.0), Flickr-Faces-HQ (demo)" in said
    assert "/report/?ref=" not in page.content.decode()


def test_a_removed_photo_s_picture_says_removed(
    client: Client, demo_like: dict[str, Photo]
) -> None:
    page = client.post("/picture/", upload(resaved_smaller(12), "beach.png", "image/png"))

    said = text(page.content)
    assert "This picture was in Flickr-Faces-HQ (demo) (release v2) and has been removed." in said
    assert "This is my photo" not in said
    assert str(demo_like["removed"].flickr_id) not in page.content.decode()


def grainy(picture: Image.Image) -> Image.Image:
    noise = np.random.default_rng(1).normal(0, 8, size=(picture.height, picture.width, 1))
    return Image.fromarray(np.clip(np.asarray(picture) + noise, 0, 255).astype(np.uint8))


def _table_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def _files_under(*folders: Path) -> list[Path]:
    return sorted(path for folder in folders for path in folder.rglob("*"))


def test_nothing_of_either_upload_remains_on_disk_in_the_database_the_cache_or_the_log(
    client: Client,
    demo_like: dict[str, Photo],
    settings: Settings,
    tmp_path: Path,
    media: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Bigger than Django's FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), past which its default
    # handlers would write a temporary file; and an unrelated picture.
    found, unrelated = (
        encoded(grainy(picture_make(seed, width=320, height=240).resize((1600, 1200))), "PNG")
        for seed in (11, 98)
    )
    assert len(found) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    uploads, temporary = tmp_path / "uploads", tmp_path / "tmp"
    uploads.mkdir()
    temporary.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(uploads)
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))

    def no_temporary_file(*args: object, **kwargs: object) -> None:
        raise AssertionError("an upload was about to be written to a temporary file")

    monkeypatch.setattr(TemporaryUploadedFile, "__init__", no_temporary_file)
    written: list[object] = []
    cache = caches["default"]
    for method in ("set", "add", "set_many"):
        real = getattr(cache, method)

        def spy(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            written.append(args[1] if len(args) > 1 else args[0])
            return _real(*args, **kwargs)

        monkeypatch.setattr(cache, method, spy)
    caplog.set_level(logging.DEBUG)
    counts = _table_counts()
    stored = _files_under(media)

    first = client.post("/picture/", upload(found, "my-secret-holiday.png", "image/png"))
    second = client.post("/picture/", upload(unrelated, "another-private-name.png", "image/png"))

    assert "This picture is in Flickr-Faces-HQ (demo)" in text(first.content)
    assert "We did not find this picture" in text(second.content)
    assert _files_under(uploads, temporary) == []
    assert _files_under(media) == stored
    assert _table_counts() == counts
    # The cache holds the report form's reference (photo keys) and rate-limit counters.
    assert all(
        isinstance(value, int) or (isinstance(value, list) and all(type(v) is int for v in value))
        for value in written
    ), written
    log = caplog.text + "".join(str(record.args) for record in caplog.records)
    for name in ("my-secret-holiday", "another-private-name"):
        assert name not in log
    for data in (found, unrelated):
        assert data[200:232].hex() not in log and repr(data[200:232])[2:-1] not in log


def test_an_upload_is_read_in_memory_even_past_django_s_own_memory_limit(
    client: Client, demo_like: dict[str, Photo], settings: Settings
) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000  # the default handlers would spool to disk
    settings.FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]

    page = client.post("/picture/", upload(resaved_smaller(11)))

    assert "This picture is in Flickr-Faces-HQ (demo)" in text(page.content)


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'


@pytest.mark.parametrize(
    ("data", "says"),
    [
        pytest.param(b"", "The file you chose is empty.", id="empty"),
        pytest.param(b"dear diary\n" * 100, "This file is not a picture we can read.", id="text"),
        pytest.param(SVG, "This is an SVG drawing, not a photo.", id="svg"),
        pytest.param(
            encoded(picture_make(5), "JPEG")[:9000],
            "This picture is cut short or damaged",
            id="truncated",
        ),
    ],
)
def test_bad_input_gets_a_400_with_a_sentence(client: Client, data: bytes, says: str) -> None:
    page = client.post("/picture/", upload(data))

    assert page.status_code == 400
    assert says in text(page.content)
    assert 'aria-invalid="true"' in page.content.decode()


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")  # as in production
def test_a_decompression_bomb_gets_a_400(client: Client) -> None:
    from tests.pictures.test_pdq import _png_header  # noqa: PLC0415 (one helper, two tests)

    page = client.post("/picture/", upload(_png_header(9000, 9000), "huge.png", "image/png"))

    assert page.status_code == 400
    assert "we read at most 50 million" in text(page.content)


def test_a_missing_field_gets_a_400(client: Client) -> None:
    page = client.post("/picture/", {"photo": SimpleUploadedFile("a.jpg", b"x")})

    assert page.status_code == 400
    assert "Choose a picture to upload" in text(page.content)


def test_a_flat_picture_is_too_flat_to_match_not_absent(client: Client) -> None:
    page = client.post("/picture/", upload(encoded(Image.new("RGB", (300, 200), "navy"), "PNG")))

    assert page.status_code == 422
    assert "This picture is too flat to match" in text(page.content)
    assert "We did not find" not in text(page.content)


@pytest.mark.parametrize("size", [MAX_UPLOAD_BYTES + 1024, MAX_UPLOAD_BYTES + 2 * 1024 * 1024])
def test_over_20_mb_gets_a_413(client: Client, size: int) -> None:
    page = client.post("/picture/", upload(b"\xff\xd8\xff" + b"\0" * size))

    assert page.status_code == 413
    assert "This file is larger than 20 MB." in text(page.content)


def test_the_form_needs_its_csrf_token() -> None:
    strict = Client(enforce_csrf_checks=True)
    page = strict.get("/picture/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert token

    refused = strict.post("/picture/", upload(resaved_smaller(1)))
    accepted = strict.post(
        "/picture/", {**upload(resaved_smaller(1)), "csrfmiddlewaretoken": token[1].decode()}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200


@pytest.mark.usefixtures("whole_window")
def test_look_ups_by_picture_are_rate_limited_per_client(
    client: Client, settings: Settings
) -> None:
    settings.RATE_LIMIT_PICTURE_PER_MINUTE = 2
    ip = random_ip()
    picture = resaved_smaller(3)

    answers = [client.post("/picture/", upload(picture), REMOTE_ADDR=ip) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Too many requests from your address: at most 2 a minute." in text(answers[2].content)
    assert client.post("/picture/", upload(picture), REMOTE_ADDR=random_ip()).status_code == 200
    assert client.get("/picture/", REMOTE_ADDR=ip).status_code == 200


# --- "I am in this photo": the report form with the opaque reference -----------------


def _ref(client: Client) -> str:
    page = client.post("/picture/", upload(resaved_smaller(11)))
    found = re.search(r"/report/\?ref=([A-Za-z0-9_-]+)", page.content.decode())
    assert found
    return found[1]


def test_i_am_in_this_photo_files_a_request_for_the_matched_photos_without_showing_them(
    client: Client, demo_like: dict[str, Photo]
) -> None:
    photo = demo_like["present"]
    ref = _ref(client)
    assert str(photo.flickr_id) not in ref
    assert _ref(client) != ref  # a fresh random handle each time, not derived from the photos

    form = client.get("/report/", {"ref": ref})
    said = text(form.content)
    assert "Your picture matched 1 photo in the datasets we cover" in said
    assert f'<input type="hidden" name="ref" value="{ref}">' in form.content.decode()
    assert str(photo.flickr_id) not in form.content.decode()

    filed = client.post(
        "/report/",
        {
            "ref": ref,
            "links": "",
            "relation": "I am the person in it",
            "statement": "I never agreed to this.",
            "email": "me@example.org",
        },
    )

    assert filed.status_code == 200, text(filed.content)
    removal = RemovalRequest.objects.get(email="me@example.org")
    assert list(removal.photos.all()) == [photo]
    assert removal.kind == RemovalRequest.Kind.SHOWN
    event = removal.events.get()
    assert event.why.endswith("1 of the photos were found by the picture they uploaded.")
    # Used once: the reference is gone with the filing.
    again = client.get("/report/", {"ref": ref})
    assert "Your search by picture was more than an hour ago" in text(again.content)


def test_an_expired_or_made_up_reference_says_so_and_files_nothing(
    client: Client, demo_like: dict[str, Photo]
) -> None:
    answer = client.post(
        "/report/",
        {
            "ref": "made-up-reference",
            "links": "",
            "relation": "me",
            "statement": "Remove it.",
            "email": "me@example.org",
        },
    )

    assert answer.status_code == 400
    assert "Your search by picture was more than an hour ago" in text(answer.content)
    assert not RemovalRequest.objects.exists()
    assert Dataset.objects.count() == 2
