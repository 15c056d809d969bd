"""The demo's Flickr, end to end, as `make run` serves it (the simulator over the Photo
table, the world file and the switches file that load_demo writes): the demo owner's
no_cv photo is removed without anyone filing a form and shows as removed in the look-up,
the removal list and the check API; a Flickr outage during a pass removes nothing; the
owner whose photos are in the link dataset sees them after signing in."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from devtools import demo, demo_flickr
from devtools.flickr_simulator import (
    FlickrSimulator,
    PhotoTableDirectory,
    RunningSimulator,
    Switches,
)
from optout.models import Photo, RecheckPass, RemovalRequest
from optout.recheck import recheck_tick
from tests.support.flickr import sign_in
from tests.support.postgres import partitions_of_photos
from tests.support.responses import streamed_text

pytestmark = pytest.mark.django_db(transaction=True)
RunTasks = Callable[[], list[str]]
S = RemovalRequest.Status


@pytest.fixture(autouse=True)
def partitions_dropped() -> Iterator[None]:
    """The demo's imports make a partition per dataset on PostgreSQL, which the flush
    after a transactional test leaves behind: drop ours, as other tests count them."""
    postgres = connection.vendor == "postgresql"
    before = set(partitions_of_photos()) if postgres else set()
    yield
    if postgres:
        with connection.cursor() as cursor:
            for name in sorted(set(partitions_of_photos()) - before):
                cursor.execute(f'DROP TABLE "{name}"')


@pytest.fixture
def demo_flickr_loaded(settings: Settings, tmp_path: Path) -> demo_flickr.DemoFlickr:
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    demo.demo_load()
    return demo_flickr.demo_flickr_load()


@pytest.fixture
def demo_simulator(
    demo_flickr_loaded: demo_flickr.DemoFlickr, settings: Settings
) -> Iterator[FlickrSimulator]:
    """The simulator as `manage.py flickr_simulator` builds it for `make run`."""
    sim = FlickrSimulator(
        api_key="d" * 32,
        api_secret="s" * 16,
        directory=PhotoTableDirectory(demo_flickr.world_path()),
        switches=Switches(demo_flickr.switches_path()),
    )
    running = RunningSimulator(sim).start()
    settings.FLICKR_API_KEY, settings.FLICKR_API_SECRET = sim.api_key, sim.api_secret
    settings.FLICKR_API_URL, settings.FLICKR_OAUTH_URL = running.api_url, running.oauth_url
    settings.FLICKR_TIMEOUT = 2.0
    # Every test its own hourly counter: the key's counters live in the cache.
    settings.FLICKR_CALLS_PER_HOUR = 3000
    try:
        yield sim
    finally:
        running.stop()


def run_all(run_tasks: RunTasks) -> list[str]:
    ran: list[str] = []
    while batch := run_tasks():
        ran += batch
    return ran


def test_the_demo_owners_no_cv_photo_is_removed_without_a_form(
    demo_flickr_loaded: demo_flickr.DemoFlickr,
    demo_simulator: FlickrSimulator,
    client: Client,
    run_tasks: RunTasks,
) -> None:
    loaded = demo_flickr_loaded
    # A Flickr outage during a pass removes nothing.
    demo_simulator.set_fault_mode("500")
    assert recheck_tick().startswith("paused")
    assert not RemovalRequest.objects.exists()
    assert not Photo.objects.filter(state=Photo.State.REMOVED).exists()

    demo_simulator.set_fault_mode("")
    # The pause over, the first slice of the pass reaches the first owner.
    RecheckPass.objects.update(paused_until=None)
    recheck_tick()
    (removal,) = RemovalRequest.objects.filter(kind=RemovalRequest.Kind.FLICKR_SIGNAL)
    assert removal.owner_nsid == loaded.signal_owner.nsid and removal.status == S.APPROVED
    run_all(run_tasks)
    removal.refresh_from_db()
    assert removal.status == S.COMPLETED

    removed = Photo.objects.get(flickr_id=loaded.no_cv, dataset__slug=demo.DIF["slug"])
    assert removed.state == Photo.State.REMOVED
    assert Photo.objects.get(flickr_id=loaded.relicensed).state == Photo.State.REMOVED
    # The look-up, the removal list and the check API all say so.
    link = f"https://www.flickr.com/photos/{loaded.signal_owner.nsid}/{loaded.no_cv}/"
    page = client.get(reverse("home"), {"q": link}).content.decode()
    assert "has been removed" in page
    removals = streamed_text(client.get(f"/datasets/{demo.DIF['slug']}/removals.csv"))
    assert f"\n{loaded.no_cv}," in removals
    checked = client.post(
        "/api/v1/check",
        json.dumps({"photos": [str(loaded.no_cv)]}),
        content_type="application/json",
    ).json()["results"][0]
    assert (checked["photo_id"], checked["removed"]) == (loaded.no_cv, True)
    timeline = list(removal.events.values_list("why", flat=True))
    assert f"Photo {loaded.no_cv} tagged no_cv on Flickr." in timeline


def test_the_owner_of_photos_in_the_link_dataset_sees_them_after_signing_in(
    demo_flickr_loaded: demo_flickr.DemoFlickr,
    demo_simulator: FlickrSimulator,
    client: Client,
    run_tasks: RunTasks,
) -> None:
    owner = demo_flickr_loaded.signin_owner
    links = demo_flickr.LINKS["name"]
    assert not Photo.objects.filter(owner_nsid=owner.nsid, dataset__slug="laion-links").exists()

    sign_in(client, as_user=owner.nsid)
    run_all(run_tasks)

    page = client.get(reverse("my_photos")).content.decode()
    assert f"{demo_flickr.SIGNIN_ONLY} photos in {links}" in page
    assert "of yours in datasets that do not name their owner." in page
    # Their list is long (other public photos): read 500 a page, every page.
    calls = demo_simulator.rest_calls().count("flickr.people.getPublicPhotos")
    assert calls >= 1
