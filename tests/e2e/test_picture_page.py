"""The look-up by picture in a real browser at phone width: upload, answer, the way on."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_django.fixtures import Settings

from optout.models import RemovalRequest
from optout.pictures import picture_index, pictures_hash
from tests.support.browser import ARGS, ARTIFACTS, CHROMIUM, axe_problems, csp_errors
from tests.support.factories import DatasetFactory
from tests.support.pictures import resaved_smaller, stored_photo

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def phone() -> Iterator[Page]:
    with sync_playwright() as p:
        browser: Browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 375, "height": 800})
        finally:
            browser.close()


def test_a_person_finds_their_picture_and_goes_on_to_the_report_form(
    live_server: object, settings: Settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    picture_index().reset()
    faces = DatasetFactory(slug="ffhq", name="Flickr-Faces-HQ (demo)", release="v2")
    photo = stored_photo(faces, 61)
    pictures_hash(slug="ffhq")
    upload = tmp_path / "from-a-friend.jpg"
    upload.write_bytes(resaved_smaller(61))
    url = str(live_server)
    with phone() as page:
        blocked = csp_errors(page)
        page.goto(f"{url}/")
        page.get_by_role("link", name="Look for it by the picture").click()
        assert page.get_by_role("heading", level=1).inner_text() == (
            "Do you have the picture itself?"
        )
        assert axe_problems(page) == []
        page.get_by_label(
            "Your picture (JPEG, PNG, WebP, GIF or HEIC, up to 20 MB)"
        ).set_input_files(str(upload))
        page.get_by_role("button", name="Look for this picture").click()

        result = page.locator("section.result")
        assert "This picture is in Flickr-Faces-HQ (demo) (release v2)." in result.inner_text()
        assert str(photo.flickr_id) not in page.content()
        assert axe_problems(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "picture-375.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        page.get_by_role("link", name="Ask for the removal of this photo").click()
        assert "Your picture matched 1 photo" in page.locator("#picture-ref").inner_text()
        page.get_by_label("How do you relate to these photos?").fill("I am in it")
        page.get_by_label("Why should they be removed?").fill("A friend's photo of me.")
        page.get_by_label("Your email address").fill("kim@example.org")
        page.get_by_role("button", name="Send my request").click()
        page.wait_for_load_state()
        assert blocked == []
    removal = RemovalRequest.objects.get(email="kim@example.org")
    assert list(removal.photos.all()) == [photo]
    picture_index().reset()
