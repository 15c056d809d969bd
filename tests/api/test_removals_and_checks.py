"""The downstream API: removal lists, the check API, the Spawning-shaped opt-out API."""

import csv
import io
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from optout import lookup
from optout.api import checks
from optout.importers.service import dataset_import
from optout.lookup import base58_encode
from optout.models import Dataset, Photo, RemovalRequest, Suppression
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory
from tests.support.manifests import write
from tests.support.responses import streamed_text

pytestmark = pytest.mark.django_db
S = RemovalRequest.Status
REMOVED_ON = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def random_ip() -> str:
    # The counters live in the cache (Redis in CI) and outlive a test.
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


def remove(photo: Photo) -> Photo:
    """As the deletion pipeline leaves a photo: removed, dated, suppressed."""
    Photo.objects.filter(pk=photo.pk).update(state=Photo.State.REMOVED, removed_at=REMOVED_ON)
    Suppression.objects.create(
        kind=Suppression.Kind.PHOTO, dataset=photo.dataset, flickr_id=photo.flickr_id
    )
    photo.refresh_from_db()
    return photo


@pytest.fixture
def dif() -> Dataset:
    dataset = DatasetFactory(slug="dif", name="Diversity in Faces", release="1.0")
    for flickr_id in (300, 100, 200):
        remove(PhotoFactory(dataset=dataset, flickr_id=flickr_id, release="1.0"))
    PhotoFactory(dataset=dataset, flickr_id=400)  # still present
    return dataset


def body(response: HttpResponseBase) -> str:
    return streamed_text(response)


# Removal lists


def test_the_csv_removal_list_has_every_removed_photo_in_id_order(
    client: Client, dif: Dataset
) -> None:
    response = client.get("/datasets/dif/removals.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(body(response))))
    assert rows == [
        ["photo_id", "removed_on", "release"],
        ["100", "2026-10-01", "1.0"],
        ["200", "2026-10-01", "1.0"],
        ["300", "2026-10-01", "1.0"],
    ]


def test_the_json_removal_list_says_the_same(client: Client, dif: Dataset) -> None:
    data = json.loads(body(client.get("/datasets/dif/removals.json")))
    assert data["dataset"] == "dif" and data["release"] == "1.0"
    assert [r["photo_id"] for r in data["removals"]] == [100, 200, 300]
    assert data["removals"][0] == {"photo_id": 100, "removed_on": "2026-10-01", "release": "1.0"}


def test_an_empty_removal_list_is_still_valid_json(client: Client) -> None:
    DatasetFactory(slug="ffhq")
    assert json.loads(body(client.get("/datasets/ffhq/removals.json")))["removals"] == []


def test_the_removal_list_is_cacheable_until_it_changes(client: Client, dif: Dataset) -> None:
    first = client.get("/datasets/dif/removals.csv")
    etag = first["ETag"]
    assert "public" in first["Cache-Control"]
    assert (
        client.get("/datasets/dif/removals.csv", headers={"if-none-match": etag}).status_code == 304
    )
    remove(Photo.objects.get(flickr_id=400))
    changed = client.get("/datasets/dif/removals.csv", headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert "400" in body(changed)


@pytest.mark.parametrize("path", ["/datasets/nope/removals.csv", "/datasets/dif/removals.xml"])
def test_an_unknown_dataset_or_format_is_a_404(client: Client, dif: Dataset, path: str) -> None:
    assert client.get(path).status_code == 404


def test_export_removals_writes_the_same_list(dif: Dataset, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("export_removals", "dif", "--format", "json", stdout=out)
    assert [r["photo_id"] for r in json.loads(out.getvalue())["removals"]] == [100, 200, 300]
    target = tmp_path / "dif.csv"
    call_command("export_removals", "dif", "--output", str(target))
    assert target.read_text().splitlines()[1] == "100,2026-10-01,1.0"


def test_export_removals_names_the_known_datasets_for_an_unknown_one(dif: Dataset) -> None:
    with pytest.raises(CommandError, match=r"No dataset “ffhq”\. Known: dif\."):
        call_command("export_removals", "ffhq")


def test_a_reimported_release_keeps_removed_photos_out_and_says_so(
    tmp_path: Path, settings: Settings, client: Client
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    first = write(tmp_path / "r1.csv", "photo_id,owner\n1,11@N01\n2,22@N01\n3,33@N01\n")
    dataset_import(slug="mine", path=first, fmt="csv", release="1.0")
    remove(Photo.objects.get(flickr_id=2))

    second = write(tmp_path / "r2.csv", "photo_id,owner\n1,11@N01\n2,22@N01\n3,33@N01\n4,4@N01\n")
    summary = dataset_import(slug="mine", path=second, fmt="csv", release="2.0")

    assert summary.skipped_removed == 1
    assert Photo.objects.get(flickr_id=2).state == Photo.State.REMOVED
    rows = list(csv.reader(io.StringIO(body(client.get("/datasets/mine/removals.csv")))))
    assert [row[0] for row in rows[1:]] == ["2"]
    check = client.post(
        reverse("api_check"), {"photos": ["2", "4"]}, content_type="application/json"
    ).json()
    assert [(r["photo_id"], r["removed"]) for r in check["results"]] == [(2, True), (4, False)]


# /api/v1/check


def test_check_answers_each_photo_in_input_order(client: Client, dif: Dataset) -> None:
    ffhq = DatasetFactory(slug="ffhq", release="2")
    PhotoFactory(dataset=ffhq, flickr_id=100)
    scheduled = PhotoFactory(dataset=ffhq, flickr_id=500)
    RemovalRequestFactory(status=S.APPROVED, photos=[scheduled])
    rejected = PhotoFactory(dataset=ffhq, flickr_id=600)
    RemovalRequestFactory(status=S.REJECTED, photos=[rejected])
    RemovalRequestFactory(status=S.PENDING_EMAIL, email_confirmed_at=None, photos=[rejected])
    photos = [
        "500",
        f"https://flic.kr/p/{base58_encode(100)}",
        "https://www.flickr.com/photos/someone/400/",
        "https://live.staticflickr.com/65535/600_abcdef_b.jpg",
        "999",
        "someone@example.org/x",
        "12345678@N01",
    ]
    response = client.post(
        reverse("api_check"), {"photos": photos}, content_type="application/json"
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["input"] for r in results] == photos
    pending, both, present, closed, unknown, bad, owner = results
    assert (pending["removed"], pending["scheduled_for_removal"]) == (False, True)
    assert pending["in_datasets"] == [
        {"dataset": "ffhq", "release": "2", "removed": False, "scheduled_for_removal": True}
    ]
    assert both["photo_id"] == 100 and both["removed"] is True
    assert [(d["dataset"], d["removed"]) for d in both["in_datasets"]] == [
        ("dif", True),
        ("ffhq", False),
    ]
    assert (present["removed"], present["scheduled_for_removal"]) == (False, False)
    assert (closed["removed"], closed["scheduled_for_removal"]) == (False, False)
    assert unknown["in_datasets"] == [] and unknown["removed"] is False
    assert "error" in bad
    assert owner["error"] == "This names a Flickr account, not one photo."


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", "Send a JSON body"),
        (json.dumps({"photo": ["1"]}), '"photos" must be a list'),
        (json.dumps({"photos": [{"id": 1}]}), '"photos" must be a list'),
        (json.dumps({"photos": ["1"] * 10_001}), "At most 10,000 photos per call"),
    ],
)
def test_check_refuses_bad_input_with_a_clear_message(
    client: Client, payload: str, message: str
) -> None:
    response = client.post(reverse("api_check"), payload, content_type="application/json")
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_check_takes_ten_thousand_photos(client: Client, dif: Dataset) -> None:
    photos = [str(n) for n in range(1, 10_001)]
    response = client.post(
        reverse("api_check"), {"photos": photos}, content_type="application/json"
    )
    results = response.json()["results"]
    assert len(results) == 10_000
    assert [r["photo_id"] for r in results if r["removed"]] == [100, 200, 300]


def test_the_openapi_description_names_every_endpoint(client: Client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {
        "/datasets/{slug}/removals.{format}",
        "/api/v1/check",
        "/api/v1/picture",
        "/api/v1/datasets/{slug}/removals/feed",
        "/api/v1/datasets/{slug}/acknowledgements",
        "/api/v2/query/urls/",
    }


# /api/v2/query/urls/ (Spawning's shape)


def test_spawning_query_answers_one_entry_per_line_in_order(client: Client, dif: Dataset) -> None:
    lines = [
        "https://live.staticflickr.com/65535/200_abcdef_b.jpg",
        "https://example.com/cat.jpg",
        "",
        "https://farm1.staticflickr.com/2/400_abcdef.jpg",
        f"https://flic.kr/p/{base58_encode(300)}",
    ]
    response = client.post(
        "/api/v2/query/urls/", "\n".join(lines), content_type="text/plain",
        headers={"authorization": "API some-key"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {
        "urls": [
            {"url": lines[0], "optOut": True, "optIn": False},
            {"url": lines[1], "optOut": False, "optIn": False},
            {"url": "", "optOut": False, "optIn": False},
            {"url": lines[3], "optOut": False, "optIn": False},
            {"url": lines[4], "optOut": True, "optIn": False},
        ]
    }


def test_spawning_query_counts_a_photo_in_an_open_request_as_opted_out(
    client: Client,
) -> None:
    photo = PhotoFactory(flickr_id=700)
    RemovalRequestFactory(status=S.NEEDS_REVIEW, photos=[photo])
    response = client.post("/api/v2/query/urls/", "700\n701", content_type="text/plain")
    assert [u["optOut"] for u in response.json()["urls"]] == [True, False]


def test_spawning_query_refuses_more_than_ten_thousand_lines(client: Client) -> None:
    text = "\n".join(["1"] * 10_001)
    response = client.post("/api/v2/query/urls/", text, content_type="text/plain")
    assert response.status_code == 400
    assert "At most 10,000 URLs" in response.json()["error"]


@pytest.mark.usefixtures("whole_window")
def test_over_the_rate_limit_the_api_answers_429_with_retry_after(
    client: Client, settings: Settings
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    busy, other = random_ip(), random_ip()
    for _ in range(2):
        answer = client.post("/api/v2/query/urls/", "1", "text/plain", REMOTE_ADDR=busy)
        assert answer.status_code == 200
    refused = client.post(
        reverse("api_check"), {"photos": ["1"]}, "application/json", REMOTE_ADDR=busy
    )
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "at most 2 a minute" in refused.json()["error"]
    elsewhere = client.post("/api/v2/query/urls/", "1", "text/plain", REMOTE_ADDR=other)
    assert elsewhere.status_code == 200


def test_a_release_with_a_comma_or_quote_survives_both_formats(client: Client) -> None:
    odd = DatasetFactory(slug="odd", release='2, "fixed"')
    remove(PhotoFactory(dataset=odd, flickr_id=42, release='2, "fixed"'))
    rows = list(csv.reader(io.StringIO(body(client.get("/datasets/odd/removals.csv")))))
    assert rows[1] == ["42", "2026-10-01", '2, "fixed"']
    data = json.loads(body(client.get("/datasets/odd/removals.json")))
    assert data["removals"] == [
        {"photo_id": 42, "removed_on": "2026-10-01", "release": '2, "fixed"'}
    ]


def test_a_body_over_the_upload_limit_is_a_413_not_a_500(
    client: Client, settings: Settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = "\n".join(["https://live.staticflickr.com/65535/5123456789_abcdef1234_b.jpg"] * 100)
    spawning = client.post("/api/v2/query/urls/", big, content_type="text/plain")
    assert spawning.status_code == 413
    check = client.post(
        reverse("api_check"), {"photos": big.splitlines()}, content_type="application/json"
    )
    assert check.status_code == 413
    assert "too large" in check.json()["error"]


@pytest.mark.parametrize(
    "url",
    [
        "https://live.staticflickr.com/65535/5123456789_abcdef1234_b.jpg",
        "http://farm3.staticflickr.com/2/123_abc.jpg",
        "https://c1.staticflickr.com/1/2/77_ab12_o.PNG",
        "HTTPS://LIVE.STATICFLICKR.COM/65535/42_ff.JPEG",
    ],
)
def test_the_fast_image_url_reader_agrees_with_the_lookup_parser(url: str) -> None:
    parsed = lookup.query_parse(text=url)
    assert isinstance(parsed, lookup.PhotoQuery)
    assert checks.photo_id_of(url) == parsed.photo_id
