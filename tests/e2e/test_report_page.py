"""The form for a person shown in a photo, in a real browser at phone width, checked by axe."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from optout.models import RemovalRequest
from tests.e2e.test_admin_queue import ARGS, ARTIFACTS, CHROMIUM
from tests.factories import DatasetFactory, PhotoFactory

pytestmark = pytest.mark.django_db(transaction=True)
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


@contextmanager
def phone() -> Iterator[Page]:
    with sync_playwright() as p:
        browser: Browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            # Our CSP would otherwise block the injected axe script.
            context = browser.new_context(viewport={"width": 375, "height": 800}, bypass_csp=True)
            yield context.new_page()
        finally:
            browser.close()


def serious_violations(page: Page) -> list[list[str]]:
    assert AXE.exists(), "axe-core is missing: npm ci --prefix tests/e2e (make test does it)"
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run()).violations.map(v => [v.id, v.impact])")
    return [v for v in found if v[1] in ("serious", "critical")]


def test_the_report_form_reads_well_on_a_phone_and_reports_unknown_photos(
    live_server: object,
) -> None:
    url = str(live_server)
    PhotoFactory(dataset=DatasetFactory(slug="dif"), flickr_id=8_100)
    with phone() as page:
        page.goto(f"{url}/report/")
        assert serious_violations(page) == []
        page.get_by_label("Links to the photos, or their ids (one per line)").fill(
            "8100\nhttps://www.flickr.com/photos/someone/9999/"
        )
        page.get_by_label("How do you relate to these photos?").fill("I am in them")
        page.get_by_label("Why should they be removed?").fill("Taken without asking.")
        page.get_by_label("Your email address").fill("sam@example.org")
        page.get_by_role("button", name="Send my request").click()

        problems = page.locator("#links-problems")
        assert "is not in any dataset we cover" in problems.inner_text()
        assert serious_violations(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-375.png"), full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 375, scroll_width  # nothing runs off a phone's screen
    assert not RemovalRequest.objects.exists()
