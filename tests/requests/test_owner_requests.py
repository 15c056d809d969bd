"""The owner's flow: signed in through the Flickr simulator, choose photos, file,
follow the status page, confirm the email. Emails go through the real broker
and a task run, and land in anymail's test backend."""

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from pytest_django.fixtures import Settings

from devtools.flickr_simulator import FlickrSimulator
from optout import workflow
from optout.models import EmailLog, Photo, RemovalRequest, RequestEvent, RequestLink
from optout.notifications import emails
from optout.requests import confirmation, review
from tests.support import flaky_mail
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.flickr import ANA, BEES, sign_in
from tests.support.mail import html_part
from tests.support.responses import streamed_text

pytestmark = pytest.mark.django_db(transaction=True)
S = RemovalRequest.Status
RunTasks = Callable[[], list[str]]


@pytest.fixture
def bees_photos() -> list[Photo]:
    diversity = DatasetFactory(slug="dif", name="Diversity in Faces", release="1.0")
    ffhq = DatasetFactory(slug="ffhq", name="FFHQ", release="2")
    photos = [
        PhotoFactory(dataset=diversity, owner_nsid=BEES.nsid, title=f"Hive {n}") for n in range(3)
    ]
    photos += [
        PhotoFactory(dataset=ffhq, owner_nsid=BEES.nsid, title=f"Comb {n}") for n in range(2)
    ]
    PhotoFactory(dataset=diversity, owner_nsid=ANA.nsid, title="Not a bee")
    return photos


def signed_in(client: Client) -> Client:
    _, response = sign_in(client, as_user=BEES.nsid)
    assert response.status_code == 302
    assert response["Location"] == reverse("my_photos")
    return client


def file_request(client: Client, **data: object) -> str:
    """Submit the form; returns the status page's path."""
    form = {"scope": "all", "email": "bea@example.org", "action": "file", **data}
    response = client.post(reverse("my_photos"), form)
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def link_in(message: mail.EmailMessage, kind: str) -> str:
    """The path of the status ("r") or confirmation ("confirm") link in an email's text."""
    found = re.search(rf"http://testserver(/{kind}/[A-Za-z0-9_-]+/)", str(message.body))
    assert found, message.body
    return found.group(1)


def test_it_sends_a_visitor_who_is_not_signed_in_to_flickr_first(client: Client) -> None:
    response = client.get(reverse("my_photos"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('flickr_signin')}?next={reverse('my_photos')}"


def test_a_signed_in_owner_sees_their_own_photos_per_dataset(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    page = signed_in(client).get(reverse("my_photos")).content.decode()
    assert "3 photos in Diversity in Faces (release 1.0)" in page
    assert "2 photos in FFHQ (release 2)" in page
    assert "Hive 0" in page and "Comb 1" in page
    assert bees_photos[0].thumbnail_url in page
    assert "Not a bee" not in page


def test_an_owner_files_a_request_for_all_their_photos(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo], run_tasks: RunTasks
) -> None:
    status_path = file_request(signed_in(client), future_releases="on")

    removal = RemovalRequest.objects.get()
    assert removal.owner_nsid == BEES.nsid
    assert removal.flickr_username == BEES.username
    assert removal.future_releases is True
    assert set(removal.photos.all()) == set(bees_photos)
    # Verified on filing, then approved by the default policy.
    assert removal.status == S.APPROVED
    moves = list(removal.events.values_list("from_status", "to_status"))
    assert moves == [("", "verified"), ("verified", "approved")]
    assert removal.deadline.date() == (removal.created_at + timedelta(days=30)).date()

    page = client.get(status_path).content.decode()
    assert f"Request {removal.public_id}: approved" in strip_tags(page)
    assert "Hive 2" in page
    assert "Filed after signing in with Flickr as bees" in page
    assert "Cancel this request" in page


def test_only_a_hash_of_the_status_token_is_stored(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    status_path = file_request(signed_in(client))
    token = status_path.strip("/").split("/")[-1]
    assert len(token) >= 22  # at least 128 bits of base64
    assert RequestLink.objects.filter(
        token_hash=hashlib.sha256(token.encode()).hexdigest()
    ).exists()
    with connection.cursor() as cursor:
        for table in ("optout_requestlink", "optout_removalrequest", "optout_requestevent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
            assert token not in repr(cursor.fetchall())


def test_a_wrong_status_link_gets_the_same_404_as_a_missing_one(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo], run_tasks: RunTasks
) -> None:
    file_request(signed_in(client))
    run_tasks()
    confirm_token = link_in(mail.outbox[0], "confirm").rstrip("/").split("/")[-1]
    wrong = client.get(reverse("request_status", args=["x" * 32]))
    other_purpose = client.get(reverse("request_status", args=[confirm_token]))
    assert wrong.status_code == other_purpose.status_code == 404
    assert wrong.content == other_purpose.content


def test_the_first_email_carries_the_status_and_confirmation_links_and_nothing_more(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo], run_tasks: RunTasks
) -> None:
    file_request(signed_in(client))
    assert mail.outbox == []  # sent by a worker, after commit
    run_tasks()
    # The approval is not news for an address nobody has confirmed yet.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    removal = RemovalRequest.objects.get()
    assert message.to == ["bea@example.org"]
    assert "please confirm your email" in message.subject
    assert removal.public_id in message.subject
    status_url, confirm_url = link_in(message, "r"), link_in(message, "confirm")
    html = html_part(message)
    assert f"http://testserver{status_url}" in html
    assert f"http://testserver{confirm_url}" in html
    assert "5 photos" in message.body
    log = EmailLog.objects.get()
    assert (log.kind, log.outcome, log.to) == ("received", "sent", "bea@example.org")
    assert log.provider_message_id != ""
    assert client.get(status_url).status_code == 200


def test_confirming_takes_a_button_press_and_brings_the_news_missed(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo], run_tasks: RunTasks
) -> None:
    file_request(signed_in(client))
    run_tasks()
    confirm_path = link_in(mail.outbox[0], "confirm")

    # A mail scanner that follows the link confirms nothing.
    page = Client().get(confirm_path)
    assert page.status_code == 200
    assert "Confirm my email address" in page.content.decode()
    assert RemovalRequest.objects.get().email_confirmed_at is None

    done = Client().post(confirm_path)
    assert done.status_code == 200
    assert "your email address is confirmed" in done.content.decode()
    removal = RemovalRequest.objects.get()
    assert removal.email_confirmed_at is not None
    assert removal.events.filter(kind=RequestEvent.Kind.EMAIL_CONFIRMED).count() == 1

    run_tasks()
    subjects = [m.subject for m in mail.outbox[1:]]
    # Approved by policy, the deletion jobs ran before the click: the news missed is the receipt.
    assert sorted(subjects) == sorted(
        [
            f"Email confirmed for removal request {removal.public_id}",
            f"Done: 5 photos removed (request {removal.public_id})",
        ]
    )
    # The link works once.
    assert Client().post(confirm_path).status_code == 404


def test_a_confirmation_link_expires_after_seven_days(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo], run_tasks: RunTasks
) -> None:
    file_request(signed_in(client))
    run_tasks()
    confirm_path = link_in(mail.outbox[0], "confirm")
    RequestLink.objects.filter(purpose="confirm").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = Client().post(confirm_path)
    assert response.status_code == 404
    assert "more than 7 days old" in response.content.decode()
    assert RemovalRequest.objects.get().email_confirmed_at is None


def test_confirming_after_completion_sends_the_receipt(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo], run_tasks: RunTasks
) -> None:
    file_request(signed_in(client))
    run_tasks()  # the receipt email, and the deletion jobs that complete the request
    removal = RemovalRequest.objects.get()
    assert removal.status == S.COMPLETED
    assert len(mail.outbox) == 1  # still unconfirmed: no news yet

    Client().post(link_in(mail.outbox[0], "confirm"))
    run_tasks()
    receipt = next(m for m in mail.outbox if m.subject.startswith("Done:"))
    assert receipt.subject == f"Done: 5 photos removed (request {removal.public_id})"
    assert "Diversity in Faces (release 1.0): 3 photos removed" in receipt.body
    assert str(bees_photos[4].flickr_id) in receipt.body
    assert "approved and queued" not in " ".join(str(m.subject) for m in mail.outbox)

    csv_url = re.search(r"http://testserver(\S+receipt\.csv)", str(receipt.body))
    assert csv_url
    rows = streamed_text(client.get(csv_url.group(1))).splitlines()
    assert rows[0] == "request,dataset,release,photo_id,removed_at,copies_confirmed,copies_known"
    assert len(rows) == 6


def test_the_owner_can_tick_photos_across_pages(
    client: Client,
    flickr_sim: FlickrSimulator,
    bees_photos: list[Photo],
    settings: Settings,
) -> None:
    settings.PHOTOS_PER_PAGE = 2
    signed_in(client)
    first_page = client.get(reverse("my_photos")).content.decode()
    assert "Page 1 of 3" in first_page
    on_page_1 = [int(pk) for pk in re.findall(r'name="photo" value="(\d+)"', first_page)]
    # Tick the first photo, then go to page 2: the tick is kept.
    response = client.post(
        reverse("my_photos"),
        {"page": 1, "scope": "selected", "photo": on_page_1[0], "action": "page:2"},
    )
    assert response["Location"] == f"{reverse('my_photos')}?page=2"
    second_page = client.get(response["Location"]).content.decode()
    on_page_2 = [int(pk) for pk in re.findall(r'name="photo" value="(\d+)"', second_page)]
    file_request(client, page=2, scope="selected", photo=on_page_2[1])

    removal = RemovalRequest.objects.get()
    assert removal.scope == "selected"
    assert set(removal.photos.values_list("pk", flat=True)) == {on_page_1[0], on_page_2[1]}


def test_it_asks_for_an_email_and_a_tick_before_filing(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    signed_in(client)
    no_email = client.post(reverse("my_photos"), {"scope": "all", "email": "", "action": "file"})
    assert no_email.status_code == 400
    assert "Give an email address" in no_email.content.decode()
    bad_email = client.post(
        reverse("my_photos"), {"scope": "all", "email": "bea@", "action": "file"}
    )
    assert "Enter an email address like name@example.org" in bad_email.content.decode()
    nothing_ticked = client.post(
        reverse("my_photos"), {"scope": "selected", "email": "b@example.org", "action": "file"}
    )
    assert nothing_ticked.status_code == 400
    assert "Tick at least one photo" in nothing_ticked.content.decode()
    assert not RemovalRequest.objects.exists()


def test_ticks_with_all_my_photos_chosen_are_questioned_not_taken_as_all(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    # Without JavaScript (which switches the choice on a tick), a person who ticks
    # two photos and leaves "All 5 of my photos" chosen is asked what they meant.
    signed_in(client)
    ticked = [bees_photos[0].pk, bees_photos[1].pk]
    mixed = client.post(
        reverse("my_photos"),
        {"scope": "all", "photo": ticked, "email": "b@example.org", "action": "file"},
    )
    assert mixed.status_code == 400
    text = " ".join(mixed.content.decode().split())
    assert (
        "You ticked 2 photos but chose to remove all your photos. Choose “Only the photos I tick "
        "below” to remove just those, or untick them to remove all." in text
    )
    assert not RemovalRequest.objects.exists()

    file_request(client, scope="selected", photo=ticked)
    removal = RemovalRequest.objects.get()
    assert set(removal.photos.values_list("pk", flat=True)) == set(ticked)


def test_an_owner_with_no_photos_is_told_so_and_no_request_is_made(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo], run_tasks: RunTasks
) -> None:
    sign_in(client, as_user=ANA.nsid)
    Photo.objects.filter(owner_nsid=ANA.nsid).delete()
    run_tasks()  # their photo list on Flickr, read: "none" is then the whole answer
    page = client.get(reverse("my_photos"))
    assert "None of your photos are in the datasets we cover" in page.content.decode()
    response = client.post(
        reverse("my_photos"), {"scope": "all", "email": "ana@example.org", "action": "file"}
    )
    assert response.status_code == 400
    assert not RemovalRequest.objects.exists()


def test_a_second_request_for_the_same_photos_points_to_the_open_one(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    first = file_request(signed_in(client))
    second = file_request(client)
    assert RemovalRequest.objects.count() == 1
    assert second != first  # a fresh link to the same request
    page = client.get(second).content.decode()
    assert "already in your open request" in page
    assert RemovalRequest.objects.get().public_id in page


def test_new_photos_join_an_open_request_that_waits_for_review(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo], settings: Settings
) -> None:
    settings.AUTO_APPROVE_OWNER_REQUESTS = False
    signed_in(client)
    file_request(client, scope="selected", photo=bees_photos[0].pk, page=1)
    removal = RemovalRequest.objects.get()
    assert removal.status == S.NEEDS_REVIEW  # auto-approval off: it waits for a maintainer
    file_request(client)  # now all five
    assert RemovalRequest.objects.count() == 1
    assert removal.photos.count() == 5
    assert removal.events.filter(kind=RequestEvent.Kind.JOINED).count() == 1


def test_the_owner_can_cancel_until_deletion_starts(
    client: Client,
    flickr_sim: FlickrSimulator,
    bees_photos: list[Photo],
    run_tasks: RunTasks,
    settings: Settings,
) -> None:
    settings.AUTO_APPROVE_OWNER_REQUESTS = False
    status_path = file_request(signed_in(client))
    run_tasks()
    Client().post(link_in(mail.outbox[0], "confirm"))
    run_tasks()
    # Approved, its deletion jobs sent but not yet taken by a worker.
    review.request_approve(removal=RemovalRequest.objects.get(), actor="system")
    cancel_path = reverse("request_cancel", args=[status_path.strip("/").split("/")[-1]])

    response = client.post(cancel_path, follow=True)
    assert "is cancelled. Nothing was deleted." in response.content.decode()
    removal = RemovalRequest.objects.get()
    assert removal.status == S.CANCELLED and removal.closed_at is not None
    assert "Cancel this request" not in response.content.decode()
    run_tasks()
    assert mail.outbox[-1].subject == f"Removal request {removal.public_id} is cancelled"
    assert removal.photos.filter(state="present").count() == 5  # the jobs did nothing
    # A second press changes nothing and says why.
    again = client.post(cancel_path, follow=True).content.decode()
    assert "This request can no longer be cancelled" in again


def test_deletion_under_way_cannot_be_cancelled(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo]
) -> None:
    status_path = file_request(signed_in(client))
    removal = RemovalRequest.objects.get()
    workflow.request_move(removal=removal, to=S.DELETING, actor="system")
    page = client.get(status_path).content.decode()
    assert "Cancel this request" not in page
    token = status_path.strip("/").split("/")[-1]
    client.post(reverse("request_cancel", args=[token]))
    assert RemovalRequest.objects.get().status == S.DELETING


def test_two_movers_racing_only_one_wins() -> None:
    removal = _request()
    stale = RemovalRequest.objects.get(pk=removal.pk)
    workflow.request_move(removal=removal, to=S.REJECTED, actor="maintainer:a", why="spam")
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.request_move(removal=stale, to=S.APPROVED, actor="maintainer:b")
    assert "it is now rejected" in refused.value.message
    assert RemovalRequest.objects.get().status == S.REJECTED
    assert RequestEvent.objects.count() == 1


def test_a_move_the_states_do_not_allow_is_refused() -> None:
    removal = _request(status=S.COMPLETED)
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.request_move(removal=removal, to=S.CANCELLED, actor="requester")
    assert refused.value.message == "A request that is completed cannot be cancelled."


def _request(status: str = S.VERIFIED, **fields: object) -> RemovalRequest:
    defaults: dict[str, object] = {
        "public_id": f"R-{RemovalRequest.objects.count():08d}",
        "status": status,
        "owner_nsid": BEES.nsid,
        "email": "bea@example.org",
        "deadline": timezone.now() + timedelta(days=30),
    }
    return RemovalRequest.objects.create(**{**defaults, **fields})


def test_a_provider_outage_is_retried_and_the_message_sent_once() -> None:
    removal = _request(email_confirmed_at=timezone.now(), status=S.APPROVED)
    flaky_mail.EmailBackend.failures[:] = [flaky_mail.provider_error(503, "busy")]
    outcome = emails.email_deliver(request_id=removal.pk, kind="approved")
    assert not outcome.sent and outcome.reason.startswith("attempt 1 failed")
    log = EmailLog.objects.get()
    assert log.outcome == "queued" and "busy" in log.error  # the retry waits in the row
    # Its link stays: a provider that failed may still deliver the message.
    assert RequestLink.objects.count() == 1
    assert not emails.email_deliver(request_id=removal.pk, kind="approved").sent  # not yet due

    EmailLog.objects.update(next_attempt_at=timezone.now())
    assert emails.email_deliver(request_id=removal.pk, kind="approved").sent
    assert not emails.email_deliver(request_id=removal.pk, kind="approved").sent
    sent = [m for m in mail.outbox if "approved" in m.subject]
    assert len(sent) == 1
    log.refresh_from_db()
    assert (log.outcome, log.attempts) == ("sent", 2)


def test_a_message_the_provider_refuses_is_not_retried() -> None:
    removal = _request(email_confirmed_at=timezone.now(), status=S.APPROVED)
    flaky_mail.EmailBackend.failures[:] = [flaky_mail.provider_error(422, "bad address")]
    outcome = emails.email_deliver(request_id=removal.pk, kind="approved")
    assert not outcome.sent and outcome.reason == "refused by the provider"
    assert EmailLog.objects.get().outcome == "failed"


def test_status_news_never_goes_to_an_unconfirmed_address() -> None:
    removal = _request(status=S.APPROVED)
    outcome = emails.email_deliver(request_id=removal.pk, kind="approved")
    assert outcome.reason == "address not confirmed"
    assert mail.outbox == []


def test_a_rejection_email_gives_the_reason() -> None:
    removal = _request(email_confirmed_at=timezone.now(), reject_reason="Not your photo.")
    workflow.request_move(removal=removal, to=S.REJECTED, actor="maintainer:a")
    emails.email_deliver(request_id=removal.pk, kind="rejected")
    message = mail.outbox[0]
    assert "was not accepted" in message.subject
    assert "Their reason: Not your photo." in message.body
    assert "Not your photo." in html_part(message)


def test_a_reminder_goes_out_once_after_two_days(run_tasks: RunTasks) -> None:
    old = _request()
    RemovalRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    _request()  # filed just now: not yet
    _request(email_confirmed_at=timezone.now())  # confirmed: never
    assert confirmation.confirm_reminders_send() == 1
    run_tasks()
    assert [m.subject for m in mail.outbox] == [
        f"Please confirm your email for removal request {old.public_id}"
    ]
    assert "/confirm/" in mail.outbox[0].body
    assert confirmation.confirm_reminders_send() == 0


def _tracking(
    event: Mapping[str, object], auth: str | None = "hook:tests-only-webhook-secret"
) -> int:
    """POSTs a provider event; `auth` is user:password for basic auth, None for no header."""
    headers: dict[str, Any] = {}  # WSGI environ entries, for the client's **extra
    if auth is not None:
        headers["HTTP_AUTHORIZATION"] = f"Basic {base64.b64encode(auth.encode()).decode()}"
    response = Client().post(
        "/anymail/postmark/tracking/",
        data=json.dumps(event),
        content_type="application/json",
        **headers,
    )
    return response.status_code


def test_a_bounce_reported_by_the_provider_shows_on_the_timeline(
    client: Client, flickr_sim: FlickrSimulator, bees_photos: list[Photo], run_tasks: RunTasks
) -> None:
    status_path = file_request(signed_in(client))
    run_tasks()
    log = EmailLog.objects.get()
    bounce = {
        "RecordType": "Bounce",
        "ID": 42,
        "Type": "HardBounce",
        "MessageID": log.provider_message_id,
        "Email": "bea@example.org",
        "BouncedAt": "2026-11-26T10:00:00Z",
        "Description": "The server was unable to deliver your message",
    }
    assert _tracking(bounce) == 200
    log.refresh_from_db()
    assert log.outcome == "bounced"
    page = client.get(status_path).content.decode()
    assert "Our email “received” to bea@example.org bounced" in page


def test_the_provider_can_report_a_delivery(run_tasks: RunTasks) -> None:
    removal = _request()
    emails.email_deliver(request_id=removal.pk, kind="received")
    log = EmailLog.objects.get()
    delivery = {
        "RecordType": "Delivery",
        "MessageID": log.provider_message_id,
        "Recipient": "bea@example.org",
        "DeliveredAt": "2026-11-26T10:00:00Z",
    }
    assert _tracking(delivery) == 200
    log.refresh_from_db()
    assert log.outcome == "delivered"
    assert not removal.events.exists()


@pytest.mark.parametrize(
    "auth",
    [
        "hook:guessed",  # the right user, a wrong secret
        "someone:tests-only-webhook-secret",  # the right secret, a wrong user
        "hook:",
        "tests-only-webhook-secret",  # no user at all
        None,  # no Authorization header
    ],
)
def test_the_tracking_webhook_refuses_a_caller_without_the_secret(auth: str | None) -> None:
    removal = _request()
    emails.email_deliver(request_id=removal.pk, kind="received")
    log = EmailLog.objects.get()
    forged = {"RecordType": "Bounce", "Type": "HardBounce", "MessageID": log.provider_message_id}
    assert _tracking(forged, auth=auth) == 400
    log.refresh_from_db()
    assert log.outcome == "sent"
    assert not removal.events.exists()
