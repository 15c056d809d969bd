"""Rate limits per client IP (optout/infra/ratelimit.py) on the look-up, sign-in, forms and API.

Counters live in the cache (Redis in CI) and outlive a test, so every test
comes from its own random addresses.
"""

import secrets
import time

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client, RequestFactory
from django.urls import reverse
from pytest_django.fixtures import Settings

from optout.infra.ratelimit import client_ip
from tests.support.factories import DatasetFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("whole_window")]


def random_ip() -> str:
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


def test_a_lookup_over_the_limit_gets_a_page_that_says_when_to_come_back(
    client: Client, settings: Settings
) -> None:
    settings.RATE_LIMIT_LOOKUP_PER_MINUTE = 2
    ip = random_ip()
    for _ in range(2):
        assert client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=ip).status_code != 429
    refused = client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=ip)
    assert refused.status_code == 429
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 60
    page = refused.content.decode()
    assert "Too many requests from your address" in page
    assert "at most 2 a minute" in page
    assert f"Try again in {retry_after} s" in page
    assert "no-store" in refused["Cache-Control"]


def test_a_json_lookup_over_the_limit_gets_json(client: Client, settings: Settings) -> None:
    settings.RATE_LIMIT_LOOKUP_PER_MINUTE = 1
    ip = random_ip()
    client.get("/", {"q": "12345678@N01", "format": "json"}, REMOTE_ADDR=ip)
    refused = client.get("/", {"q": "12345678@N01", "format": "json"}, REMOTE_ADDR=ip)
    assert refused.status_code == 429
    body = refused.json()
    assert body["retry_after"] == int(refused["Retry-After"])
    assert "at most 1 a minute" in body["error"]


def test_the_home_page_itself_is_never_counted(client: Client, settings: Settings) -> None:
    settings.RATE_LIMIT_LOOKUP_PER_MINUTE = 1
    ip = random_ip()
    for _ in range(3):
        assert client.get("/", REMOTE_ADDR=ip).status_code == 200
    assert client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=ip).status_code != 429


def test_starting_a_flickr_sign_in_is_limited_but_the_page_is_not(
    client: Client, settings: Settings
) -> None:
    settings.RATE_LIMIT_SIGNIN_PER_MINUTE = 1
    ip = random_ip()
    url = reverse("flickr_signin")
    client.post(url, REMOTE_ADDR=ip)
    assert client.post(url, REMOTE_ADDR=ip).status_code == 429
    assert client.get(url, REMOTE_ADDR=ip).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        reverse("my_photos"),
        reverse("report"),
        reverse("email_confirm", args=["a-guessed-token"]),
        reverse("request_cancel", args=["a-guessed-token"]),
    ],
)
def test_public_forms_share_one_limit(client: Client, settings: Settings, path: str) -> None:
    settings.RATE_LIMIT_FORMS_PER_MINUTE = 2
    ip = random_ip()
    for _ in range(2):
        assert client.post(path, REMOTE_ADDR=ip).status_code != 429
    refused = client.post(path, REMOTE_ADDR=ip)
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    # Another address is not held back by this one.
    assert client.post(path, REMOTE_ADDR=random_ip()).status_code != 429


def test_guessing_confirmation_links_runs_into_the_limit(
    client: Client, settings: Settings
) -> None:
    settings.RATE_LIMIT_FORMS_PER_MINUTE = 3
    ip = random_ip()
    answers = [
        client.post(reverse("email_confirm", args=[secrets.token_urlsafe(24)]), REMOTE_ADDR=ip)
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [404, 404, 404, 429, 429]


def test_both_check_apis_count_against_one_limit_and_answer_json(
    client: Client, settings: Settings
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    DatasetFactory()
    ip = random_ip()
    assert client.post("/api/v2/query/urls/", "1", "text/plain", REMOTE_ADDR=ip).status_code == 200
    refused = client.post(
        reverse("api_check"), {"photos": ["1"]}, "application/json", REMOTE_ADDR=ip
    )
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert "at most 1 a minute" in refused.json()["error"]


def test_a_forged_forwarded_for_is_ignored_without_a_trusted_proxy(
    client: Client, settings: Settings
) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    settings.RATE_LIMIT_LOOKUP_PER_MINUTE = 1
    ip = random_ip()
    client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=ip, HTTP_X_FORWARDED_FOR=random_ip())
    refused = client.get(
        "/", {"q": "12345678@N01"}, REMOTE_ADDR=ip, HTTP_X_FORWARDED_FOR=random_ip()
    )
    assert refused.status_code == 429


def test_behind_one_trusted_proxy_each_client_has_its_own_count(
    client: Client, settings: Settings
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATE_LIMIT_LOOKUP_PER_MINUTE = 1
    proxy, alice, bob = random_ip(), random_ip(), random_ip()
    # What Alice writes herself comes first; the proxy appends the address it saw.
    forged_by_alice = f"{random_ip()}, {alice}"
    client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forged_by_alice)
    again = client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=alice)
    assert again.status_code == 429
    other = client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=bob)
    assert other.status_code != 429


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "192.0.2.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),
        (2, "198.51.100.7, 203.0.113.9", "198.51.100.7"),
        (2, "203.0.113.9", "192.0.2.1"),  # fewer hops than proxies: not as configured
        (1, "not-an-address", "192.0.2.1"),
        (1, "", "192.0.2.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_it_reads_the_client_address_as_the_trusted_proxies_saw_it(
    settings: Settings, proxies: int, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_one_ipv6_host_cannot_dodge_the_limit_by_changing_its_address(
    client: Client, settings: Settings
) -> None:
    settings.RATE_LIMIT_LOOKUP_PER_MINUTE = 1
    prefix = f"2001:db8:{secrets.randbelow(65535):x}:{secrets.randbelow(65535):x}"
    client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=f"{prefix}::1")
    refused = client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=f"{prefix}::2")
    assert refused.status_code == 429


def test_with_the_cache_down_requests_go_through(client: Client, settings: Settings) -> None:
    settings.RATE_LIMIT_LOOKUP_PER_MINUTE = 0
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    response = client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=random_ip())
    assert response.status_code != 429


def test_a_counter_on_redis_expires_so_a_refused_client_is_let_in_again(
    client: Client, settings: Settings
) -> None:
    if not isinstance(caches["default"], RedisCache):
        pytest.skip("the cache is not Redis in this run")
    settings.RATE_LIMIT_LOOKUP_PER_MINUTE = 1
    for _ in range(3):  # again if the minute turned between the two look-ups
        ip, window = random_ip(), int(time.time() // 60)
        client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=ip)
        refused = client.get("/", {"q": "12345678@N01"}, REMOTE_ADDR=ip)
        if int(time.time() // 60) == window:
            break
    assert refused.status_code == 429
    # Counted where Django's cache reads it, and gone within the window and its grace.
    key = f"rate:lookup:{ip}:{window}"
    assert cache.get(key) == 2
    redis = caches["default"]._cache.get_client(write=True)
    assert 0 < redis.ttl(caches["default"].make_and_validate_key(key)) <= 90
