"""The request page's photo grid: links that came from a manifest are followed only if
they are http(s) links."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from optout.admin.group import maintainers_group_ensure
from tests.support.factories import PhotoFactory, RemovalRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(client: Client) -> Client:
    user = User.objects.create_user("mia@example.org", "mia@example.org", "pw", is_staff=True)
    user.groups.add(maintainers_group_ensure())
    client.force_login(user)
    return client


def test_a_script_link_from_an_old_import_is_not_an_href_in_the_photo_grid(queue: Client) -> None:
    # Imported before the importer kept only http(s) links.
    photo = PhotoFactory(
        flickr_id=8_100,
        owner_nsid="12345678@N01",
        page_url="javascript:alert(document.cookie)",
        image_url="data:image/svg+xml,<svg onload=alert(1)>",
        server="",
        secret="",
    )
    removal = RemovalRequestFactory(photos=[photo])

    page = queue.get(reverse("admin:optout_removalrequest_change", args=[removal.pk]))

    html = page.content.decode()
    assert "javascript:" not in html and "data:image" not in html
    assert 'href="https://www.flickr.com/photos/12345678@N01/8100/"' in html
    # No picture address known: an empty square, not an <img src=""> (a broken picture
    # that would fetch this page again).
    assert 'src=""' not in html
    assert '<span class="no-thumb" aria-hidden="true"></span>' in html


def test_an_http_link_from_the_manifest_is_used_as_it_is(queue: Client) -> None:
    photo = PhotoFactory(page_url="http://www.flickr.com/photos/beesphotos/8200/")
    removal = RemovalRequestFactory(photos=[photo])
    html = queue.get(reverse("admin:optout_removalrequest_change", args=[removal.pk]))
    assert b'href="http://www.flickr.com/photos/beesphotos/8200/"' in html.content
