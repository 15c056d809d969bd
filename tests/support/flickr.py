"""The Flickr simulator as pytest fixtures: the far side for every Flickr test.

One simulator serves the whole session in a thread on a free port; each test
gets it reset (no faults, no tokens, the accounts below, a fresh key pair)
and settings pointed at it.
"""

import secrets
from collections.abc import Iterator

import pytest
import requests
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from devtools.flickr_simulator import Account, FlickrSimulator, MemoryDirectory, RunningSimulator
from tests.support.responses import ClientResponse

BEES = Account(nsid="12345678@N01", username="bees", fullname="Bea Bees", path_alias="beesphotos")
ANA = Account(nsid="87654321@N02", username="Ana Lyst", fullname="")
ACCOUNTS = (BEES, ANA)
PHOTOS = (
    (5_100_000_001, BEES.nsid, "Hive at dawn"),
    (5_100_000_002, ANA.nsid, "Market day"),
)


@pytest.fixture(scope="session")
def flickr_server() -> Iterator[RunningSimulator]:
    app = FlickrSimulator(api_key="unset" * 4, api_secret="unset")
    running = RunningSimulator(app).start()
    yield running
    running.stop()


@pytest.fixture
def flickr_sim(flickr_server: RunningSimulator, settings: Settings) -> Iterator[FlickrSimulator]:
    """The simulator, reset, with settings pointing at it under a fresh key pair.

    A fresh key per test also gives each test its own hourly call counter.
    """
    sim = flickr_server.app
    sim.reset()
    sim.directory = MemoryDirectory(ACCOUNTS, PHOTOS)
    sim.api_key = secrets.token_hex(16)
    sim.api_secret = secrets.token_hex(8)
    settings.FLICKR_API_KEY = sim.api_key
    settings.FLICKR_API_SECRET = sim.api_secret
    settings.FLICKR_OAUTH_URL = flickr_server.oauth_url
    settings.FLICKR_API_URL = flickr_server.api_url
    settings.FLICKR_TIMEOUT = 5.0
    settings.FLICKR_CALLS_PER_HOUR = 3000
    yield sim
    # Let go of any request a "timeout" fault parked before the next test.
    sim.reset()


def directory(sim: FlickrSimulator) -> MemoryDirectory:
    """The test simulator's accounts and photos, to add to."""
    assert isinstance(sim.directory, MemoryDirectory)
    return sim.directory


# Walking the sign-in by hand: our views, then the simulator's page, then back.


def start(client: Client, **data: str) -> str:
    """Press "Sign in with Flickr"; returns the Flickr authorize URL we are sent to."""
    response = client.post(reverse("flickr_signin"), data)
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def on_flickr(authorize_url: str, **form: str) -> str:
    """What the person does on Flickr's page; returns where Flickr sends them back to."""
    response = requests.get(authorize_url, params=form, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def sign_in(client: Client, *, as_user: str = BEES.nsid, **data: str) -> tuple[str, ClientResponse]:
    callback = on_flickr(start(client, **data), approve_as=as_user)
    return callback, client.get(callback)
