"""Guessing a maintainer's password: the admin login counts failures per address and
per username, and past the limit says when to come back, without checking the password.

Counters live in the cache (Redis in CI) and outlive a test, so every test comes
from its own random addresses and usernames.
"""

import math
import re
import secrets
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from optout.admin.group import maintainers_group_ensure

pytestmark = pytest.mark.django_db
LOGIN = reverse("admin:login")
PASSWORD = "the right queue passphrase"


def random_ip() -> str:
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


@pytest.fixture
def maintainer() -> User:
    email = f"mia-{secrets.token_hex(4)}@example.org"
    user = User.objects.create_user(email, email, PASSWORD, is_staff=True)
    user.groups.add(maintainers_group_ensure())
    return user


@pytest.fixture
def limits(settings: Settings) -> Settings:
    settings.ADMIN_LOGIN_FAILURES_PER_USERNAME = 3
    settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS = 5
    settings.ADMIN_LOGIN_LOCKOUT_SECONDS = 900
    return settings


def log_in(client: Client, username: str, password: str, ip: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_after_three_wrong_passwords_even_the_right_one_waits_and_the_page_says_until_when(
    client: Client, maintainer: User, limits: Settings
) -> None:
    ip = random_ip()
    for _ in range(3):
        wrong = log_in(client, maintainer.username, "guess", ip)
        assert wrong.status_code == 200
        assert "Please enter the correct username and password" in wrong.content.decode()
    locked = log_in(client, maintainer.username, PASSWORD, ip)
    assert locked.status_code == 429
    page = locked.content.decode()
    said = re.search(
        r"Too many failed logins\. Try again in (\d+) minutes? \(at (\d\d:\d\d) UTC\)", page
    )
    assert said, page
    # Locked until a quarter of an hour after the last failure.
    assert 0 < int(locked["Retry-After"]) <= 900
    assert int(said[1]) == math.ceil(int(locked["Retry-After"]) / 60)
    assert "_auth_user_id" not in client.session


def test_a_username_under_attack_is_locked_from_every_address(
    client: Client, maintainer: User, limits: Settings
) -> None:
    for _ in range(3):
        log_in(client, maintainer.username, "guess", random_ip())
    assert log_in(client, maintainer.username, PASSWORD, random_ip()).status_code == 429
    # Other maintainers still get in.
    other = User.objects.create_user("noa@example.org", "noa@example.org", "pw-2", is_staff=True)
    other.groups.add(maintainers_group_ensure())
    assert log_in(client, other.username, "pw-2", random_ip()).status_code == 302


def test_one_address_trying_many_usernames_is_locked(
    client: Client, maintainer: User, limits: Settings
) -> None:
    ip = random_ip()
    for n in range(5):
        assert log_in(client, f"nobody-{n}@example.org", "guess", ip).status_code == 200
    assert log_in(client, maintainer.username, PASSWORD, ip).status_code == 429
    assert log_in(client, maintainer.username, PASSWORD, random_ip()).status_code == 302


def test_a_locked_login_does_not_check_the_password(
    client: Client, maintainer: User, limits: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ip = random_ip()
    for _ in range(3):
        log_in(client, maintainer.username, "guess", ip)

    def no_hashing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a locked login reached the password check")

    monkeypatch.setattr("django.contrib.auth.forms.authenticate", no_hashing)
    assert log_in(client, maintainer.username, "guess", ip).status_code == 429


def test_a_maintainer_who_mistypes_once_or_twice_still_gets_in(
    client: Client, maintainer: User, limits: Settings
) -> None:
    ip = random_ip()
    log_in(client, maintainer.username, "typo", ip)
    log_in(client, maintainer.username.upper(), "typo", ip)
    assert log_in(client, maintainer.username, PASSWORD, ip).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_username_is_counted_whatever_its_case(
    client: Client, maintainer: User, limits: Settings
) -> None:
    for username in (maintainer.username, maintainer.username.upper(), f" {maintainer.username}"):
        log_in(client, username, "guess", random_ip())
    assert log_in(client, maintainer.username, PASSWORD, random_ip()).status_code == 429


def test_the_defaults_let_a_maintainer_mistype_but_not_an_attacker_guess(
    settings: Settings,
) -> None:
    assert settings.ADMIN_LOGIN_FAILURES_PER_USERNAME == 5
    assert settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS == 20
    assert settings.ADMIN_LOGIN_LOCKOUT_SECONDS == 900
