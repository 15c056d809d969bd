"""The owner's pages as a person at a shared computer meets them: the Flickr sign-in
lasts an hour and can be ended at once; a status page shows what its reader may see."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from pytest_django.fixtures import Settings

from devtools.flickr_simulator import FlickrSimulator
from optout import secret_links
from optout.lookup import base58_encode
from optout.models import Photo, RemovalRequest, RequestLink
from optout.requests import filing
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory
from tests.support.flickr import BEES, sign_in
from tests.support.responses import streamed_text

pytestmark = pytest.mark.django_db
S = RemovalRequest.Status


@pytest.fixture
def bees_photos() -> list[Photo]:
    dif = DatasetFactory(slug="dif", name="Diversity in Faces")
    return [PhotoFactory(dataset=dif, owner_nsid=BEES.nsid, title=f"Hive {n}") for n in range(3)]


def signed_in_ago(client: Client, minutes: float) -> Client:
    """Signed in as bees through the simulator, the proof dated `minutes` ago."""
    sign_in(client, as_user=BEES.nsid)
    session = client.session
    identity = session["flickr_identity"]
    identity["verified_at"] = (timezone.now() - timedelta(minutes=minutes)).isoformat()
    session["flickr_identity"] = identity
    session.save()
    return client


def test_your_photos_says_until_when_you_are_signed_in_and_offers_to_sign_out(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    signed_in_ago(client, minutes=10)
    page = client.get(reverse("my_photos")).content.decode()
    verified = datetime.fromisoformat(client.session["flickr_identity"]["verified_at"])
    until = verified + timedelta(hours=1)
    assert f"Signed in as bees until {until:%H:%M} UTC" in strip_tags(page)
    assert f'<form method="post" action="{reverse("flickr_signout")}"' in page
    assert ">Sign out</button>" in page


def test_a_sign_in_older_than_an_hour_must_be_repeated_before_filing(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    signed_in_ago(client, minutes=61)
    form = {"scope": "all", "email": "bea@example.org", "action": "file"}

    response = client.post(reverse("my_photos"), form, follow=True)

    assert not RemovalRequest.objects.exists()
    assert response.redirect_chain[0][0] == f"{reverse('flickr_signin')}?next=/me/photos/"
    page = response.content.decode()
    assert "You signed in with Flickr more than 1 hour ago" in page
    assert "Sign in again" in page
    assert "You are signed in as" not in page  # the sign-in page forgot the old one too
    assert "flickr_identity" not in client.session
    # Looking at the photos (titles, the saved email) takes a new sign-in as well.
    again = client.get(reverse("my_photos"))
    assert again.status_code == 302 and "Hive 0" not in again.content.decode()


def test_a_sign_in_just_under_the_hour_still_files(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    signed_in_ago(client, minutes=59)
    form = {"scope": "all", "email": "bea@example.org", "action": "file"}
    response = client.post(reverse("my_photos"), form)
    assert response.status_code == 302
    assert response["Location"].startswith("/r/")
    assert RemovalRequest.objects.get().owner_nsid == BEES.nsid


def test_the_hour_is_a_setting(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo], settings: Settings
) -> None:
    settings.FLICKR_IDENTITY_MAX_AGE_SECONDS = 15 * 60
    signed_in_ago(client, minutes=16)
    response = client.get(reverse("my_photos"), follow=True)
    assert "You signed in with Flickr more than 15 minutes ago" in response.content.decode()


def test_signing_out_forgets_who_you_are_and_what_you_typed(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    signed_in_ago(client, minutes=1)
    # Ticks and the email are kept in the session while paging.
    client.post(
        reverse("my_photos"),
        {"scope": "selected", "photo": [bees_photos[0].pk], "email": "bea@example.org",
         "action": "page:1"},
    )  # fmt: skip
    assert client.session["photo_selection"]["email"] == "bea@example.org"

    response = client.post(reverse("flickr_signout"), follow=True)

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "You are signed out of optout" in response.content.decode()
    assert "flickr_identity" not in client.session
    assert "photo_selection" not in client.session
    after = client.get(reverse("my_photos"))
    assert after["Location"] == f"{reverse('flickr_signin')}?next=/me/photos/"


def test_signing_out_takes_a_post_with_the_csrf_token(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    signed_in_ago(client, minutes=1)
    browser = Client(enforce_csrf_checks=True)
    browser.cookies = client.cookies  # the same session, in a client that checks CSRF

    assert browser.get(reverse("flickr_signout")).status_code == 405
    assert browser.post(reverse("flickr_signout")).status_code == 403  # a forged form
    assert browser.session["flickr_identity"]["nsid"] == BEES.nsid


# A shown-in-photo request's status page: anyone can type any photo ids and their own
# address into the report form, so its page must not hand out other owners' data.


def test_a_shown_in_photo_status_page_lists_photo_links_and_states_only(client: Client) -> None:
    dif = DatasetFactory(slug="dif", name="Diversity in Faces")
    photos = [
        PhotoFactory(dataset=dif, flickr_id=8_100, title="Wedding of Jo", owner_name="jo_smith"),
        PhotoFactory(dataset=dif, flickr_id=8_200, title="Jo at home", owner_name="jo_smith"),
    ]
    Photo.objects.filter(pk=photos[1].pk).update(state=Photo.State.REMOVED)
    removal = filing.shown_request_create(
        email="anyone@example.org", links_text="8100 8200", relation="me", statement="please"
    )
    token = secret_links.link_mint(removal=removal, purpose=RequestLink.Purpose.STATUS)

    page = client.get(reverse("request_status", args=[token])).content.decode()

    for photo in photos:
        assert photo.title not in page
        assert photo.owner_name not in page and photo.owner_nsid not in page
        assert photo.secret not in page and photo.thumbnail_url not in page
    assert "<img" not in page
    assert f'href="https://flic.kr/p/{base58_encode(8_100)}"' in page
    text = " ".join(strip_tags(page).split())
    assert "Photo 8100 · Diversity in Faces · still in the dataset" in text
    assert "Photo 8200 · Diversity in Faces · removed" in text


def test_an_owner_status_page_still_shows_titles_and_thumbnails(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    signed_in_ago(client, minutes=1)
    form = {"scope": "all", "email": "bea@example.org", "action": "file"}
    status = client.post(reverse("my_photos"), form)["Location"]
    page = client.get(status).content.decode()
    assert "Hive 0" in page
    assert bees_photos[0].thumbnail_url in page


def test_the_receipt_is_csv_whose_text_stays_text_in_a_spreadsheet(client: Client) -> None:
    dataset = DatasetFactory(slug="dif", release='=HYPERLINK("https://evil.example/","x")')
    photo = PhotoFactory(dataset=dataset, flickr_id=8_100, state=Photo.State.REMOVED)
    Photo.objects.filter(pk=photo.pk).update(removed_at=timezone.now())
    removal = RemovalRequestFactory(status=S.COMPLETED, photos=[photo])
    token = secret_links.link_mint(removal=removal, purpose=RequestLink.Purpose.STATUS)

    response = client.get(reverse("request_receipt", args=[token]))

    rows = list(csv.reader(io.StringIO(streamed_text(response), newline="")))
    assert rows[0][:5] == ["request", "dataset", "release", "photo_id", "removed_at"]
    assert rows[1][:4] == [removal.public_id, "dif", "'" + dataset.release, "8100"]
    assert response["Content-Disposition"] == (
        f'attachment; filename="optout-receipt-{removal.public_id}.csv"'
    )


@pytest.mark.parametrize("verified_at", [None, "", "yesterday", "2026-01-01T10:00:00"])
def test_a_sign_in_without_a_usable_date_counts_as_too_old(
    client: Client, bees_photos: list[Photo], verified_at: str | None
) -> None:
    session = client.session
    session["flickr_identity"] = {"nsid": BEES.nsid, "username": "bees", "verified_at": verified_at}
    session.save()
    response = client.get(reverse("my_photos"), follow=True)
    assert "You signed in with Flickr more than 1 hour ago" in response.content.decode()
    assert "flickr_identity" not in client.session
