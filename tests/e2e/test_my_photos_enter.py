"""On "Your photos", Enter in the email field files the request, even when the
owner's photos take more than one page and "Next page" is the first button a
person sees; the paging buttons still turn the page, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from config.settings import csp_config
from devtools.flickr_simulator import FlickrSimulator, RunningSimulator
from optout.models import Photo, RemovalRequest
from tests.support.browser import ARTIFACTS, chromium
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.flickr import BEES

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def five_photos(
    settings: Settings, flickr_sim: FlickrSimulator, flickr_server: RunningSimulator
) -> list[Photo]:
    static_url = f"http://{flickr_server.host}:{flickr_server.port}/static"
    settings.FLICKR_STATIC_URL = static_url
    settings.SECURE_CSP = csp_config(static_url=static_url, oauth_url=flickr_server.oauth_url)
    settings.PHOTOS_PER_PAGE = 2  # three pages
    dif = DatasetFactory(slug="dif", name="Diversity in Faces", release="1.0")
    return [PhotoFactory(dataset=dif, owner_nsid=BEES.nsid, title=f"Hive {n}") for n in range(5)]


def sign_in_as_bees(page: Page, url: str) -> None:
    page.goto(f"{url}/signin/flickr/?next=/me/photos/")
    page.get_by_role("button", name=re.compile("Sign in with Flickr")).click()
    page.get_by_label("Type a Flickr username or NSID").fill("bees")
    page.get_by_role("button", name="OK, I'll authorize it").click()
    expect(page.get_by_role("heading", name="Your photos, bees")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_enter_in_the_email_field_files_the_request_and_the_pager_still_turns_pages(
    live_server: object, five_photos: list[Photo], javascript: bool
) -> None:
    url = str(live_server)
    with chromium() as browser:
        page = browser.new_context(java_script_enabled=javascript).new_page()
        sign_in_as_bees(page, url)
        expect(page.locator(".pager")).to_contain_text("Page 1 of 3")

        page.get_by_role("button", name="Next page →").click()
        expect(page.locator(".pager")).to_contain_text("Page 2 of 3")
        expect(page.locator(".photo-grid")).to_contain_text("Hive 2")
        page.get_by_role("button", name="← Previous page").click()
        expect(page.locator(".pager")).to_contain_text("Page 1 of 3")

        email = page.get_by_label("Your email address")
        email.fill("bea@example.org")
        email.press("Enter")
        expect(page.locator("h1")).to_contain_text(re.compile(r"Request \S+:"))
        expect(page.get_by_role("status")).to_contain_text("is filed")
        ARTIFACTS.mkdir(exist_ok=True)
        name = "my-photos-enter-js" if javascript else "my-photos-enter-nojs"
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    removal = RemovalRequest.objects.get()
    assert removal.email == "bea@example.org"
    assert removal.photos.count() == 5  # "all my photos", on every page
