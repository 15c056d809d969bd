"""What one client may ask of the check APIs (/api/v1/check, /api/v2/query/urls/):
items a minute, characters an item, bytes a body, and JSON nested no deeper than
Python can read. Each refusal is JSON that says what to change, never a 500."""

import json
import secrets
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from config.settings import policy
from optout.api import checks
from tests.support.factories import PhotoFactory

pytestmark = pytest.mark.django_db
LINK = "https://live.staticflickr.com/65535/5123456789_abcdef1234_b.jpg"


def random_ip() -> str:
    # The counters live in the cache (Redis in CI) and outlive a test.
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


def check(client: Client, photos: list[str], ip: str = "127.0.0.1") -> Any:
    return client.post(
        reverse("api_check"), {"photos": photos}, content_type="application/json", REMOTE_ADDR=ip
    )


def spawning(client: Client, lines: list[str], ip: str = "127.0.0.1") -> Any:
    return client.post(
        reverse("api_spawning_urls"), "\n".join(lines), content_type="text/plain", REMOTE_ADDR=ip
    )


@pytest.mark.usefixtures("whole_window")
def test_both_check_apis_count_items_against_one_allowance(
    client: Client, settings: Settings
) -> None:
    settings.API_RATE_LIMIT_ITEMS_PER_MINUTE = 5
    ip = random_ip()
    assert check(client, ["1", "2", "3"], ip).status_code == 200
    refused = spawning(client, ["4", "5", "6"], ip)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["retry_after"] == int(refused["Retry-After"])
    assert refused.json()["error"].startswith(
        "Too many items from your address: at most 5 a minute, and this call has 3 "
        "while 2 are left this minute. Try again in "
    )
    # The refused call took nothing: two still fit.
    assert spawning(client, ["4", "5"], ip).status_code == 200
    assert check(client, ["6"], ip).status_code == 429
    assert check(client, ["6"], random_ip()).status_code == 200


@pytest.mark.usefixtures("whole_window")
def test_a_call_bigger_than_a_minutes_allowance_is_told_to_split(
    client: Client, settings: Settings
) -> None:
    settings.API_RATE_LIMIT_ITEMS_PER_MINUTE = 5
    refused = check(client, [str(n) for n in range(1, 7)], random_ip())
    assert refused.status_code == 429
    assert refused.json()["error"] == (
        "This call has 6 items, more than the 5 a minute your address may check: "
        "split it into smaller calls."
    )


def test_the_default_allowance_takes_two_full_calls_a_minute() -> None:
    # tests/settings.py lifts the limits; the defaults are the production settings'.
    assert policy.API_RATE_LIMIT_ITEMS_PER_MINUTE == 2 * checks.MAX_CHECK == 20_000


def test_an_item_longer_than_any_flickr_link_is_unreadable_and_not_parsed(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    PhotoFactory(flickr_id=5123456789)
    padded = "https://www.flickr.com/photos/jdoe/5123456789/?" + "x" * 300
    assert len(padded) > checks.MAX_ITEM_CHARS

    def parse_nothing(**kwargs: object) -> None:
        raise AssertionError("an over-long item reached the parser")

    monkeypatch.setattr(checks.lookup, "query_parse", parse_nothing)
    [result] = check(client, [padded]).json()["results"]
    assert result == {
        "input": padded,
        "error": "Longer than 300 characters: no Flickr photo link is that long.",
    }
    assert spawning(client, [padded]).json()["urls"] == [
        {"url": padded, "optOut": False, "optIn": False}
    ]


def test_an_item_of_exactly_the_longest_length_is_still_read(client: Client) -> None:
    PhotoFactory(flickr_id=5123456789)
    link = "https://www.flickr.com/photos/jdoe/5123456789/?"
    link += "x" * (checks.MAX_ITEM_CHARS - len(link))
    [result] = check(client, [link]).json()["results"]
    assert result["photo_id"] == 5123456789


def test_a_body_over_the_check_apis_limit_is_a_413_that_says_the_limit(
    client: Client, settings: Settings
) -> None:
    settings.API_CHECK_MAX_BODY_BYTES = 1000
    lines = [LINK] * 20
    too_big = spawning(client, lines)
    assert too_big.status_code == 413
    assert too_big.json()["error"] == (
        f"The body is {len(chr(10).join(lines)):,} bytes; these APIs take at most 1,000 bytes "
        "a call. Send fewer photos per call."
    )
    as_json = check(client, lines)
    assert as_json.status_code == 413
    assert "these APIs take at most 1,000 bytes" in as_json.json()["error"]
    assert spawning(client, lines[:10]).status_code == 200


def test_the_body_limit_is_below_djangos_and_fits_ten_thousand_links(
    client: Client, settings: Settings
) -> None:
    assert settings.API_CHECK_MAX_BODY_BYTES == 1_048_576
    assert settings.API_CHECK_MAX_BODY_BYTES < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert spawning(client, [LINK] * 10_000).status_code == 200
    two_megabytes = ["https://www.flickr.com/photos/jdoe/5123456789/?" + "x" * 200] * 10_000
    assert check(client, two_megabytes).status_code == 413


def test_deeply_nested_json_is_a_400_that_says_so(client: Client) -> None:
    response = client.post(reverse("api_check"), "[" * 200_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == (
        'The JSON is nested too deeply. Send a JSON body like {"photos": ["5123456789"]}.'
    )


def test_json_nested_a_little_is_still_read_and_refused_for_its_shape(client: Client) -> None:
    response = client.post(
        reverse("api_check"), json.dumps({"photos": [[["1"]]]}), content_type="application/json"
    )
    assert response.status_code == 400
    assert '"photos" must be a list' in response.json()["error"]
