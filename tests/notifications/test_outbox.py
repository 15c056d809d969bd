"""The email outbox: the EmailLog row is written with the change that causes the
email, the sweeper sends what is due, retries wait in the row, and however many
messages the broker carries for one email, it is sent once.

Messages go through the real broker and are run by `run_tasks` (not eager mode);
the provider is anymail's test backend with failures on demand (flaky_mail).
Time moves by writing the rows' timestamps, never by waiting.
"""

import queue as stdlib_queue
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from config.celery import app
from optout import queue, secret_links, tasks, workflow
from optout.admin.dashboard import dashboard_figures
from optout.admin.group import maintainers_group_ensure
from optout.models import EmailLog, RemovalRequest, RequestEvent
from optout.notifications import emails
from optout.requests import confirmation, filing
from tests.support import flaky_mail
from tests.support.factories import PhotoFactory, RemovalRequestFactory

pytestmark = pytest.mark.django_db
S = RemovalRequest.Status
E = EmailLog.Outcome
RunTasks = Callable[[], list[str]]
LONG_AGO = timedelta(hours=1)


class Rollback(Exception):
    """Raised inside a transaction to undo it."""


@pytest.fixture
def settled(run_tasks: RunTasks) -> RunTasks:
    """The broker, emptied before and after the test; returns run_tasks."""
    return run_tasks


def messages_waiting() -> list[tuple[str, list[Any]]]:
    """Take every message off the broker without running it: (task name, args)."""
    taken: list[tuple[str, list[Any]]] = []
    with app.connection_for_read() as conn:
        simple = conn.SimpleQueue("celery")
        try:
            while True:
                try:
                    message = simple.get(block=False)
                except stdlib_queue.Empty:
                    break
                args, _kwargs, _embed = message.decode()
                message.ack()
                taken.append((message.headers["task"], list(args)))
        finally:
            simple.close()
    return taken


def row(removal: RemovalRequest, kind: str) -> EmailLog:
    return EmailLog.objects.get(request=removal, kind=kind)


def age(entry: EmailLog, **fields: object) -> None:
    """Move an email's clock back: a message sent long ago, a retry due by now."""
    EmailLog.objects.filter(pk=entry.pk).update(**fields)


def enqueued(removal: RemovalRequest, kind: str) -> EmailLog:
    """`kind` written to the outbox with its change, committed, its task sent."""
    entry = emails.email_enqueue(removal=removal, kind=kind)
    assert entry is not None
    return entry


def subjects() -> list[str]:
    return [str(message.subject) for message in mail.outbox]


# Written with the change


def test_filing_writes_the_first_email_in_its_own_transaction_and_a_rollback_takes_both(
    settings: Settings, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    settings.AUTO_APPROVE_OWNER_REQUESTS = False
    PhotoFactory(owner_nsid="1234@N01")
    identity = filing.Identity(nsid="1234@N01", username="bee")
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        filed = filing.request_create(
            identity=identity, email="bee@example.org", photo_ids=None, future_releases=False
        )
        entry = row(filed.removal, "received")
        assert (entry.outcome, entry.attempts, entry.to) == (E.QUEUED, 0, "bee@example.org")
        raise Rollback
    assert not RemovalRequest.objects.exists()
    assert not EmailLog.objects.exists()  # no email for a request that never was
    assert callbacks == []  # and no task for it

    filed = filing.request_create(
        identity=identity, email="bee@example.org", photo_ids=None, future_releases=False
    )
    entry = row(filed.removal, "received")
    assert entry.outcome == E.QUEUED and entry.next_attempt_at is not None
    assert entry.next_attempt_at <= timezone.now()  # due at once


def test_a_move_writes_its_news_with_it_and_a_rolled_back_move_writes_none() -> None:
    removal = RemovalRequestFactory(status=S.VERIFIED)
    with pytest.raises(Rollback), transaction.atomic():
        workflow.request_move(removal=removal, to=S.CANCELLED, actor="requester")
        assert row(removal, "cancelled").outcome == E.QUEUED
        raise Rollback
    assert not EmailLog.objects.exists()

    removal.refresh_from_db()
    workflow.request_move(removal=removal, to=S.CANCELLED, actor="requester")
    assert row(removal, "cancelled").outcome == E.QUEUED


def test_status_news_for_an_unconfirmed_address_is_not_written_and_confirming_sends_the_latest(
    settled: RunTasks, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    removal = RemovalRequestFactory(status=S.VERIFIED, email_confirmed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        enqueued(removal, "received")
        workflow.request_move(removal=removal, to=S.CANCELLED, actor="requester")
    assert list(EmailLog.objects.values_list("kind", flat=True)) == ["received"]
    settled()
    confirm_link = next(part for part in mail.outbox[0].body.split() if "/confirm/" in part)
    token = confirm_link.rstrip("/").split("/")[-1]

    with django_capture_on_commit_callbacks(execute=True):
        confirmation.email_confirm(token=token)
    settled()
    # Two messages, two tasks: the broker does not promise which a worker takes first.
    assert sorted(subjects()[1:]) == [
        f"Email confirmed for removal request {removal.public_id}",
        f"Removal request {removal.public_id} is cancelled",
    ]


def test_an_email_is_written_once_per_request_and_kind() -> None:
    removal = RemovalRequestFactory(status=S.APPROVED)
    first = enqueued(removal, "approved")
    again = enqueued(removal, "approved")
    assert first.pk == again.pk
    assert EmailLog.objects.count() == 1


# The sweeper


def test_a_broker_down_at_filing_leaves_the_email_to_the_next_sweep(
    settled: RunTasks,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    removal = RemovalRequestFactory(status=S.VERIFIED, email_confirmed_at=None)

    def broker_down(*args: object, **kwargs: object) -> None:
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(queue.current_app, "send_task", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            entry = enqueued(removal, "received")
    entry.refresh_from_db()
    assert (entry.outcome, entry.enqueued_at) == (E.QUEUED, None)  # no task went out
    assert settled() == []

    assert tasks.email_sweep() == 1  # what beat runs every EMAIL_SWEEP_EVERY_SECONDS
    assert settled() == ["optout.tasks.email_send"]
    assert subjects() == [
        f"We have your removal request {removal.public_id}: please confirm your email"
    ]
    assert emails.emails_sweep() == 0


def test_the_sweeper_sends_what_is_due_and_nothing_else(settled: RunTasks) -> None:
    now = timezone.now()
    removals = {
        name: RemovalRequestFactory(status=S.APPROVED)
        for name in (
            "lost message",
            "message in the broker",
            "retry due",
            "retry later",
            "sent",
            "worker killed while sending",
            "worker sending now",
            "given up",
            "never enqueued",
        )
    }
    entries = {name: enqueued(removal, "approved") for name, removal in removals.items()}
    age(entries["lost message"], enqueued_at=now - LONG_AGO)
    age(entries["retry due"], attempts=1, next_attempt_at=now, enqueued_at=None)
    age(entries["retry later"], attempts=1, next_attempt_at=now + LONG_AGO, enqueued_at=None)
    age(entries["sent"], outcome=E.SENT, enqueued_at=now - LONG_AGO)
    killed = now - LONG_AGO
    age(
        entries["worker killed while sending"],
        outcome=E.SENDING,
        attempts=1,
        claimed_at=killed,
        enqueued_at=killed,
    )
    age(entries["worker sending now"], outcome=E.SENDING, attempts=1, claimed_at=now)
    age(entries["given up"], outcome=E.FAILED, attempts=8, enqueued_at=now - LONG_AGO)
    age(entries["never enqueued"], enqueued_at=None)

    assert emails.emails_sweep() == 4
    sent_for = {args[0] for _, args in messages_waiting()}
    due = {"lost message", "retry due", "worker killed while sending", "never enqueued"}
    assert sent_for == {removals[name].pk for name in due}
    assert emails.emails_sweep() == 0  # each has its task now


def test_an_email_of_a_deleted_request_is_skipped_not_sent(settled: RunTasks) -> None:
    removal = RemovalRequestFactory(kind=RemovalRequest.Kind.SHOWN, email_confirmed_at=None)
    entry = enqueued(removal, "shown_received")
    age(entry, enqueued_at=None)
    removal.delete()  # an unconfirmed report, purged
    assert emails.emails_sweep() == 0
    entry.refresh_from_db()
    assert entry.outcome == E.SKIPPED


def test_a_reminder_for_an_address_confirmed_meanwhile_is_skipped(settled: RunTasks) -> None:
    removal = RemovalRequestFactory(email_confirmed_at=None)
    entry = enqueued(removal, "confirm_reminder")
    RemovalRequest.objects.filter(pk=removal.pk).update(email_confirmed_at=timezone.now())
    outcome = emails.email_deliver(request_id=removal.pk, kind="confirm_reminder")
    assert outcome.reason == "already confirmed"
    entry.refresh_from_db()
    assert entry.outcome == E.SKIPPED
    age(entry, enqueued_at=None)
    assert emails.emails_sweep() == 0
    assert mail.outbox == []


# Retries in the row


def test_the_backoff_doubles_with_jitter_up_to_its_cap(settings: Settings) -> None:
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 30
    settings.EMAIL_RETRY_BACKOFF_MAX_SECONDS = 3600
    for attempts, base in ((1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (20, 3600)):
        delays = {emails.backoff(attempts) for _ in range(20)}
        assert all(0.8 * base <= delay <= 1.2 * base for delay in delays), (attempts, delays)
        assert len(delays) > 1  # jittered: an outage does not bring all back at once


def test_a_provider_outage_waits_in_the_row_and_the_email_goes_once(
    settled: RunTasks, settings: Settings
) -> None:
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 30
    removal = RemovalRequestFactory(status=S.APPROVED)
    entry = enqueued(removal, "approved")
    flaky_mail.EmailBackend.failures[:] = [
        flaky_mail.provider_error(503, "busy"),
        flaky_mail.provider_error(429, "slow down"),
    ]
    waits = []
    for attempt in (1, 2):
        before = timezone.now()
        outcome = emails.email_deliver(request_id=removal.pk, kind="approved")
        assert outcome.reason.startswith(f"attempt {attempt} failed")
        entry.refresh_from_db()
        assert (entry.outcome, entry.attempts, entry.enqueued_at) == (E.QUEUED, attempt, None)
        assert entry.next_attempt_at is not None
        waits.append((entry.next_attempt_at - before).total_seconds())
        # Not due yet: neither the sweeper nor a stray message sends it.
        assert emails.emails_sweep() == 0
        assert emails.email_deliver(request_id=removal.pk, kind="approved").reason.startswith(
            "not due until"
        )
        age(entry, next_attempt_at=timezone.now())
        assert emails.emails_sweep() == 1
        messages_waiting()
    assert 24 <= waits[0] <= 36 and 48 <= waits[1] <= 72
    assert "slow down" in entry.error

    assert emails.email_deliver(request_id=removal.pk, kind="approved").sent
    assert emails.emails_sweep() == 0
    entry.refresh_from_db()
    assert (entry.outcome, entry.attempts) == (E.SENT, 3)
    assert subjects() == [f"Removal request {removal.public_id} is approved and queued"]


def test_a_network_error_is_retried_like_an_outage(settled: RunTasks) -> None:
    removal = RemovalRequestFactory(status=S.APPROVED)
    entry = enqueued(removal, "approved")
    flaky_mail.EmailBackend.failures[:] = [requests.ConnectionError("connection reset")]
    emails.email_deliver(request_id=removal.pk, kind="approved")
    entry.refresh_from_db()
    assert entry.outcome == E.QUEUED and "connection reset" in entry.error


def test_a_refusal_fails_the_email_for_good_at_once(settled: RunTasks) -> None:
    removal = RemovalRequestFactory(status=S.APPROVED)
    entry = enqueued(removal, "approved")
    flaky_mail.EmailBackend.failures[:] = [flaky_mail.provider_error(422, "bad address")]
    outcome = emails.email_deliver(request_id=removal.pk, kind="approved")
    assert outcome.reason == "refused by the provider"
    entry.refresh_from_db()
    assert (entry.outcome, entry.attempts) == (E.FAILED, 1)
    age(entry, enqueued_at=None, next_attempt_at=timezone.now() - LONG_AGO)
    assert emails.emails_sweep() == 0
    (event,) = removal.events.filter(kind=RequestEvent.Kind.EMAIL_FAILED)
    assert "was refused by the provider" in event.why and "bad address" in event.why


@pytest.fixture
def maintainer_client(client: Client) -> Client:
    user = User.objects.create_user("mia@example.org", "mia@example.org", "pw", is_staff=True)
    user.groups.add(maintainers_group_ensure())
    client.force_login(user)
    return client


def test_an_email_that_keeps_failing_is_given_up_and_maintainers_see_it(
    settled: RunTasks, settings: Settings, maintainer_client: Client
) -> None:
    settings.EMAIL_MAX_ATTEMPTS = 3
    removal = RemovalRequestFactory(status=S.APPROVED)
    entry = enqueued(removal, "approved")
    flaky_mail.EmailBackend.failures[:] = [flaky_mail.provider_error(503, "busy")] * 3
    for _ in range(3):
        age(entry, next_attempt_at=timezone.now())
        outcome = emails.email_deliver(request_id=removal.pk, kind="approved")
    assert outcome.reason == "failed after 3 attempts"
    entry.refresh_from_db()
    assert (entry.outcome, entry.attempts, entry.next_attempt_at) == (E.FAILED, 3, None)
    assert emails.emails_sweep() == 0
    assert mail.outbox == []

    # The timeline, for maintainers only.
    (event,) = removal.events.filter(kind=RequestEvent.Kind.EMAIL_FAILED)
    assert not event.public
    assert event.why.startswith(f"Our email “approved” to {removal.email} failed on every attempt")
    page = maintainer_client.get(reverse("admin:optout_removalrequest_change", args=[removal.pk]))
    html = page.content.decode()
    assert "email failed" in html and "failed on every attempt" in html
    # The dashboard, and the list it links to.
    assert dashboard_figures()["emails_failing"] == 1
    index = maintainer_client.get(reverse("admin:index")).content.decode()
    assert "Emails failing (last 30 days)" in index
    assert 'id="emails-failing"' in index and ">1</a>" in index.split('id="emails-failing"')[1]
    link = index.split('id="emails-failing"><a href="')[1].split('"')[0].replace("&amp;", "&")
    listed = maintainer_client.get(link)
    assert listed.status_code == 200
    assert removal.email in listed.content.decode() and "1 email" in listed.content.decode()
    one = maintainer_client.get(reverse("admin:optout_emaillog_change", args=[entry.pk]))
    assert one.status_code == 200 and "failed on every attempt" not in one.content.decode()
    assert "ESP API response error" in one.content.decode()  # the last error, in full


def test_a_worker_killed_while_sending_on_its_last_attempt_gives_the_email_up(
    settled: RunTasks, settings: Settings
) -> None:
    settings.EMAIL_MAX_ATTEMPTS = 2
    removal = RemovalRequestFactory(status=S.APPROVED)
    entry = enqueued(removal, "approved")
    age(entry, outcome=E.SENDING, attempts=2, claimed_at=timezone.now() - LONG_AGO)
    assert emails.emails_sweep() == 0
    entry.refresh_from_db()
    assert entry.outcome == E.FAILED and entry.error == emails.STOPPED_ERROR
    assert removal.events.filter(kind=RequestEvent.Kind.EMAIL_FAILED).count() == 1


# Once, whatever the broker carries


def test_a_late_message_then_the_sweepers_send_the_email_once(
    settled: RunTasks, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    removal = RemovalRequestFactory(status=S.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        entry = enqueued(removal, "approved")  # its task waits in the broker, late
    age(entry, enqueued_at=timezone.now() - LONG_AGO)
    assert emails.emails_sweep() == 1  # a second task for the same email

    assert settled() == ["optout.tasks.email_send"] * 2
    assert len(mail.outbox) == 1
    entry.refresh_from_db()
    assert (entry.outcome, entry.attempts) == (E.SENT, 1)


def test_the_sweepers_message_then_a_late_one_send_the_email_once(
    settled: RunTasks, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    removal = RemovalRequestFactory(status=S.APPROVED)
    with django_capture_on_commit_callbacks(execute=False) as late:
        entry = enqueued(removal, "approved")  # its task is held back
    age(entry, enqueued_at=timezone.now() - LONG_AGO)
    assert emails.emails_sweep() == 1
    assert settled() == ["optout.tasks.email_send"]
    assert len(mail.outbox) == 1

    for callback in late:
        callback()  # the late message arrives after all
    assert settled() == ["optout.tasks.email_send"]
    assert len(mail.outbox) == 1
    entry.refresh_from_db()
    assert (entry.outcome, entry.attempts) == (E.SENT, 1)


def test_two_workers_at_the_same_email_at_once_send_it_once(
    settled: RunTasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    removal = RemovalRequestFactory(status=S.APPROVED)
    entry = enqueued(removal, "approved")
    second: list[emails.Outcome] = []
    post = flaky_mail.EmailBackend.post_to_esp

    def while_the_first_sends(self: flaky_mail.EmailBackend, payload: Any, message: Any) -> Any:
        if not second:
            # The other worker's message, taken while this one is at the provider.
            second.append(emails.email_deliver(request_id=removal.pk, kind="approved"))
        return post(self, payload, message)

    monkeypatch.setattr(flaky_mail.EmailBackend, "post_to_esp", while_the_first_sends)
    assert emails.email_deliver(request_id=removal.pk, kind="approved").sent
    assert second == [emails.Outcome(False, "another worker has it")]
    assert len(mail.outbox) == 1
    entry.refresh_from_db()
    assert (entry.outcome, entry.attempts) == (E.SENT, 1)


def test_a_claim_left_by_a_killed_worker_goes_to_the_next_message(settled: RunTasks) -> None:
    removal = RemovalRequestFactory(status=S.APPROVED)
    entry = enqueued(removal, "approved")
    age(entry, outcome=E.SENDING, attempts=1, claimed_at=timezone.now())
    assert emails.email_deliver(request_id=removal.pk, kind="approved").reason == (
        "another worker has it"
    )
    age(entry, claimed_at=timezone.now() - LONG_AGO)
    assert emails.email_deliver(request_id=removal.pk, kind="approved").sent
    entry.refresh_from_db()
    assert (entry.outcome, entry.attempts) == (E.SENT, 2)


@pytest.mark.django_db(transaction=True)
def test_the_links_in_an_email_work_the_moment_the_provider_has_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    removal = RemovalRequestFactory(status=S.VERIFIED, email_confirmed_at=None)
    enqueued(removal, "received")
    seen: list[str] = []
    post = flaky_mail.EmailBackend.post_to_esp

    def provider(self: flaky_mail.EmailBackend, payload: Any, message: Any) -> Any:
        # The person may click before our worker hears back from the provider.
        assert not connection.in_atomic_block  # the links are committed already
        token = message.body.split("/confirm/")[1].split("/")[0]
        seen.append(secret_links.link_find(token=token, purpose="confirm").purpose)
        return post(self, payload, message)

    monkeypatch.setattr(flaky_mail.EmailBackend, "post_to_esp", provider)
    assert emails.email_deliver(request_id=removal.pk, kind="received").sent
    assert seen == ["confirm"]
