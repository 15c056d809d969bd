"""The Flickr simulator checks OAuth for real, and answers like Flickr does.

If these checks were fake, the sign-in tests would prove nothing.
"""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth1Session
from django.core.management import CommandError, call_command
from oauthlib.oauth1 import Client as OAuthlibClient
from pytest_django.fixtures import Settings

from devtools.flickr_simulator import (
    FlickrSimulator,
    PhotoTableDirectory,
    RunningSimulator,
)
from tests.support.factories import PhotoFactory
from tests.support.flickr import ANA, BEES

CALLBACK = "http://testserver/signin/flickr/callback/"


def oauth_url(settings: Settings, name: str) -> str:
    return f"{settings.FLICKR_OAUTH_URL}/{name}"


def request_token(sim: FlickrSimulator, settings: Settings) -> dict[str, str]:
    session = OAuth1Session(sim.api_key, sim.api_secret, redirect_uri=CALLBACK)
    return session.fetch_request_token(oauth_url(settings, "request_token"))


def approve(settings: Settings, token: str, **form: str) -> requests.Response:
    return requests.get(
        oauth_url(settings, "authorize"),
        params={"oauth_token": token, "perms": "read", **form},
        allow_redirects=False,
        timeout=5,
    )


def verifier_for(settings: Settings, token: str, nsid: str = BEES.nsid) -> str:
    location = approve(settings, token, approve_as=nsid).headers["Location"]
    return parse_qs(urlsplit(location).query)["oauth_verifier"][0]


def exchange(sim: FlickrSimulator, settings: Settings, token: dict[str, str], verifier: str) -> str:
    session = OAuth1Session(
        sim.api_key,
        sim.api_secret,
        token=token["oauth_token"],
        token_secret=token["oauth_token_secret"],
        verifier=verifier,
    )
    response = session.post(oauth_url(settings, "access_token"), timeout=5)
    return f"{response.status_code} {response.text}"


# -- OAuth checks ----------------------------------------------------------------------
def test_it_refuses_a_request_signed_with_the_wrong_secret(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    session = OAuth1Session(flickr_sim.api_key, "wrong-secret", redirect_uri=CALLBACK)
    with pytest.raises(OAuthError, match="401"):
        session.fetch_request_token(oauth_url(settings, "request_token"))
    assert flickr_sim.validator.request_tokens == {}


def test_it_refuses_an_unknown_api_key(flickr_sim: FlickrSimulator, settings: Settings) -> None:
    session = OAuth1Session("b" * 32, flickr_sim.api_secret, redirect_uri=CALLBACK)
    with pytest.raises(OAuthError, match="401"):
        session.fetch_request_token(oauth_url(settings, "request_token"))


def test_it_refuses_a_request_without_a_callback(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    session = OAuth1Session(flickr_sim.api_key, flickr_sim.api_secret)
    with pytest.raises(OAuthError, match="400"):
        session.fetch_request_token(oauth_url(settings, "request_token"))


def test_it_refuses_a_nonce_used_twice(flickr_sim: FlickrSimulator, settings: Settings) -> None:
    url = oauth_url(settings, "request_token")
    client = OAuthlibClient(flickr_sim.api_key, flickr_sim.api_secret, callback_uri=CALLBACK)
    _, headers, _ = client.sign(url, http_method="POST")
    first = requests.post(url, headers=headers, timeout=5)
    second = requests.post(url, headers=headers, timeout=5)
    assert first.status_code == 200
    assert second.status_code == 401


def test_it_refuses_an_old_timestamp(flickr_sim: FlickrSimulator, settings: Settings) -> None:
    url = oauth_url(settings, "request_token")
    client = OAuthlibClient(
        flickr_sim.api_key,
        flickr_sim.api_secret,
        callback_uri=CALLBACK,
        timestamp=str(int(time.time()) - 3600),
    )
    _, headers, _ = client.sign(url, http_method="POST")
    response = requests.post(url, headers=headers, timeout=5)
    assert response.status_code == 400
    assert "Timestamp" in parse_qs(response.text)["error_description"][0]


def test_it_answers_the_access_token_like_flickr(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    token = request_token(flickr_sim, settings)
    answer = exchange(flickr_sim, settings, token, verifier_for(settings, token["oauth_token"]))
    status, body = answer.split(" ", 1)
    assert status == "200"
    assert [pair.split("=")[0] for pair in body.split("&")] == [
        "fullname",
        "oauth_token",
        "oauth_token_secret",
        "user_nsid",
        "username",
    ]
    assert "fullname=Bea+Bees" in body
    assert "user_nsid=12345678%40N01" in body


def test_a_verifier_works_only_once(flickr_sim: FlickrSimulator, settings: Settings) -> None:
    token = request_token(flickr_sim, settings)
    verifier = verifier_for(settings, token["oauth_token"])
    assert exchange(flickr_sim, settings, token, verifier).startswith("200 ")
    assert exchange(flickr_sim, settings, token, verifier).startswith("401 ")


def test_it_refuses_a_wrong_verifier(flickr_sim: FlickrSimulator, settings: Settings) -> None:
    token = request_token(flickr_sim, settings)
    verifier_for(settings, token["oauth_token"])
    assert exchange(flickr_sim, settings, token, "x" * 30).startswith("401 ")


def test_it_refuses_a_token_exchange_signed_without_the_token_secret(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    token = request_token(flickr_sim, settings)
    verifier = verifier_for(settings, token["oauth_token"])
    forged = {**token, "oauth_token_secret": "guessed"}
    assert exchange(flickr_sim, settings, forged, verifier).startswith("401 ")


# -- the authorize page ---------------------------------------------------------------
def test_the_authorize_page_offers_the_accounts_and_both_buttons(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    page = approve(settings, request_token(flickr_sim, settings)["oauth_token"]).text
    assert 'value="12345678@N01"' in page
    assert "bees (Bea Bees)" in page
    assert '<label for="username">Type a Flickr username or NSID</label>' in page
    assert "checked" not in page  # nobody is signed in by default
    assert "OK, I&#x27;ll authorize it" in page or "OK, I'll authorize it" in page
    assert ">Cancel</button>" in page


def test_a_typed_username_wins_over_a_picked_account(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    token = request_token(flickr_sim, settings)["oauth_token"]
    response = approve(settings, token, account=BEES.nsid, username=ANA.username)
    assert response.status_code == 302
    pending = flickr_sim.validator.request_tokens[token]
    assert pending.account is not None
    assert pending.account.nsid == ANA.nsid


def test_cancel_goes_back_to_the_callback_without_a_verifier(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    token = request_token(flickr_sim, settings)["oauth_token"]
    response = approve(settings, token, action="cancel")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{CALLBACK}?oauth_token={token}"
    # And the request token cannot be approved afterwards.
    assert approve(settings, token, approve_as=BEES.nsid).status_code == 400


def test_a_typed_username_signs_in_as_that_account(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    token = request_token(flickr_sim, settings)
    location = approve(settings, token["oauth_token"], username="somebody new").headers["Location"]
    verifier = parse_qs(urlsplit(location).query)["oauth_verifier"][0]
    body = exchange(flickr_sim, settings, token, verifier)
    assert "username=somebody+new" in body
    assert "user_nsid=" in body


def test_the_authorize_page_refuses_an_unknown_token(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    response = approve(settings, "n" * 30, approve_as=BEES.nsid)
    assert response.status_code == 400
    assert "not valid or has expired" in response.text


# -- REST shapes ---------------------------------------------------------------------
def rest(settings: Settings, **params: str) -> requests.Response:
    return requests.get(
        settings.FLICKR_API_URL,
        params={"format": "json", "nojsoncallback": "1", **params},
        timeout=5,
    )


def test_rest_refuses_a_wrong_api_key_in_flickrs_shape(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    response = rest(settings, method="flickr.photos.getInfo", photo_id="1", api_key="c" * 32)
    assert response.status_code == 200
    assert response.json() == {
        "stat": "fail",
        "code": 100,
        "message": "Invalid API Key (Key not found)",
    }


def test_rest_says_which_method_it_does_not_know(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    response = rest(settings, method="flickr.photos.delete", api_key=flickr_sim.api_key)
    assert response.json()["code"] == 112


def test_rest_wraps_json_in_a_callback_unless_asked_not_to(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    response = rest(
        settings, method="flickr.photos.getInfo", photo_id="1", api_key=flickr_sim.api_key
    )
    assert response.text.startswith("{")
    wrapped = requests.get(
        settings.FLICKR_API_URL,
        params={"format": "json", "method": "flickr.photos.getInfo", "api_key": "x"},
        timeout=5,
    )
    assert wrapped.text.startswith("jsonFlickrApi({")


def test_it_refuses_an_unknown_fault(flickr_sim: FlickrSimulator) -> None:
    with pytest.raises(ValueError, match="Unknown fault 'explode'"):
        flickr_sim.fail_next("explode")


# -- run as a process, from our own Photo table ---------------------------------------
@pytest.mark.django_db(transaction=True)
def test_it_serves_the_owners_and_photos_of_the_photo_table(settings: Settings) -> None:
    photo = PhotoFactory(
        owner_nsid="55555555@N05", owner_name="table owner", title="From a manifest"
    )
    sim = FlickrSimulator(api_key="d" * 32, api_secret="s" * 16, directory=PhotoTableDirectory())
    running = RunningSimulator(sim).start()
    try:
        settings.FLICKR_API_URL = running.api_url
        found = rest(
            settings,
            method="flickr.people.findByUsername",
            username="Table Owner",
            api_key="d" * 32,
        ).json()
        info = rest(
            settings,
            method="flickr.photos.getInfo",
            photo_id=str(photo.flickr_id),
            api_key="d" * 32,
        ).json()
        settings.FLICKR_OAUTH_URL = running.oauth_url
        token = request_token(sim, settings)["oauth_token"]
        page = approve(settings, token).text
    finally:
        running.stop()
    assert found["user"]["nsid"] == "55555555@N05"
    assert info["photo"]["owner"]["username"] == "table owner"
    assert info["photo"]["title"]["_content"] == "From a manifest"
    assert 'value="55555555@N05"' in page
    assert "table owner" in page


def test_the_simulator_command_refuses_to_run_without_debug(settings: Settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        call_command("flickr_simulator", "--port", "0")
