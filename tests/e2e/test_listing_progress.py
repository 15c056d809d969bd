"""'Your photos' while we read the owner's public photos on Flickr, in a real browser: the
progress (pages read of pages to read) moves by itself, and the photos found in a dataset
of links appear when it is done, with no reload; our own script only (CSP)."""

import re
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from playwright.sync_api import expect
from pytest_django.fixtures import Settings

from config.settings import csp_config
from devtools.flickr_simulator import FlickrSimulator, RunningSimulator
from optout.models import Photo, PhotoListing
from optout.recheck import listing_run
from tests.support.browser import ARTIFACTS, axe_problems, browser_page, csp_errors
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.flickr import BEES, directory

pytestmark = pytest.mark.django_db(transaction=True)
RunTasks = Callable[[], list[str]]


@pytest.fixture
def links_setup(
    settings: Settings, flickr_sim: FlickrSimulator, flickr_server: RunningSimulator
) -> None:
    static_url = f"http://{flickr_server.host}:{flickr_server.port}/static"
    settings.FLICKR_STATIC_URL = static_url
    settings.SECURE_CSP = csp_config(static_url=static_url, oauth_url=flickr_server.oauth_url)
    links = DatasetFactory(slug="laion", name="LAION (links)", release="")
    for n in range(1, 1_800):  # four pages of 500 on Flickr
        directory(flickr_sim).add_photo(9_000_000 + n, BEES.nsid)
    for flickr_id in (9_000_001, 9_000_002):  # the oldest: on the last page
        PhotoFactory(dataset=links, flickr_id=flickr_id, owner_nsid="", owner_name="")


def read_in_the_background() -> threading.Thread:
    """A worker reading the listing while the browser watches."""

    def work() -> None:
        try:
            listing_run(listing_id=PhotoListing.objects.get().pk)
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_your_photos_shows_the_reading_and_its_photos_without_a_reload(
    live_server: object, links_setup: None, flickr_sim: FlickrSimulator, run_tasks: RunTasks
) -> None:
    url = str(live_server)
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(width=375, height=800) as page:
        blocked = csp_errors(page)
        page.goto(f"{url}/signin/flickr/")
        page.get_by_role("button", name=re.compile("Sign in with Flickr")).click()
        page.get_by_label("Type a Flickr username or NSID").fill("bees")
        page.get_by_role("button", name="OK, I'll authorize it").click()
        expect(page.get_by_role("heading", name="Your photos, bees")).to_be_visible()
        expect(page.locator(".result")).to_contain_text("None of your photos found so far.")
        page.evaluate("window.sameDocument = true")

        flickr_sim.slow_seconds = 1.5  # each page of the list takes a while
        worker = read_in_the_background()
        message = page.locator("#listing-message")
        expect(message).to_contain_text(re.compile(r"page [1-3] of 4 read"), timeout=15_000)
        expect(page.locator("#listing-progress")).to_have_attribute("max", "4")
        assert axe_problems(page) == []
        page.screenshot(path=str(ARTIFACTS / "listing-progress-375.png"), full_page=True)

        expect(message).to_contain_text("found 2 more photos of yours", timeout=20_000)
        expect(page.locator(".photo-grid img")).to_have_count(2)
        assert page.evaluate("window.sameDocument") is True  # no reload
        page.screenshot(path=str(ARTIFACTS / "listing-done-375.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert blocked == []
    worker.join(timeout=10)
    assert Photo.objects.filter(owner_nsid=BEES.nsid).count() == 2
