"""Sign in with Flickr, end to end: our views ⇄ the Flickr simulator, redirects followed by hand."""

import io
import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from devtools.flickr_simulator import FlickrSimulator, unused_port
from tests.support.flickr import ANA, BEES, on_flickr, sign_in, start

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_says_what_we_ask_flickr_for(client: Client) -> None:
    response = client.get(reverse("flickr_signin"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sign in with Flickr" in page
    assert (
        "read access, only to confirm the account is yours; nothing is posted, "
        "and no Flickr token is kept"
    ) in page


def test_it_asks_flickr_for_read_access_only(
    client: Client, flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    authorize_url = start(client)
    assert authorize_url.startswith(f"{settings.FLICKR_OAUTH_URL}/authorize?")
    assert "perms=read" in authorize_url


def test_it_signs_an_owner_in_and_keeps_only_who_they_are(
    client: Client, flickr_sim: FlickrSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    authorize_url = start(client)
    request_token_secret = client.session["flickr_signin_pending"]["oauth_token_secret"]
    callback = on_flickr(authorize_url, approve_as=BEES.nsid)
    response = client.get(callback)

    assert response.status_code == 302
    assert response["Location"] == reverse("my_photos")
    identity = client.session["flickr_identity"]
    assert identity["nsid"] == "12345678@N01"  # Flickr sent it as 12345678%40N01
    assert identity["username"] == "bees"
    assert identity["fullname"] == "Bea Bees"
    assert identity["verified_at"]
    assert "flickr_signin_pending" not in client.session

    # The access token Flickr issued is nowhere: not in any session, the database or the logs.
    [(access_token, issued)] = flickr_sim.validator.access_tokens.items()
    secrets_ = [access_token, issued.secret, request_token_secret]
    sessions = json.dumps([s.get_decoded() for s in Session.objects.all()])
    database = io.StringIO()
    call_command("dumpdata", stdout=database)
    for secret in secrets_:
        assert secret not in sessions
        assert secret not in database.getvalue()
        assert secret not in caplog.text
    assert "oauth_token_secret" not in sessions
    assert parse_qs(urlsplit(callback).query)["oauth_token"][0] not in sessions


def test_it_keeps_an_empty_full_name_empty(client: Client, flickr_sim: FlickrSimulator) -> None:
    sign_in(client, as_user=ANA.nsid)
    assert client.session["flickr_identity"]["nsid"] == ANA.nsid
    assert client.session["flickr_identity"]["username"] == "Ana Lyst"
    assert client.session["flickr_identity"]["fullname"] == ""


def test_it_gives_the_session_a_new_key_on_sign_in(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    authorize_url = start(client)
    key_before = client.session.session_key
    client.get(on_flickr(authorize_url, approve_as=BEES.nsid))
    assert client.session.session_key != key_before
    assert not Session.objects.filter(session_key=key_before).exists()


def test_it_returns_to_the_page_the_sign_in_started_from(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    _, response = sign_in(client, next="/?q=bees")
    assert response["Location"] == "/?q=bees"


def test_it_ignores_a_next_page_on_another_site(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    _, response = sign_in(client, next="https://evil.example/steal")
    assert response["Location"] == reverse("my_photos")


def test_the_callback_url_carries_no_escapes_even_with_a_next_page(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    callback = on_flickr(start(client, next="/?q=a b/c"), approve_as=BEES.nsid)
    assert callback.startswith("http://testserver/signin/flickr/callback/?oauth_token=")
    assert "q=" not in callback


def test_it_goes_on_to_your_photos_by_default(client: Client, flickr_sim: FlickrSimulator) -> None:
    _, response = sign_in(client)
    assert response["Location"] == "/me/photos/"


def test_the_sign_in_page_says_who_is_signed_in(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    sign_in(client)
    page = client.get(reverse("flickr_signin")).content.decode()
    assert "You are signed in as <strong>bees</strong> (Bea Bees)" in page


# -- failure paths: a clear page, a 4xx/5xx, and nothing half-written ---------------
def assert_signed_out(client: Client) -> None:
    assert "flickr_identity" not in client.session
    assert "flickr_signin_pending" not in client.session


def test_it_says_so_when_the_owner_cancels_on_flickr(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    callback = on_flickr(start(client, next="/?q=bees"), action="cancel")
    assert "oauth_verifier" not in callback
    response = client.get(callback)
    assert response.status_code == 400
    page = response.content.decode()
    assert "You cancelled the sign-in" in page
    assert "Sign in with Flickr again" in page
    assert '<input type="hidden" name="next" value="/?q=bees">' in page
    assert_signed_out(client)


def test_it_rejects_a_callback_with_a_foreign_token(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    start(client)
    someone_else = Client()
    their_callback = on_flickr(start(someone_else), approve_as=ANA.nsid)
    response = client.get(their_callback)
    assert response.status_code == 400
    assert "This sign-in link is not yours" in response.content.decode()
    assert_signed_out(client)


def test_it_rejects_a_replayed_callback(client: Client, flickr_sim: FlickrSimulator) -> None:
    callback, _ = sign_in(client)
    identity = client.session["flickr_identity"]
    response = client.get(callback)
    assert response.status_code == 400
    assert "This sign-in link was already used" in response.content.decode()
    assert client.session["flickr_identity"] == identity


def test_flickr_refuses_a_verifier_used_twice_from_a_copied_session(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    # Someone holding a copy of the session as it was mid-sign-in comes second:
    # our side would let them through, so it is Flickr's single-use verifier that stops them.
    authorize_url = start(client)
    copy = SessionStore()
    copy["flickr_signin_pending"] = client.session["flickr_signin_pending"]
    copy.create()
    assert copy.session_key is not None
    thief = Client()
    thief.cookies["sessionid"] = copy.session_key
    callback = on_flickr(authorize_url, approve_as=BEES.nsid)
    assert client.get(callback).status_code == 302

    response = thief.get(callback)
    assert response.status_code == 502
    assert "Flickr did not confirm this sign-in" in response.content.decode()
    assert_signed_out(thief)


def test_it_says_the_sign_in_expired_when_the_session_has_no_request_token(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    callback = on_flickr(start(Client()), approve_as=BEES.nsid)
    response = client.get(callback)
    assert response.status_code == 400
    assert "Your sign-in expired" in response.content.decode()
    assert_signed_out(client)


def test_it_says_flickr_cannot_be_reached_when_it_is_down(
    client: Client, flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.FLICKR_OAUTH_URL = f"http://127.0.0.1:{unused_port()}/services/oauth"
    response = client.post(reverse("flickr_signin"))
    assert response.status_code == 503
    assert "We could not reach Flickr" in response.content.decode()
    assert_signed_out(client)


def test_it_says_flickr_is_in_trouble_when_the_request_token_fails(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    flickr_sim.fail_next("500", path="/services/oauth/request_token")
    response = client.post(reverse("flickr_signin"))
    assert response.status_code == 503
    assert "Flickr is having trouble right now" in response.content.decode()
    assert_signed_out(client)


def test_it_gives_up_when_flickr_is_slow_to_confirm_the_sign_in(
    client: Client, flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    authorize_url = start(client)
    callback = on_flickr(authorize_url, approve_as=BEES.nsid)
    settings.FLICKR_TIMEOUT = 0.2
    flickr_sim.fail_next("timeout", path="/services/oauth/access_token")
    response = client.get(callback)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "Flickr did not answer within" in response.content.decode()
    assert_signed_out(client)


def test_it_says_flickr_refused_us_when_our_secret_is_wrong(
    client: Client, flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.FLICKR_API_SECRET = "not-the-secret-flickr-knows"
    response = client.post(reverse("flickr_signin"))
    assert response.status_code == 502
    assert "Flickr refused to start the sign-in" in response.content.decode()
    assert_signed_out(client)


def test_it_says_sign_in_is_not_set_up_without_an_api_key(
    client: Client, settings: Settings
) -> None:
    settings.FLICKR_API_KEY = ""
    response = client.post(reverse("flickr_signin"))
    assert response.status_code == 503
    assert "Signing in with Flickr is not set up" in response.content.decode()


def test_the_callback_refuses_head_requests_that_would_use_up_the_sign_in(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    callback = on_flickr(start(client), approve_as=BEES.nsid)
    assert client.head(callback).status_code == 405
    assert client.get(callback).status_code == 302
