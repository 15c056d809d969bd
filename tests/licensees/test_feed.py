"""A licensee's removal feed and acknowledgements through the API: what the feed holds
(every removal since the copy was taken), paging by opaque cursors, acknowledgements
that only move forward, and the answers to wrong tokens, datasets and cursors."""

import random
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from optout import licensees
from optout.licensees import cursors
from optout.models import Dataset, LicenseeDataset, Photo
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.licensees import ack_post, feed_get, licensee_register, removal_complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def dif() -> Dataset:
    return DatasetFactory(slug="diversity-in-faces", name="Diversity in Faces")


def photos(dataset: Dataset, n: int) -> list[Photo]:
    return [PhotoFactory(dataset=dataset) for _ in range(n)]


def ids(answer: dict) -> list[int]:
    return [row["flickr_id"] for row in answer["removals"]]


def test_a_licensee_reads_every_removal_in_a_stable_order_a_page_at_a_time(
    client: Client, dif: Dataset
) -> None:
    first = removal_complete(photos(dif, 3))
    second = removal_complete(photos(dif, 2))
    lab = licensee_register([dif])
    expected = [p.flickr_id for r in (first, second) for p in r.photos.order_by("flickr_id")]

    page1 = feed_get(client, lab.token, dif.slug, limit=4).json()
    page2 = feed_get(client, lab.token, dif.slug, limit=4, after=page1["cursor"]).json()
    again = feed_get(client, lab.token, dif.slug, limit=4).json()

    assert (ids(page1), page1["has_more"]) == (expected[:4], True)
    assert (ids(page2), page2["has_more"]) == (expected[4:], False)
    assert again == page1  # the same question, the same answer
    row = page1["removals"][0]
    assert set(row) == {"flickr_id", "removed_at"}
    assert row["removed_at"].endswith("Z")
    assert "." in page1["cursor"] and str(expected[3]) not in page1["cursor"]


def test_the_feed_holds_removals_from_before_the_licensee_joined_when_its_copy_is_older(
    client: Client, dif: Dataset
) -> None:
    now = timezone.now()
    old = removal_complete(photos(dif, 1), at=now - timedelta(days=400))
    recent = removal_complete(photos(dif, 1), at=now - timedelta(days=10))
    copied_a_year_ago = licensee_register([dif], since=now - timedelta(days=365))
    copy_date_unknown = licensee_register([dif])

    a_year = ids(feed_get(client, copied_a_year_ago.token, dif.slug).json())
    unknown = ids(feed_get(client, copy_date_unknown.token, dif.slug).json())

    assert a_year == [recent.photos.get().flickr_id]
    assert unknown == [old.photos.get().flickr_id, recent.photos.get().flickr_id]


def test_the_last_page_ends_past_removals_older_than_the_copy(client: Client, dif: Dataset) -> None:
    now = timezone.now()
    lab = licensee_register([dif], since=now - timedelta(days=5))
    removal_complete(photos(dif, 2), at=now - timedelta(days=30))  # not in this copy

    empty = feed_get(client, lab.token, dif.slug).json()
    done = ack_post(client, lab.token, dif.slug, empty["cursor"]).json()

    assert (empty["removals"], empty["has_more"]) == ([], False)
    assert done == {"confirmed": 0, "remaining": 0, "cursor": empty["cursor"]}
    holding = LicenseeDataset.objects.get(licensee=lab.licensee)
    assert holding.acked_seq == 2  # past both, so nothing is left to skip over again


def test_a_removal_completed_after_a_read_comes_after_its_cursor(
    client: Client, dif: Dataset
) -> None:
    lab = licensee_register([dif])
    removal_complete(photos(dif, 2))
    read = feed_get(client, lab.token, dif.slug).json()
    later = removal_complete(photos(dif, 1))

    more = feed_get(client, lab.token, dif.slug, after=read["cursor"]).json()

    assert ids(more) == [later.photos.get().flickr_id]


def test_a_photo_in_two_requests_is_in_the_feed_once(client: Client, dif: Dataset) -> None:
    shared = photos(dif, 2)
    removal_complete(shared)
    lab = licensee_register([dif])
    removal_complete([shared[0], *photos(dif, 1)])

    assert len(ids(feed_get(client, lab.token, dif.slug).json())) == 3


def test_a_page_holds_from_1_to_10000_removals(client: Client, dif: Dataset) -> None:
    lab = licensee_register([dif])
    for limit in ("0", "10001", "ten", "-1"):
        answer = feed_get(client, lab.token, dif.slug, limit=limit)
        assert answer.status_code == 400, limit
        assert answer.json() == {"error": "limit is a whole number from 1 to 10000."}
    assert feed_get(client, lab.token, dif.slug, limit="10000").status_code == 200


def test_an_acknowledgement_says_what_it_confirmed_and_what_remains(
    client: Client, dif: Dataset
) -> None:
    lab = licensee_register([dif])
    removal_complete(photos(dif, 5))
    page = feed_get(client, lab.token, dif.slug, limit=3).json()

    answer = ack_post(client, lab.token, dif.slug, page["cursor"])

    assert answer.status_code == 200
    assert answer.json() == {"confirmed": 3, "remaining": 2, "cursor": page["cursor"]}
    holding = LicenseeDataset.objects.get(licensee=lab.licensee)
    assert holding.acked_at is not None and holding.last_read_at is not None


def test_an_acknowledgement_only_moves_forward_and_a_repeat_is_harmless(
    client: Client, dif: Dataset
) -> None:
    lab = licensee_register([dif])
    removal_complete(photos(dif, 4))
    first = feed_get(client, lab.token, dif.slug, limit=2).json()
    second = feed_get(client, lab.token, dif.slug, limit=2, after=first["cursor"]).json()

    forward = ack_post(client, lab.token, dif.slug, second["cursor"]).json()
    repeat = ack_post(client, lab.token, dif.slug, second["cursor"]).json()
    backward = ack_post(client, lab.token, dif.slug, first["cursor"]).json()

    assert forward == {"confirmed": 4, "remaining": 0, "cursor": second["cursor"]}
    assert repeat == backward == {"confirmed": 0, "remaining": 0, "cursor": second["cursor"]}
    assert LicenseeDataset.objects.get(licensee=lab.licensee).acknowledgements.count() == 1


def test_a_cursor_that_was_never_handed_out_is_a_400(client: Client, dif: Dataset) -> None:
    ffhq = DatasetFactory(slug="ffhq")
    lab = licensee_register([dif, ffhq])
    other = licensee_register([dif])
    removal_complete(photos(dif, 2))
    handed = feed_get(client, lab.token, dif.slug).json()["cursor"]
    body, mac = handed.split(".")
    forged = cursors._b64(f"{lab.licensee.pk}.{dif.pk}.99".encode()) + "." + mac
    wrong = [
        "garbage",
        "",
        body + "." + mac[::-1],
        forged,
        cursors.cursor_encode(licensee_id=other.licensee.pk, dataset_id=dif.pk, seq=1),
        cursors.cursor_encode(licensee_id=lab.licensee.pk, dataset_id=ffhq.pk, seq=1),
    ]

    for cursor in wrong:
        read = feed_get(client, lab.token, dif.slug, after=cursor)
        acked = ack_post(client, lab.token, dif.slug, cursor)
        if cursor:
            assert read.status_code == 400, cursor
            assert read.json()["error"] == cursors.NOT_OURS
        assert acked.status_code == 400, cursor
    assert ack_post(client, lab.token, dif.slug, handed).status_code == 200
    assert LicenseeDataset.objects.get(licensee=lab.licensee, dataset=dif).acked_seq == 2


def test_an_acknowledgement_needs_a_json_body_with_a_cursor(client: Client, dif: Dataset) -> None:
    lab = licensee_register([dif])
    url = f"/api/v1/datasets/{dif.slug}/acknowledgements"
    headers = {"Authorization": f"Bearer {lab.token}"}
    for body in ("not json", "[]", '{"through": 3}', "{}"):
        answer = client.post(url, body, content_type="application/json", headers=headers)
        assert answer.status_code == 400, body
        assert "through" in answer.json()["error"]


def test_wrong_revoked_and_rotated_tokens_get_a_401_that_says_nothing_more(
    client: Client, dif: Dataset
) -> None:
    lab = licensee_register([dif])
    revoked = licensee_register([dif])
    rotated = licensee_register([dif])
    licensees.licensee_revoke(licensee=revoked.licensee)
    new_token = licensees.token_rotate(licensee=rotated.licensee)
    random_token = "optl_" + "x" * 43

    answers = [
        feed_get(client, token, dif.slug)
        for token in (random_token, revoked.token, rotated.token, "", lab.token[:-1])
    ]
    answers.append(client.get(f"/api/v1/datasets/{dif.slug}/removals/feed"))

    for answer in answers:
        assert answer.status_code == 401
        assert answer["WWW-Authenticate"] == 'Bearer realm="optout"'
        assert answer.json() == {
            "error": "A valid licensee API token is required: Authorization: Bearer <token>."
        }
    assert feed_get(client, new_token, dif.slug).status_code == 200
    assert feed_get(client, lab.token, dif.slug).status_code == 200


def test_a_dataset_the_licensee_does_not_hold_is_a_404_like_one_that_does_not_exist(
    client: Client, dif: Dataset
) -> None:
    DatasetFactory(slug="ffhq")
    lab = licensee_register([dif])

    not_held = feed_get(client, lab.token, "ffhq")
    missing = feed_get(client, lab.token, "no-such-dataset")
    ack = ack_post(client, lab.token, "ffhq", "x")

    assert not_held.status_code == missing.status_code == ack.status_code == 404
    assert not_held.json() == missing.json() == ack.json() == {"error": "No such dataset."}


@pytest.mark.usefixtures("whole_window")
def test_the_feed_and_acknowledgements_are_rate_limited_like_the_other_apis(
    client: Client, dif: Dataset, settings: Settings
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    lab = licensee_register([dif])
    ip = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    url = f"/api/v1/datasets/{dif.slug}/removals/feed"
    headers = {"Authorization": f"Bearer {lab.token}"}

    calls = [client.get(url, headers=headers, REMOTE_ADDR=ip) for _ in range(3)]
    refused = client.post(
        f"/api/v1/datasets/{dif.slug}/acknowledgements",
        {"through": "x"},
        content_type="application/json",
        headers=headers,
        REMOTE_ADDR=ip,
    )

    assert [answer.status_code for answer in calls] == [200, 200, 429]
    assert refused.status_code == 429
    assert "Too many requests" in refused.json()["error"]
    assert refused["Retry-After"]


def test_the_openapi_document_describes_the_feed_and_acknowledgements(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()

    feed = document["paths"]["/api/v1/datasets/{slug}/removals/feed"]["get"]
    acks = document["paths"]["/api/v1/datasets/{slug}/acknowledgements"]["post"]
    assert {p["name"] for p in feed["parameters"]} >= {"slug", "after", "limit"}
    assert feed["security"] == acks["security"] == [{"licenseeToken": []}]
    assert document["components"]["securitySchemes"]["licenseeToken"]["scheme"] == "bearer"
    assert {"200", "400", "401", "404", "429"} <= set(acks["responses"])
