"""A photo owner in a real browser, from the look-up to the receipt.

Debian's Chromium driven by Playwright against Django's live server and the
Flickr simulator, with our Content-Security-Policy enforced (thumbnails from
the simulator's static host, the sign-in form's redirect to its authorize
page). Emails go through the real broker and land in anymail's test backend;
a maintainer approves through the service, and the deletion pipeline runs its
tasks. axe-core checks every public page on the way; screenshots land in
artifacts/.
"""

import re
from collections.abc import Callable

import pytest
from django.core import mail
from playwright.sync_api import expect
from pytest_django.fixtures import Settings

from config.settings import csp_config
from devtools.flickr_simulator import FlickrSimulator, RunningSimulator
from optout.models import Photo, RemovalRequest
from optout.requests import review
from tests.support.browser import ARTIFACTS, axe_problems, browser_page, csp_errors
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.flickr import ANA, BEES

pytestmark = pytest.mark.django_db(transaction=True)
S = RemovalRequest.Status
RunTasks = Callable[[], list[str]]


def link_in(message: mail.EmailMessage, kind: str) -> str:
    found = re.search(rf"http://testserver(/{kind}/[A-Za-z0-9_-]+/)", str(message.body))
    assert found, message.body
    return found.group(1)


def run_all(run_tasks: RunTasks) -> list[str]:
    """Run tasks until the queue stays empty (jobs enqueue batches, batches enqueue emails)."""
    ran: list[str] = []
    while batch := run_tasks():
        ran += batch
    return ran


@pytest.fixture
def owner_setup(
    settings: Settings, flickr_sim: FlickrSimulator, flickr_server: RunningSimulator
) -> list[Photo]:
    static_url = f"http://{flickr_server.host}:{flickr_server.port}/static"
    settings.FLICKR_STATIC_URL = static_url
    settings.SECURE_CSP = csp_config(static_url=static_url, oauth_url=flickr_server.oauth_url)
    # A maintainer approves (below), as when the policy leaves owners' requests to review.
    settings.AUTO_APPROVE_OWNER_REQUESTS = False
    dif = DatasetFactory(slug="dif", name="Diversity in Faces", release="1.0")
    ffhq = DatasetFactory(slug="ffhq", name="FFHQ", release="2")
    photos = [PhotoFactory(dataset=dif, owner_nsid=BEES.nsid, title=f"Hive {n}") for n in range(4)]
    photos.append(PhotoFactory(dataset=ffhq, owner_nsid=BEES.nsid, title="Comb"))
    PhotoFactory(dataset=dif, owner_nsid=ANA.nsid, title="Not a bee")
    return photos


def test_an_owner_looks_up_signs_in_removes_three_photos_and_gets_a_receipt(
    live_server: object, owner_setup: list[Photo], run_tasks: RunTasks
) -> None:
    url = str(live_server)
    ARTIFACTS.mkdir(exist_ok=True)
    axe: dict[str, list[list[str]]] = {}

    with browser_page() as page:
        blocked = csp_errors(page)
        page.goto(f"{url}/")
        axe["home"] = axe_problems(page)
        page.get_by_label("Your Flickr username, NSID, profile link or a photo link").fill("bees")
        page.get_by_role("button", name="Look up").click()
        expect(page.locator(".result")).to_contain_text(
            "4 of your photos are in Diversity in Faces (release 1.0)"
        )
        expect(page.locator(".result")).to_contain_text("1 of your photos is in FFHQ (release 2)")
        axe["look-up result"] = axe_problems(page)
        page.screenshot(path=str(ARTIFACTS / "owner-lookup.png"), full_page=True)

        page.get_by_role("button", name=re.compile("Sign in with Flickr")).click()
        # The simulator's authorize page, as Flickr's would be.
        expect(page.get_by_role("heading", name="Flickr: authorize optout")).to_be_visible()
        page.get_by_label("Type a Flickr username or NSID").fill("bees")
        page.get_by_role("button", name="OK, I'll authorize it").click()

        expect(page.get_by_role("heading", name="Your photos, bees")).to_be_visible()
        thumbnails = page.locator(".photo-grid img")
        expect(thumbnails).to_have_count(5)
        loaded = thumbnails.evaluate_all("imgs => imgs.map(i => i.complete && i.naturalWidth)")
        assert all(loaded), loaded  # the CSP lets Flickr's static host through
        axe["your photos"] = axe_problems(page)
        page.screenshot(path=str(ARTIFACTS / "owner-photos.png"), full_page=True)
        only_ticked = page.get_by_label("Only the photos I tick below")
        expect(only_ticked).not_to_be_checked()
        for title in ("Hive 0", "Hive 2", "Comb"):
            page.locator("li", has_text=title).get_by_role("checkbox").check()
        # A tick switches the choice to "only the photos I tick" (our own script,
        # allowed by the CSP), so three ticks never file a request for all five.
        expect(only_ticked).to_be_checked()
        page.get_by_label("Your email address").fill("bea@example.org")
        page.get_by_role("button", name="Ask for removal").click()
        expect(page.locator("h1")).to_contain_text("needs review")

        # On a shared computer: sign out, and "Your photos" asks for a new sign-in.
        page.goto(f"{url}/me/photos/")
        expect(page.locator(".signed-in")).to_contain_text(re.compile(r"Signed in as bees until"))
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_contain_text("You are signed out of optout")
        axe["signed out"] = axe_problems(page)
        page.goto(f"{url}/me/photos/")
        expect(page.get_by_role("heading", name="Sign in with Flickr")).to_be_visible()

        page.goto(f"{url}/signin/flickr/")
        axe["sign-in page"] = axe_problems(page)
        page.goto(f"{url}/report/")
        axe["report form"] = axe_problems(page)
        assert blocked == []

    removal = RemovalRequest.objects.get()
    assert removal.status == S.NEEDS_REVIEW
    assert sorted(removal.photos.values_list("title", flat=True)) == ["Comb", "Hive 0", "Hive 2"]
    run_tasks()
    (received,) = mail.outbox
    assert received.to == ["bea@example.org"]
    status_path, confirm_path = link_in(received, "r"), link_in(received, "confirm")

    with browser_page() as page:
        blocked = csp_errors(page)
        page.goto(f"{url}{status_path}")
        expect(page.locator("h1")).to_contain_text(f"Request {removal.public_id}: needs review")
        axe["status"] = axe_problems(page)
        page.goto(f"{url}{confirm_path}")
        axe["confirm page"] = axe_problems(page)
        page.get_by_role("button", name="Confirm my email address").click()
        expect(page.locator("h1")).to_contain_text("your email address is confirmed")
        assert blocked == []

    review.request_approve(removal=removal, actor="maintainer:mia@example.org")
    run_all(run_tasks)
    removal.refresh_from_db()
    assert removal.status == S.COMPLETED
    assert Photo.objects.filter(state=Photo.State.REMOVED).count() == 3

    with browser_page() as page:
        page.goto(f"{url}{status_path}")
        expect(page.locator("h1")).to_have_text(f"Request {removal.public_id}: completed")
        receipt = page.get_by_role("link", name=re.compile("Download the receipt"))
        expect(receipt).to_be_visible()
        axe["status, completed"] = axe_problems(page)
        page.screenshot(path=str(ARTIFACTS / "owner-status.png"), full_page=True)
        rows = page.request.get(f"{url}{receipt.get_attribute('href')}").text().splitlines()
        header = "request,dataset,release,photo_id,removed_at,copies_confirmed,copies_known"
        assert rows[0] == header
        assert len(rows) == 4

    with browser_page(width=375, height=800) as phone:
        phone.goto(f"{url}{status_path}")
        expect(phone.locator("h1")).to_contain_text("completed")
        phone.screenshot(path=str(ARTIFACTS / "owner-status-375.png"), full_page=True)
        scroll_width = phone.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 375, scroll_width  # nothing runs off a phone's screen

    assert {page: found for page, found in axe.items() if found} == {}
    subjects = [m.subject for m in mail.outbox]
    assert f"Done: 3 photos removed (request {removal.public_id})" in subjects
