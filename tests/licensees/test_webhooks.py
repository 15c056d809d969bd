"""`removals.available` webhooks against a real HTTP receiver on 127.0.0.1 that checks
the Standard Webhooks signature with the `standardwebhooks` package: written with the
completion, sent after commit, each fault of the endpoint retried or paused, and
never sent again once it got a 2xx."""

import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from devtools.webhook_receiver import Received, Receiver, receiver_start
from optout import licensees, queue
from optout.models import Dataset, Licensee, WebhookAttempt, WebhookDelivery
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.licensees import ack_post, feed_get, licensee_register, removal_complete

pytestmark = pytest.mark.django_db
D = WebhookDelivery.Status
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # any secret: the receiver is told it


@pytest.fixture(autouse=True)
def quick(settings: Settings) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_RETRY_BACKOFF_SECONDS = 30


@pytest.fixture
def dif() -> Dataset:
    return DatasetFactory(slug="diversity-in-faces", name="Diversity in Faces")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = receiver_start(secret=SECRET)
    yield started
    started.stop()


def lab_with_webhook(
    dataset: Dataset, url: str, since: datetime | None = None
) -> licensees.Credentials:
    created = licensee_register([dataset], webhook_url=url, since=since)
    # The receiver checks signatures with a secret it knows: give the lab that one.
    Licensee.objects.filter(pk=created.licensee.pk).update(webhook_secret=SECRET)
    return created


def announce(dataset: Dataset, capture: Callable, n: int = 2) -> list[WebhookDelivery]:
    """A removal completes; returns the deliveries it wrote (their tasks not yet run)."""
    with capture(execute=False):
        removal_complete([PhotoFactory(dataset=dataset) for _ in range(n)])
    return list(WebhookDelivery.objects.order_by("pk"))


def due_now(delivery: WebhookDelivery) -> None:
    """Time passes until the delivery's next attempt."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_completed_removal_sends_one_signed_event_the_receiver_verifies(
    client: Client, dif: Dataset, receiver: Receiver, django_capture_on_commit_callbacks: Callable
) -> None:
    lab = lab_with_webhook(dif, receiver.url)
    [delivery] = announce(dif, django_capture_on_commit_callbacks)

    outcome = licensees.webhook_deliver(delivery_id=delivery.pk)

    assert outcome == "delivered (204)"
    [got] = receiver.received
    assert got.error == ""
    assert got.event is not None and got.event["type"] == "removals.available"
    assert got.event["data"]["dataset"] == dif.slug
    assert got.headers["webhook-id"] == delivery.webhook_id
    assert got.headers["webhook-signature"].startswith("v1,")
    # The cursor is one the feed accepts from this licensee, and it reaches the end.
    page = feed_get(client, lab.token, dif.slug, after=None).json()
    assert page["cursor"] == got.event["data"]["cursor"]
    assert (
        ack_post(client, lab.token, dif.slug, got.event["data"]["cursor"]).json()["confirmed"] == 2
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (D.DELIVERED, 1, 204)


def test_the_event_is_sent_by_task_name_once_the_completion_commits(
    dif: Dataset, django_capture_on_commit_callbacks: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab_with_webhook(dif, "http://127.0.0.1:9/hooks")
    sent: list[tuple[str, tuple]] = []

    def enqueue(name: str, *args: object, **kwargs: object) -> bool:
        sent.append((name, args))
        return True

    monkeypatch.setattr(queue, "enqueue", enqueue)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        removal_complete([PhotoFactory(dataset=dif)])
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()

    [delivery] = WebhookDelivery.objects.all()
    assert sent == [(queue.WEBHOOK_SEND, (delivery.pk,))]


def test_only_licensees_whose_copy_holds_the_removal_hear_of_it(
    dif: Dataset, django_capture_on_commit_callbacks: Callable
) -> None:
    ffhq = DatasetFactory(slug="ffhq")
    holder = lab_with_webhook(dif, "http://127.0.0.1:9/a")
    lab_with_webhook(ffhq, "http://127.0.0.1:9/b")  # another dataset
    lab_with_webhook(dif, "http://127.0.0.1:9/c", since=timezone.now() + timedelta(days=1))
    licensee_register([dif])  # no webhook
    revoked = lab_with_webhook(dif, "http://127.0.0.1:9/d")
    licensees.licensee_revoke(licensee=revoked.licensee)

    deliveries = announce(dif, django_capture_on_commit_callbacks)

    assert [d.licensee_id for d in deliveries] == [holder.licensee.pk]


def test_an_endpoint_that_is_down_is_retried_with_backoff_and_the_attempt_logged(
    dif: Dataset, django_capture_on_commit_callbacks: Callable
) -> None:
    lab_with_webhook(dif, f"http://127.0.0.1:{free_port()}/hooks")
    [delivery] = announce(dif, django_capture_on_commit_callbacks)

    outcome = licensees.webhook_deliver(delivery_id=delivery.pk)

    assert outcome.startswith("attempt 1 failed, next at")
    delivery.refresh_from_db()
    assert delivery.status == D.PENDING
    assert timedelta(seconds=20) < delivery.next_attempt_at - timezone.now() < timedelta(seconds=40)
    [attempt] = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code is None and "ConnectionError" in attempt.error
    # Not due yet: another task for it does nothing.
    assert licensees.webhook_deliver(delivery_id=delivery.pk) == "not due, or another worker has it"


def test_an_endpoint_slower_than_the_timeout_is_retried_and_blocks_nothing_else(
    dif: Dataset, django_capture_on_commit_callbacks: Callable
) -> None:
    slow = receiver_start(secret=SECRET, answer=lambda got: (slow.release.wait(30), (200, {}))[1])
    fast = receiver_start(secret=SECRET)
    try:
        slow_lab = lab_with_webhook(dif, slow.url)
        fast_lab = lab_with_webhook(dif, fast.url)
        announce(dif, django_capture_on_commit_callbacks)
        slow_one = WebhookDelivery.objects.get(licensee=slow_lab.licensee)
        fast_one = WebhookDelivery.objects.get(licensee=fast_lab.licensee)

        first = licensees.webhook_deliver(delivery_id=slow_one.pk)
        second = licensees.webhook_deliver(delivery_id=fast_one.pk)

        assert first.startswith("attempt 1 failed, next at ")
        assert first.endswith("no answer within 0.5 s")
        assert second == "delivered (204)"
        assert len(fast.verified()) == 1
    finally:
        slow.stop()
        fast.stop()


@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [
        (500, {}, "HTTP 500 Internal Server Error"),
        (503, {}, "HTTP 503 Service Unavailable"),
        (
            302,
            {"Location": "https://elsewhere.example/"},
            "redirected to https://elsewhere.example/",
        ),
        (400, {}, "HTTP 400 Bad Request"),
    ],
)
def test_an_error_or_a_redirect_is_retried_and_the_redirect_not_followed(
    dif: Dataset,
    django_capture_on_commit_callbacks: Callable,
    status: int,
    headers: dict[str, str],
    error: str,
) -> None:
    answers: Iterator[tuple[int, dict[str, str]]] = iter([(status, headers), (200, {})])
    endpoint = receiver_start(secret=SECRET, answer=lambda got: next(answers))
    try:
        lab_with_webhook(dif, endpoint.url)
        [delivery] = announce(dif, django_capture_on_commit_callbacks)

        failed = licensees.webhook_deliver(delivery_id=delivery.pk)
        due_now(delivery)
        delivered = licensees.webhook_deliver(delivery_id=delivery.pk)

        assert error in failed
        assert delivered == "delivered (200)"
        assert len(endpoint.received) == 2  # the redirect's target never called
        ids = {got.headers["webhook-id"] for got in endpoint.received}
        bodies = {got.body for got in endpoint.received}
        assert ids == {delivery.webhook_id} and len(bodies) == 1  # the same event, twice
        tries = WebhookAttempt.objects.filter(delivery=delivery).order_by("at", "pk")
        assert [t.status_code for t in tries] == [status, 200]
    finally:
        endpoint.stop()


def test_a_410_pauses_the_webhook_until_a_maintainer_resumes_it(
    dif: Dataset, django_capture_on_commit_callbacks: Callable
) -> None:
    answers: Iterator[tuple[int, dict[str, str]]] = iter([(410, {}), (204, {})])
    endpoint = receiver_start(secret=SECRET, answer=lambda got: next(answers))
    try:
        lab = lab_with_webhook(dif, endpoint.url)
        [delivery] = announce(dif, django_capture_on_commit_callbacks)

        assert licensees.webhook_deliver(delivery_id=delivery.pk) == "paused (410)"
        lab.licensee.refresh_from_db()
        assert lab.licensee.webhook_paused_at is not None
        assert "410 Gone" in lab.licensee.webhook_paused_why
        # While paused, new removals write no events, and the sweeper sends none.
        announce(dif, django_capture_on_commit_callbacks)
        assert WebhookDelivery.objects.filter(status=D.PENDING).count() == 0
        assert licensees.webhooks_sweep() == 0

        with django_capture_on_commit_callbacks(execute=False):
            [resumed] = licensees.webhook_resume(licensee=lab.licensee)
        assert licensees.webhook_deliver(delivery_id=resumed) == "delivered (204)"
        got = endpoint.received[-1]
        assert got.event is not None
        # The one event after resuming announces everything waiting: the feed's end.
        assert WebhookDelivery.objects.get(pk=resumed).seq == 4
    finally:
        endpoint.stop()


def test_an_event_is_never_sent_again_for_the_same_id_after_a_2xx(
    dif: Dataset, receiver: Receiver, django_capture_on_commit_callbacks: Callable
) -> None:
    lab_with_webhook(dif, receiver.url)
    [delivery] = announce(dif, django_capture_on_commit_callbacks)

    assert licensees.webhook_deliver(delivery_id=delivery.pk) == "delivered (204)"
    # A second task for it (a broker redelivery), and sweeps long after.
    assert licensees.webhook_deliver(delivery_id=delivery.pk) == "already delivered"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        queued_at=timezone.now() - timedelta(hours=1), claimed_at=None
    )
    assert licensees.webhooks_sweep() == 0

    assert len(receiver.received) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_holding_one_event_send_it_once(
    dif: Dataset, django_capture_on_commit_callbacks: Callable
) -> None:
    endpoint = receiver_start(secret=SECRET, answer=lambda got: (200, {}))
    try:
        lab_with_webhook(dif, endpoint.url)
        [delivery] = announce(dif, django_capture_on_commit_callbacks)
        outcomes: list[str] = []
        # The first worker is inside its call to the endpoint when the second comes.

        def second_worker(got: Received) -> None:
            try:
                outcomes.append(licensees.webhook_deliver(delivery_id=delivery.pk))
            finally:
                connection.close()  # this thread's own connection

        endpoint.on_event = second_worker

        outcomes.append(licensees.webhook_deliver(delivery_id=delivery.pk))

        assert outcomes == ["not due, or another worker has it", "delivered (200)"]
        assert len(endpoint.received) == 1
    finally:
        endpoint.stop()


def test_the_sweeper_sends_what_the_broker_lost_and_what_is_due_for_a_retry(
    dif: Dataset,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Callable,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lab_with_webhook(dif, receiver.url)
    [refused] = announce(dif, django_capture_on_commit_callbacks)
    WebhookDelivery.objects.filter(pk=refused.pk).update(queued_at=None)  # the broker was down
    sent: list[int] = []

    def enqueue(name: str, pk: int, **kwargs: object) -> bool:
        sent.append(pk)
        return True

    monkeypatch.setattr(queue, "enqueue", enqueue)

    assert licensees.webhooks_sweep() == 1
    assert licensees.webhooks_sweep() == 0  # queued just now: not again at once
    assert sent == [refused.pk]


def test_a_delivery_is_given_up_after_the_retry_window(
    dif: Dataset, django_capture_on_commit_callbacks: Callable, settings: Settings
) -> None:
    lab_with_webhook(dif, f"http://127.0.0.1:{free_port()}/hooks")
    [delivery] = announce(dif, django_capture_on_commit_callbacks)
    licensees.webhook_deliver(delivery_id=delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.WEBHOOK_RETRY_HOURS, minutes=1)
    )

    licensees.webhooks_sweep()

    delivery.refresh_from_db()
    assert delivery.status == D.FAILED
    assert "ConnectionError" in delivery.last_error


def test_a_newer_event_for_the_same_copy_makes_the_pending_one_moot(
    dif: Dataset, django_capture_on_commit_callbacks: Callable
) -> None:
    lab_with_webhook(dif, f"http://127.0.0.1:{free_port()}/hooks")
    [older] = announce(dif, django_capture_on_commit_callbacks)
    deliveries = announce(dif, django_capture_on_commit_callbacks)

    older.refresh_from_db()
    assert older.status == D.SUPERSEDED
    assert [d.seq for d in deliveries if d.status == D.PENDING] == [4]


def test_a_licensee_registered_after_removals_hears_of_them_at_once(
    dif: Dataset, receiver: Receiver, django_capture_on_commit_callbacks: Callable
) -> None:
    removal_complete([PhotoFactory(dataset=dif) for _ in range(3)])

    with django_capture_on_commit_callbacks(execute=False):
        lab_with_webhook(dif, receiver.url)
    [delivery] = WebhookDelivery.objects.all()

    assert delivery.seq == 3
    assert licensees.webhook_deliver(delivery_id=delivery.pk) == "delivered (204)"


def test_a_receiver_with_the_wrong_secret_refuses_the_signature(
    dif: Dataset, django_capture_on_commit_callbacks: Callable
) -> None:
    other = receiver_start(secret="whsec_" + "A" * 32)
    try:
        lab_with_webhook(dif, other.url)
        [delivery] = announce(dif, django_capture_on_commit_callbacks)
        outcome = licensees.webhook_deliver(delivery_id=delivery.pk)
        [got] = other.received
        assert got.event is None and got.error == "No matching signature found"
        assert "HTTP 400" in outcome
    finally:
        other.stop()
