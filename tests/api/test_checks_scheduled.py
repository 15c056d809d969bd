"""What makes a photo "scheduled for removal" in the public answers (/api/v1/check,
/api/v2/query/urls/): an owner's request at once (the sign-in proved ownership), a
shown-in-photo request only once a maintainer approved it (anyone can type the form)."""

import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from optout.models import Photo, RemovalRequest
from optout.requests import review
from tests.support.factories import PhotoFactory, RemovalRequestFactory

pytestmark = pytest.mark.django_db
S = RemovalRequest.Status
SHOWN = RemovalRequest.Kind.SHOWN
RunTasks = Callable[[], list[str]]


def scheduled(client: Client, flickr_id: int) -> bool:
    response = client.post(
        reverse("api_check"), {"photos": [str(flickr_id)]}, content_type="application/json"
    )
    (result,) = response.json()["results"]
    return bool(result["scheduled_for_removal"])


def opted_out(client: Client, flickr_id: int) -> bool:
    response = client.post(reverse("api_spawning_urls"), str(flickr_id), content_type="text/plain")
    (answer,) = response.json()["urls"]
    return bool(answer["optOut"])


def test_a_confirmed_but_unreviewed_report_changes_neither_public_answer(
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    run_tasks: RunTasks,
) -> None:
    PhotoFactory(flickr_id=8_100)
    form = {
        "email": "stranger@example.org",
        "links": "8100",
        "relation": "I am in it",
        "statement": "Take it down.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("report"), form)
    run_tasks()
    confirm = re.search(r"/confirm/[A-Za-z0-9_-]+/", str(mail.outbox[0].body))
    assert confirm
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm.group(0))
    removal = RemovalRequest.objects.get()
    assert removal.status == S.NEEDS_REVIEW

    assert not scheduled(client, 8_100)
    assert not opted_out(client, 8_100)

    review.request_approve(removal=removal, actor="maintainer:ana")

    assert scheduled(client, 8_100)
    assert opted_out(client, 8_100)


@pytest.mark.parametrize(
    ("status", "counts"),
    [
        (S.PENDING_EMAIL, False),
        (S.NEEDS_REVIEW, False),
        (S.APPROVED, True),
        (S.DELETING, True),
        (S.FAILED, True),  # approved; the maintainers retry it
        (S.REJECTED, False),
        (S.CANCELLED, False),
    ],
)
def test_a_shown_in_photo_request_counts_only_once_a_maintainer_approved_it(
    client: Client, status: str, counts: bool
) -> None:
    photo = PhotoFactory(flickr_id=8_200)
    RemovalRequestFactory(kind=SHOWN, status=status, owner_nsid="", photos=[photo])
    assert scheduled(client, 8_200) is counts
    assert opted_out(client, 8_200) is counts


def test_an_owner_request_counts_from_the_moment_it_is_filed(client: Client) -> None:
    verified, waiting = PhotoFactory(flickr_id=8_300), PhotoFactory(flickr_id=8_400)
    RemovalRequestFactory(status=S.VERIFIED, photos=[verified])
    RemovalRequestFactory(status=S.NEEDS_REVIEW, photos=[waiting])
    assert scheduled(client, 8_300) and scheduled(client, 8_400)
    assert opted_out(client, 8_300) and opted_out(client, 8_400)


def test_a_photo_a_completed_report_removed_is_removed_not_scheduled(client: Client) -> None:
    photo = PhotoFactory(flickr_id=8_500, state=Photo.State.REMOVED)
    RemovalRequestFactory(kind=SHOWN, status=S.COMPLETED, owner_nsid="", photos=[photo])
    response = client.post(
        reverse("api_check"), {"photos": ["8500"]}, content_type="application/json"
    )
    (result,) = response.json()["results"]
    assert (result["removed"], result["scheduled_for_removal"]) == (True, False)
    assert opted_out(client, 8_500)
