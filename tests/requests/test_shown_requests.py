"""A person shown in a photo they do not own: the form, email confirmation, review, expiry."""

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from optout import secret_links, tasks
from optout.lookup import base58_encode
from optout.models import Photo, RemovalRequest, RequestEvent, RequestLink
from optout.requests import confirmation, filing
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.mail import html_part

pytestmark = pytest.mark.django_db
S = RemovalRequest.Status
RunTasks = Callable[[], list[str]]


@pytest.fixture
def photos() -> list[Photo]:
    dif = DatasetFactory(slug="dif", name="Diversity in Faces")
    return [PhotoFactory(dataset=dif, flickr_id=flickr_id) for flickr_id in (8_100, 8_200)]


def form(**changes: str) -> dict[str, str]:
    return {
        "email": "sam@example.org",
        "links": "https://www.flickr.com/photos/someone/8100/\nhttps://flic.kr/p/"
        + base58_encode(8_200),
        "relation": "I am the person in them",
        "statement": "They were taken at a party without asking me.",
        "contact": "",
        **changes,
    }


def test_the_form_asks_for_links_relation_statement_and_email(client: Client) -> None:
    page = client.get(reverse("report")).content.decode()
    for label in (
        'for="links"',
        'for="relation"',
        'for="statement"',
        'for="email"',
        'for="contact"',
    ):
        assert label in page


def test_a_filed_request_waits_for_the_email_then_goes_to_review(
    client: Client,
    photos: list[Photo],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    run_tasks: RunTasks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("report"), form(contact="+1 555 0100"))
    assert response.status_code == 200
    removal = RemovalRequest.objects.get()
    assert f"We have your request <strong>{removal.public_id}</strong>" in response.content.decode()
    assert (removal.kind, removal.status) == (RemovalRequest.Kind.SHOWN, S.PENDING_EMAIL)
    assert set(removal.photos.all()) == set(photos)
    assert removal.relation == "I am the person in them"
    assert removal.contact == "+1 555 0100"
    assert "flic.kr/p/" in removal.photo_links

    run_tasks()
    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]
    assert "2 photos that show you" in message.body
    confirm = re.search(r"http://testserver(/confirm/[A-Za-z0-9_-]+/)", str(message.body))
    assert confirm, message.body

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(confirm.group(1))
    assert confirmed.status_code == 200
    removal.refresh_from_db()
    assert removal.status == S.NEEDS_REVIEW
    assert removal.events.filter(to_status=S.NEEDS_REVIEW, actor="requester").exists()

    status = re.search(r"http://testserver(/r/[A-Za-z0-9_-]+/)", str(message.body))
    assert status, message.body
    page = client.get(status.group(1)).content.decode()
    assert '<li class="now" aria-current="step">\n    Under review' in page
    assert "I am the person in them" in page
    assert "Flickr account" not in page


def test_links_that_are_in_no_dataset_are_reported_back_and_nothing_is_filed(
    client: Client, photos: list[Photo]
) -> None:
    links = "8100\nhttps://www.flickr.com/photos/someone/9999/\nhttps://example.com/me.jpg"
    response = client.post(reverse("report"), form(links=links))
    page = response.content.decode()
    assert response.status_code == 400
    assert "“https://www.flickr.com/photos/someone/9999/” is not in any dataset we cover." in page
    assert "“https://example.com/me.jpg”: That is a link to example.com, not to Flickr." in page
    assert links.splitlines()[0] in page  # what they typed stays in the box
    assert not RemovalRequest.objects.exists()


def test_a_link_to_an_account_is_not_a_photo(client: Client, photos: list[Photo]) -> None:
    response = client.post(reverse("report"), form(links="12345678@N01"))
    assert response.status_code == 400
    assert "This names an account, not one photo." in response.content.decode()


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("email", "Give an email address"),
        ("links", "Give at least one photo link or photo id."),
        ("relation", "Tell us how you relate to the photos"),
        ("statement", "why these photos should go"),
    ],
)
def test_each_missing_field_gets_its_own_message(
    client: Client, photos: list[Photo], field: str, message: str
) -> None:
    response = client.post(reverse("report"), form(**{field: ""}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not RemovalRequest.objects.exists()


def test_an_invalid_email_is_refused(client: Client, photos: list[Photo]) -> None:
    response = client.post(reverse("report"), form(email="sam at example"))
    assert response.status_code == 400
    assert "Enter an email address like name@example.org." in response.content.decode()


def _filed(days_ago: float, email: str = "") -> RemovalRequest:
    # One address per request: an address waiting for its confirmation takes no second one.
    removal = filing.shown_request_create(
        email=email or f"sam{RemovalRequest.objects.count()}@example.org",
        links_text="8100",
        relation="me",
        statement="please",
    )
    RemovalRequest.objects.filter(pk=removal.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return removal


def test_unconfirmed_requests_are_deleted_after_seven_days(photos: list[Photo]) -> None:
    stale = _filed(days_ago=7.1)
    fresh = _filed(days_ago=6.9)
    confirmed = _filed(days_ago=8)
    RemovalRequest.objects.filter(pk=confirmed.pk).update(
        email_confirmed_at=timezone.now(), status=S.NEEDS_REVIEW
    )

    assert tasks.shown_unconfirmed_purge() == 1

    assert not RemovalRequest.objects.filter(pk=stale.pk).exists()
    assert not RequestEvent.objects.filter(request_id=stale.pk).exists()
    assert RemovalRequest.objects.filter(pk=fresh.pk).exists()
    assert RemovalRequest.objects.filter(pk=confirmed.pk).exists()
    assert Photo.objects.count() == 2  # the photos themselves stay


def test_the_purge_runs_hourly_from_beat() -> None:

    entry = settings.CELERY_BEAT_SCHEDULE["shown-unconfirmed-purge"]
    assert entry["task"] == "optout.tasks.shown_unconfirmed_purge"


def test_an_unconfirmed_shown_in_photo_request_gets_one_reminder_before_it_goes(
    photos: list[Photo],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    run_tasks: RunTasks,
) -> None:
    due = _filed(days_ago=3)
    _filed(days_ago=1)  # not yet
    _filed(days_ago=7.5)  # past its week: the purge takes it, no link to send
    confirmed = _filed(days_ago=3)
    RemovalRequest.objects.filter(pk=confirmed.pk).update(
        email_confirmed_at=timezone.now(), status=S.NEEDS_REVIEW
    )
    run_tasks()
    mail.outbox.clear()  # the receipts of filing

    with django_capture_on_commit_callbacks(execute=True):
        assert confirmation.confirm_reminders_send() == 1
    run_tasks()

    (message,) = mail.outbox
    due.refresh_from_db()
    purge_on = due.created_at + timedelta(days=7)
    assert message.subject == (
        f"Please confirm your email, or request {due.public_id} is deleted on "
        f"{purge_on.day} {purge_on:%B}"
    )
    assert "/confirm/" in message.body
    assert "Nothing happens until you confirm" in message.body
    assert f"On {due.created_at.day} {due.created_at:%B} you asked us" in message.body
    assert "goes ahead without waiting for you" not in message.body  # the owner's reminder
    assert "/confirm/" in html_part(message)
    # The new link confirms it, and the request goes on to the maintainers.
    found = re.search(r"/confirm/([A-Za-z0-9_-]+)/", str(message.body))
    assert found, message.body
    confirmation.email_confirm(token=found.group(1))
    due.refresh_from_db()
    assert due.status == S.NEEDS_REVIEW
    assert confirmation.confirm_reminders_send() == 0


# One confirmation at a time per address: the form cannot be used to flood an inbox.


def test_a_second_report_for_an_unconfirmed_address_sends_nothing_and_says_check_your_inbox(
    client: Client,
    photos: list[Photo],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    run_tasks: RunTasks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("report"), form())
    run_tasks()
    assert len(mail.outbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("report"), form(email="Sam@Example.ORG", links="8200"))
    run_tasks()

    page = again.content.decode()
    assert again.status_code == 200
    assert "Check your inbox" in page
    assert "We already sent a confirmation link to <strong>Sam@Example.ORG</strong>" in page
    assert "Nothing new was sent and this report is not filed yet" in page
    assert ">8200</textarea>" in page  # what they typed stays, to send once confirmed
    assert RemovalRequest.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_unconfirmed_report_gets_one_reminder_however_often_the_form_is_sent(
    photos: list[Photo],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    run_tasks: RunTasks,
) -> None:
    _filed(days_ago=3, email="sam@example.org")
    for _ in range(3):
        with pytest.raises(filing.ConfirmationPending):
            _filed(days_ago=0, email="SAM@example.org")
    run_tasks()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert confirmation.confirm_reminders_send() == 1
    run_tasks()
    assert [m.to for m in mail.outbox] == [["sam@example.org"]]


def test_once_the_first_report_is_confirmed_the_address_can_file_another(
    photos: list[Photo],
) -> None:
    first = _filed(days_ago=0, email="sam@example.org")
    token = secret_links.link_mint(removal=first, purpose=RequestLink.Purpose.CONFIRM)
    confirmation.email_confirm(token=token)

    second = _filed(days_ago=0, email="sam@example.org")

    assert second.pk != first.pk
    assert second.status == S.PENDING_EMAIL


def test_once_the_first_report_expired_unconfirmed_the_address_can_file_another(
    photos: list[Photo],
) -> None:
    _filed(days_ago=7.1, email="sam@example.org")  # its link is dead; the purge has not run
    assert _filed(days_ago=0, email="sam@example.org").status == S.PENDING_EMAIL
    tasks.shown_unconfirmed_purge()
    assert RemovalRequest.objects.count() == 1


def test_a_cancelled_unconfirmed_report_does_not_block_the_address(photos: list[Photo]) -> None:
    first = _filed(days_ago=0, email="sam@example.org")
    filing.request_cancel(removal=first)
    assert _filed(days_ago=0, email="sam@example.org").pk != first.pk


def test_another_address_is_not_blocked(photos: list[Photo]) -> None:
    _filed(days_ago=0, email="sam@example.org")
    assert _filed(days_ago=0, email="kim@example.org").status == S.PENDING_EMAIL
