"""Secret links (optout/secret_links.py and createmaintainer's set-password link): each one
opens one thing, expires where it should, and a wrong one tells nothing a missing
one would not."""

import hmac
import io
import re
import secrets
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from pytest_django.fixtures import Settings

from optout import secret_links
from optout.models import RemovalRequest, RequestLink
from optout.requests import confirmation
from tests.support.factories import PhotoFactory, RemovalRequestFactory

pytestmark = pytest.mark.django_db
S = RemovalRequest.Status
STATUS, CONFIRM = RequestLink.Purpose.STATUS, RequestLink.Purpose.CONFIRM


@pytest.fixture
def removal() -> RemovalRequest:
    return RemovalRequestFactory(email_confirmed_at=None, photos=[PhotoFactory()])


def status_paths(token: str) -> list[tuple[str, str]]:
    return [
        ("get", reverse("request_status", args=[token])),
        ("get", reverse("request_receipt", args=[token])),
        ("post", reverse("request_cancel", args=[token])),
    ]


def answer(client: Client, method: str, path: str) -> tuple[int, bytes]:
    response = getattr(client, method)(path)
    return response.status_code, response.content


def test_a_status_link_opens_only_the_status_pages(client: Client, removal: RemovalRequest) -> None:
    token = secret_links.link_mint(removal=removal, purpose=STATUS)
    assert client.get(reverse("request_status", args=[token])).status_code == 200
    for method in ("get", "post"):
        refused = getattr(client, method)(reverse("email_confirm", args=[token]))
        assert refused.status_code == 404
    removal.refresh_from_db()
    assert removal.email_confirmed_at is None


def test_a_confirmation_link_opens_no_status_page(client: Client, removal: RemovalRequest) -> None:
    token = secret_links.link_mint(removal=removal, purpose=CONFIRM)
    for method, path in status_paths(token):
        assert answer(client, method, path)[0] == 404
    removal.refresh_from_db()
    assert removal.status == S.VERIFIED  # the cancel was not taken


@pytest.mark.parametrize(
    "wrong",
    [
        "x" * 32,
        # A well-formed token nobody minted (fixed, so parallel test runners agree).
        "XHpdgjRYmclQPNUbWzSxY1F6khtA1B2s",
        "y" * 65,  # longer than any token we mint
        "%00",
        "a" * 2000,
    ],
)
def test_a_wrong_status_link_gets_the_same_404_as_a_missing_request(
    client: Client, removal: RemovalRequest, wrong: str
) -> None:
    token = secret_links.link_mint(removal=removal, purpose=STATUS)
    missing = secrets.token_urlsafe(24)
    near_miss = token[:-1] + ("A" if token[-1] != "A" else "B")
    for method, path in status_paths(missing):
        expected = answer(client, method, path)
        assert expected[0] == 404
        for other in (wrong, near_miss):
            other_path = path.replace(missing, other)
            assert answer(client, method, other_path) == expected, other_path


def test_a_used_expired_or_wrong_confirmation_link_all_look_the_same(
    client: Client, removal: RemovalRequest
) -> None:
    used = secret_links.link_mint(removal=removal, purpose=CONFIRM)
    expired = secret_links.link_mint(removal=removal, purpose=CONFIRM)
    RequestLink.objects.filter(token_hash=secret_links.token_hash(expired)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.post(reverse("email_confirm", args=[used])).status_code == 200
    answers = {
        answer(client, method, reverse("email_confirm", args=[token]))
        for token in (used, expired, secrets.token_urlsafe(24), "z" * 80)
        for method in ("get", "post")
    }
    assert len(answers) == 1
    status, page = answers.pop()
    assert status == 404
    assert b"This confirmation link does not work" in page


def test_confirming_kills_every_other_confirmation_link_of_the_request(
    client: Client, removal: RemovalRequest
) -> None:
    first = secret_links.link_mint(removal=removal, purpose=CONFIRM)
    reminder = secret_links.link_mint(removal=removal, purpose=CONFIRM)
    confirmation.email_confirm(token=reminder)
    assert client.post(reverse("email_confirm", args=[first])).status_code == 404


def test_a_confirmation_link_lives_seven_days_and_a_status_link_as_long_as_the_request(
    removal: RemovalRequest,
) -> None:
    secret_links.link_mint(removal=removal, purpose=CONFIRM)
    secret_links.link_mint(removal=removal, purpose=STATUS)
    confirm = RequestLink.objects.get(purpose=CONFIRM)
    status = RequestLink.objects.get(purpose=STATUS)
    assert confirm.expires_at is not None
    lifetime = confirm.expires_at - confirm.created_at
    assert timedelta(days=7) - timedelta(minutes=1) < lifetime <= timedelta(days=7)
    assert status.expires_at is None


def test_a_link_is_found_by_its_hash_and_compared_in_constant_time(
    removal: RemovalRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(secret_links.hmac, "compare_digest", spy)
    token = secret_links.link_mint(removal=removal, purpose=STATUS)
    assert secret_links.link_find(token=token, purpose=STATUS).request == removal
    assert compared == [(secret_links.token_hash(token), secret_links.token_hash(token))]
    with pytest.raises(secret_links.LinkInvalid):
        secret_links.link_find(token=token, purpose=CONFIRM)


def test_tokens_are_long_random_and_never_stored(removal: RemovalRequest) -> None:
    tokens = {secret_links.link_mint(removal=removal, purpose=STATUS) for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(token) >= 32 for token in tokens)  # 192 bits of base64
    stored = set(RequestLink.objects.values_list("token_hash", flat=True))
    assert not tokens & stored


def test_the_status_page_is_never_cached_nor_leaked_in_a_referer(
    client: Client, removal: RemovalRequest
) -> None:
    token = secret_links.link_mint(removal=removal, purpose=STATUS)
    response = client.get(reverse("request_status", args=[token]))
    assert "no-store" in response["Cache-Control"]
    # Thumbnails come from Flickr's host: the browser must not send it this address.
    assert response["Referrer-Policy"] == "same-origin"


# The maintainer's set-password link (createmaintainer)


def set_password_link(email: str) -> str:
    out = io.StringIO()
    call_command("createmaintainer", email, stdout=out)
    found = re.search(r"http://testserver(/admin/set-password/(\S+)/(\S+)/)", out.getvalue())
    assert found, out.getvalue()
    return found.group(1)


def set_password_page(client: Client, path: str) -> tuple[int, bool]:
    response = client.get(path, follow=True)
    return response.status_code, b"new_password1" in response.content


def test_a_set_password_link_is_for_one_maintainer_only(client: Client) -> None:
    nora = set_password_link("nora@example.org")
    mia = set_password_link("mia@example.org")
    nora_uid, nora_token = nora.strip("/").split("/")[2:4]
    mia_uid = mia.strip("/").split("/")[2]
    swapped = reverse("admin:maintainer_set_password", args=[mia_uid, nora_token])
    assert set_password_page(client, swapped) == (200, False)
    assert set_password_page(Client(), nora) == (200, True)
    assert nora_uid != mia_uid


def heading(page: bytes) -> bytes:
    found = re.search(rb"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert found, page
    return found.group(1)


def test_a_wrong_set_password_link_looks_like_a_used_or_expired_one(
    client: Client, settings: Settings
) -> None:
    path = set_password_link("nora@example.org")
    uid, token = path.strip("/").split("/")[2:4]
    user = User.objects.get(username="nora@example.org")
    user.set_password("a long queue passphrase")
    user.save()  # a new password hash: the link is used up
    used = client.get(path, follow=True)
    wrong = client.get(
        reverse("admin:maintainer_set_password", args=[uid, token[:-2] + "zz"]), follow=True
    )
    no_user = client.get(
        reverse("admin:maintainer_set_password", args=["OTk5OTk", token]), follow=True
    )
    fresh = set_password_link("late@example.org")
    settings.PASSWORD_RESET_TIMEOUT = -1
    expired = client.get(fresh, follow=True)
    pages = [used, wrong, no_user, expired]
    assert {page.status_code for page in pages} == {200}
    assert all(b"new_password1" not in page.content for page in pages)
    # The same words whatever went wrong (the page names nobody).
    headings = {heading(page.content) for page in pages}
    assert len(headings) == 1


def test_a_status_token_is_no_set_password_token(client: Client, removal: RemovalRequest) -> None:
    set_password_link("nora@example.org")
    user = User.objects.get(username="nora@example.org")
    token = secret_links.link_mint(removal=removal, purpose=STATUS)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("admin:maintainer_set_password", args=[uid, token])
    assert set_password_page(client, path) == (200, False)
