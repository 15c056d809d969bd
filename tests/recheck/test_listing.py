"""Owners found by their photo list: after a sign-in, the owner's public photos on Flickr
give their photos in datasets of links (no owner) an owner; "Your photos" shows how far
the reading has come; the listing row is an outbox that the sweeper sends again."""

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from devtools.flickr_simulator import FlickrSimulator
from optout import flickr
from optout.models import Photo, PhotoListing
from optout.recheck import listing_progress, listing_run, listing_start, listings_sweep
from tests.support.celery import _purge as purge
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.flickr import ANA, BEES, directory, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
RunTasks = Callable[[], list[str]]
L = PhotoListing.Status


@pytest.fixture
def laion(flickr_sim: FlickrSimulator) -> list[Photo]:
    """A dataset of links: two of Bees's photos and one of Ana's, no owner named."""
    links = DatasetFactory(slug="laion-flickr", name="LAION (Flickr links)")
    for flickr_id, owner in ((7_001, BEES), (7_002, BEES), (7_003, ANA)):
        directory(flickr_sim).add_photo(flickr_id, owner.nsid)
    return [
        PhotoFactory(dataset=links, flickr_id=flickr_id, owner_nsid="", owner_name="")
        for flickr_id in (7_001, 7_002, 7_003, 7_004)
    ]


def test_signing_in_finds_the_owners_photos_in_a_dataset_of_links(
    client: Client, laion: list[Photo], run_tasks: RunTasks
) -> None:
    sign_in(client, as_user=BEES.nsid)
    assert "optout.tasks.listing_run" in run_tasks()

    owned = Photo.objects.filter(owner_nsid=BEES.nsid).values_list("flickr_id", flat=True)
    assert sorted(owned) == [7_001, 7_002]
    assert Photo.objects.get(flickr_id=7_001).owner_name == "bees"
    assert Photo.objects.get(flickr_id=7_003).owner_nsid == ""  # Ana has not signed in
    page = client.get(reverse("my_photos")).content.decode()
    assert "2 photos in LAION (Flickr links)" in page
    assert "We found 2 more photos of yours in datasets that do not name their owner." in page
    # The anonymous look-up counts them from now on.
    lookup = client.get(reverse("home"), {"q": BEES.nsid}).content.decode()
    assert "LAION (Flickr links)" in lookup


def test_your_photos_shows_the_pages_read_without_javascript(
    client: Client, laion: list[Photo], flickr_sim: FlickrSimulator
) -> None:
    for n in range(1, 601):
        directory(flickr_sim).add_photo(8_000_000 + n, BEES.nsid)
    sign_in(client, as_user=BEES.nsid)
    listing = PhotoListing.objects.get(nsid=BEES.nsid)
    assert "We are starting to read your public photos" in client.get(reverse("my_photos")).text
    PhotoListing.objects.filter(pk=listing.pk).update(pages=2, pages_read=1, status=L.RUNNING)

    page = client.get(reverse("my_photos")).content.decode()

    assert "page 1 of 2 read" in page
    assert '<progress id="listing-progress" max="2" value="1"' in page
    assert "Refresh this page to see how far it has come." in page
    assert "None of your photos found so far." in page
    assert "listing.js" in page and "<script>" not in page  # no inline script (CSP)


def test_the_progress_endpoint_answers_the_pages_and_the_photos_so_far(
    client: Client, laion: list[Photo], flickr_sim: FlickrSimulator
) -> None:
    for n in range(1, 601):
        directory(flickr_sim).add_photo(8_000_000 + n, BEES.nsid)
    sign_in(client, as_user=BEES.nsid)
    url = reverse("my_photos_listing")
    first = client.get(url).json()
    assert first["status"] == "queued" and first["pages"] is None and first["total"] == 0

    listing_run(listing_id=PhotoListing.objects.get().pk)

    done = json.loads(client.get(url).content)
    assert done["done"] and (done["pages_read"], done["pages"]) == (2, 2)
    assert done["matched"] == 2 and done["total"] == 2
    assert flickr_sim.rest_calls().count("flickr.people.getPublicPhotos") == 2


def test_the_progress_endpoint_needs_a_sign_in(client: Client) -> None:
    response = client.get(reverse("my_photos_listing"))
    assert response.status_code == 403
    assert response.json() == {"error": "Sign in with Flickr first."}


def test_a_fresh_listing_is_not_read_again_at_the_next_sign_in(
    laion: list[Photo], settings: Settings
) -> None:
    listing = listing_start(nsid=BEES.nsid, username="bees")
    listing_run(listing_id=listing.pk)
    assert listing_start(nsid=BEES.nsid, username="bees").status == L.DONE
    settings.FLICKR_LISTING_FRESH_SECONDS = 0
    assert listing_start(nsid=BEES.nsid, username="bees").status == L.QUEUED


def test_a_dataset_imported_since_makes_the_listing_stale(laion: list[Photo]) -> None:
    listing = listing_start(nsid=BEES.nsid, username="bees")
    listing_run(listing_id=listing.pk)
    DatasetFactory(slug="coyo-flickr")  # a new dataset, imported after the listing
    assert listing_start(nsid=BEES.nsid, username="bees").status == L.QUEUED


def test_flickr_failing_makes_the_listing_wait_and_resume_at_the_next_page(
    laion: list[Photo], flickr_sim: FlickrSimulator, run_tasks: RunTasks
) -> None:
    for n in range(1, 601):
        directory(flickr_sim).add_photo(8_000_000 + n, BEES.nsid)
    # The task its start sent stays on the broker (the fixture drops it): run by hand here.
    listing = listing_start(nsid=BEES.nsid, username="bees")
    flickr_sim.fail_next("500", path="/services/rest", times=1)
    PhotoListing.objects.filter(pk=listing.pk).update(pages=2, pages_read=1)

    said = listing_run(listing_id=listing.pk)

    listing.refresh_from_db()
    assert said.startswith("waiting 300 s") and listing.status == L.QUEUED
    assert listing.next_attempt_at is not None and listing.attempts == 1
    progress = listing_progress(nsid=BEES.nsid)
    assert progress is not None and "Flickr cannot answer us right now" in progress.message
    # Not before its time, even if a message comes early.
    assert listing_run(listing_id=listing.pk).startswith("not due")
    PhotoListing.objects.filter(pk=listing.pk).update(next_attempt_at=timezone.now())
    assert listing_run(listing_id=listing.pk).startswith("done: 2 pages")
    calls = flickr_sim.rest_calls()
    assert calls == ["flickr.people.getPublicPhotos"] * 2  # page 2, failed and again


def test_a_listing_flickr_fails_every_time_gives_up_and_says_so(
    laion: list[Photo], flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.LISTING_MAX_ATTEMPTS = 1
    listing = listing_start(nsid=BEES.nsid, username="bees")
    flickr_sim.set_fault_mode("malformed")
    assert listing_run(listing_id=listing.pk).startswith("failed")
    progress = listing_progress(nsid=BEES.nsid)
    assert progress is not None and progress.done
    assert progress.message.startswith("We could not read your photos on Flickr")


def test_the_sweeper_sends_a_lost_listing_and_one_whose_worker_died(
    laion: list[Photo], run_tasks: RunTasks
) -> None:
    lost = listing_start(nsid=BEES.nsid, username="bees")
    dead = listing_start(nsid=ANA.nsid, username="ana")
    purge()  # the broker lost the messages their start sent
    long_ago = timezone.now() - timedelta(hours=1)
    PhotoListing.objects.filter(pk=lost.pk).update(queued_at=long_ago)
    PhotoListing.objects.filter(pk=dead.pk).update(
        status=L.RUNNING, claim="gone-worker", heartbeat_at=long_ago, queued_at=long_ago
    )

    assert listings_sweep() == 2
    run_tasks()

    assert set(PhotoListing.objects.values_list("status", flat=True)) == {L.DONE}
    assert Photo.objects.filter(owner_nsid=ANA.nsid).get().flickr_id == 7_003
    assert listings_sweep() == 0


def test_a_sign_in_listing_goes_ahead_of_the_re_check_in_the_budget(
    laion: list[Photo], settings: Settings
) -> None:
    settings.FLICKR_CALLS_PER_HOUR = 10
    settings.FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR = 2
    settings.FLICKR_RECHECK_CALLS_PER_HOUR = 100
    for _ in range(8):  # the re-check spends all it may
        flickr.budget_spend(flickr.Purpose.RECHECK)
    with pytest.raises(flickr.FlickrUnavailable):
        flickr.budget_spend(flickr.Purpose.RECHECK)

    listing = listing_start(nsid=BEES.nsid, username="bees")

    assert listing_run(listing_id=listing.pk).startswith("done")
