"""POST /api/v1/picture: the look-up by picture as JSON."""

import re
import secrets
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings

from devtools.pictures import picture_make
from optout.models import Photo
from optout.pictures import MAX_UPLOAD_BYTES, pictures_hash
from tests.support.factories import DatasetFactory
from tests.support.pictures import (
    encoded,
    fresh_index,  # noqa: F401 (a fixture)
    resaved_smaller,
    stored_photo,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_index")]
URL = "/api/v1/picture"


def random_ip() -> str:
    # Rate-limit counters outlive a test (Redis in CI): each test comes from its own address.
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


def upload(data: bytes, field: str = "picture") -> dict[str, SimpleUploadedFile]:
    return {field: SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg")}


@pytest.fixture
def photo(settings: Settings, tmp_path: Path) -> Photo:
    settings.MEDIA_ROOT = str(tmp_path)
    faces = DatasetFactory(slug="ffhq", name="Flickr-Faces-HQ", release="v2")
    DatasetFactory(slug="dif", name="Diversity in Faces", release="1.0")
    photo = stored_photo(faces, 50, title="Picnic")
    pictures_hash(slug="ffhq")
    return photo


def test_a_found_picture_answers_per_dataset_with_a_report_link_and_no_photo(
    client: Client, photo: Photo
) -> None:
    response = client.post(URL, upload(resaved_smaller(50)))

    assert response.status_code == 200
    body = response.json()
    report_url = body.pop("report_url")
    assert body == {
        "datasets": [
            {"slug": "dif", "name": "Diversity in Faces", "release": "1.0", "state": "absent"},
            {"slug": "ffhq", "name": "Flickr-Faces-HQ", "release": "v2", "state": "present"},
        ],
        "in_any": True,
        "removed_from_any": False,
    }
    assert re.fullmatch(r"http://testserver/report/\?ref=[A-Za-z0-9_-]{32}", report_url)
    for secret in (str(photo.flickr_id), photo.title, photo.owner_nsid):
        assert secret not in response.content.decode()
    assert "no-cache" in response["Cache-Control"]


def test_a_removed_photo_answers_removed_and_an_unrelated_picture_absent(
    client: Client, photo: Photo
) -> None:
    unrelated = client.post(URL, upload(encoded(picture_make(51), "JPEG"))).json()
    Photo.objects.filter(pk=photo.pk).update(state=Photo.State.REMOVED)
    removed = client.post(URL, upload(resaved_smaller(50))).json()

    assert [d["state"] for d in unrelated["datasets"]] == ["absent", "absent"]
    assert "report_url" not in unrelated and not unrelated["in_any"]
    assert [d["state"] for d in removed["datasets"]] == ["absent", "removed"]
    assert (removed["in_any"], removed["removed_from_any"]) == (False, True)


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        pytest.param(b"", 400, "empty", id="empty"),
        pytest.param(encoded(picture_make(5), "JPEG")[:5000], 400, "damaged", id="truncated"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", 400, "svg", id="svg"),
        pytest.param(b"plain text", 400, "not_a_picture", id="text"),
        pytest.param(b"\0" * (MAX_UPLOAD_BYTES + 1), 413, "too_large", id="over 20 MB"),
    ],
)
def test_bad_input_gets_json_with_a_sentence_and_a_code(
    client: Client, data: bytes, status: int, code: str
) -> None:
    response = client.post(URL, upload(data))

    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["error"].endswith(".")


def test_a_missing_field_or_a_body_that_is_no_form_gets_a_400(client: Client) -> None:
    missing = client.post(URL, upload(b"x", field="photo"))
    raw = client.post(URL, b"\xff\xd8\xff", content_type="image/jpeg")
    broken = client.post(URL, b"--x\r\nnonsense", content_type="multipart/form-data; boundary=x")

    assert (missing.status_code, missing.json()["code"]) == (400, "missing")
    assert (raw.status_code, raw.json()["code"]) == (400, "missing")
    assert broken.status_code == 400
    assert client.get(URL).status_code == 405


def test_a_flat_picture_gets_a_422_with_its_quality(client: Client) -> None:
    response = client.post(URL, upload(encoded(Image.new("RGB", (50, 50), "red"), "PNG")))

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "too_flat" and body["quality"] < 50
    assert body["error"].startswith("This picture is too flat to match")


@pytest.mark.usefixtures("whole_window")
def test_the_api_is_rate_limited_per_client_in_json(client: Client, settings: Settings) -> None:
    settings.RATE_LIMIT_PICTURE_PER_MINUTE = 1
    ip = random_ip()
    picture = resaved_smaller(2)

    first = client.post(URL, upload(picture), REMOTE_ADDR=ip)
    second = client.post(URL, upload(picture), REMOTE_ADDR=ip)

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["error"].startswith("Too many requests from your address")
    assert int(second["Retry-After"]) > 0


def test_the_openapi_document_describes_the_look_up_by_picture(client: Client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    post = spec["paths"]["/api/v1/picture"]["post"]

    form = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["picture"]
    assert set(post["responses"]) == {"200", "400", "413", "422", "429"}
    state = post["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    assert state["datasets"]["items"]["properties"]["state"]["enum"] == [
        "present",
        "removed",
        "absent",
    ]
