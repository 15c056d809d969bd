"""The form for a person shown in a photo, in a real browser at phone width, checked by axe."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from optout import secret_links
from optout.lookup import base58_encode
from optout.models import RemovalRequest, RequestLink
from optout.requests import filing
from tests.support.browser import ARGS, ARTIFACTS, CHROMIUM, axe_problems, csp_errors
from tests.support.factories import DatasetFactory, PhotoFactory

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def phone() -> Iterator[Page]:
    """A 375-pixel-wide page under our real CSP (no bypass): a blocked inline style
    or script shows up in the console, which the test watches."""
    with sync_playwright() as p:
        browser: Browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 375, "height": 800})
        finally:
            browser.close()


def test_the_report_form_reads_well_on_a_phone_and_reports_unknown_photos(
    live_server: object,
) -> None:
    url = str(live_server)
    PhotoFactory(dataset=DatasetFactory(slug="dif"), flickr_id=8_100)
    with phone() as page:
        blocked = csp_errors(page)
        page.goto(f"{url}/report/")
        assert axe_problems(page) == []
        page.get_by_label("Links to the photos, or their ids (one per line)").fill(
            "8100\nhttps://www.flickr.com/photos/someone/9999/"
        )
        page.get_by_label("How do you relate to these photos?").fill("I am in them")
        page.get_by_label("Why should they be removed?").fill("Taken without asking.")
        page.get_by_label("Your email address").fill("sam@example.org")
        page.get_by_role("button", name="Send my request").click()

        problems = page.locator("#links-problems")
        assert "is not in any dataset we cover" in problems.inner_text()
        assert axe_problems(page) == []
        assert blocked == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-375.png"), full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 375, scroll_width  # nothing runs off a phone's screen
    assert not RemovalRequest.objects.exists()


def test_a_second_report_to_the_same_address_says_check_your_inbox_and_the_status_page_lists_links(
    live_server: object,
) -> None:
    url = str(live_server)
    dif = DatasetFactory(slug="dif", name="Diversity in Faces")
    PhotoFactory(dataset=dif, flickr_id=8_100, title="Wedding of Jo")
    first = filing.shown_request_create(
        email="sam@example.org", links_text="8100", relation="I am in it", statement="Please."
    )
    token = secret_links.link_mint(removal=first, purpose=RequestLink.Purpose.STATUS)
    ARTIFACTS.mkdir(exist_ok=True)
    with phone() as page:
        blocked = csp_errors(page)
        page.goto(f"{url}/report/")
        page.get_by_label("Links to the photos, or their ids (one per line)").fill("8100")
        page.get_by_label("How do you relate to these photos?").fill("I am in them")
        page.get_by_label("Why should they be removed?").fill("Taken without asking.")
        page.get_by_label("Your email address").fill("Sam@example.org")
        page.get_by_role("button", name="Send my request").click()

        notice = page.get_by_role("status").filter(has_text="Check your inbox")
        assert "We already sent a confirmation link to Sam@example.org" in notice.inner_text()
        assert page.get_by_label("Why should they be removed?").input_value() == (
            "Taken without asking."
        )
        assert axe_problems(page) == []
        page.screenshot(path=str(ARTIFACTS / "report-pending-375.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        page.goto(f"{url}/r/{token}/")
        assert page.get_by_role("link", name="Photo 8100").get_attribute("href") == (
            f"https://flic.kr/p/{base58_encode(8_100)}"
        )
        assert "Wedding of Jo" not in page.content()
        assert axe_problems(page) == []
        page.screenshot(path=str(ARTIFACTS / "report-status-375.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert blocked == []
    assert RemovalRequest.objects.count() == 1
