"""The licensees' daily email: a digest while removals wait, a reminder once the oldest
has waited LICENSEE_ACK_DAYS, at most one a day, none once everything is acknowledged."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from optout import licensees
from optout.models import Dataset, FeedEntry, LicenseeDataset, LicenseeNotice
from tests.support import flaky_mail
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.licensees import ack_post, feed_get, licensee_register, removal_complete
from tests.support.mail import html_part

pytestmark = pytest.mark.django_db
RunTasks = Callable[[], list[str]]
N = LicenseeNotice.Outcome


@pytest.fixture
def dif() -> Dataset:
    return DatasetFactory(slug="diversity-in-faces", name="Diversity in Faces")


def send_due(capture: Callable, run_tasks: RunTasks, now: datetime | None = None) -> int:
    with capture(execute=True):
        written = licensees.digests_send(now=now)
    with capture(execute=True):
        run_tasks()
    return written


def test_contacts_get_a_digest_of_what_waits_with_text_and_html(
    dif: Dataset, run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    lab = licensee_register([dif], name="Lab X", contacts=["a@labx.example", "b@labx.example"])
    removal_complete([PhotoFactory(dataset=dif) for _ in range(3)])

    assert send_due(django_capture_on_commit_callbacks, run_tasks) == 1

    [digest] = mail.outbox
    assert digest.to == ["a@labx.example", "b@labx.example"]
    assert digest.subject == "3 removals to apply to your copy (Lab X)"
    assert "- Diversity in Faces (diversity-in-faces): 3 removals waiting" in digest.body
    assert "http://testserver/api/v1/datasets/diversity-in-faces/removals/feed" in digest.body
    html = html_part(digest)
    assert "<strong>Diversity in Faces</strong>" in html
    notice = LicenseeNotice.objects.get(licensee=lab.licensee)
    assert (notice.kind, notice.outcome, notice.waiting) == ("licensee_digest", N.SENT, 3)


def test_at_most_one_email_a_day_and_none_once_everything_is_acknowledged(
    client: Client, dif: Dataset, run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    lab = licensee_register([dif])
    removal_complete([PhotoFactory(dataset=dif)])
    now = timezone.now()

    first = send_due(django_capture_on_commit_callbacks, run_tasks, now=now)
    same_day = send_due(django_capture_on_commit_callbacks, run_tasks, now=now + timedelta(hours=5))
    next_day = send_due(django_capture_on_commit_callbacks, run_tasks, now=now + timedelta(days=1))
    cursor = feed_get(client, lab.token, dif.slug).json()["cursor"]
    ack_post(client, lab.token, dif.slug, cursor)
    after_ack = send_due(django_capture_on_commit_callbacks, run_tasks, now=now + timedelta(days=2))

    assert (first, same_day, next_day, after_ack) == (1, 0, 1, 0)
    assert len(mail.outbox) == 2


def test_the_email_becomes_a_reminder_once_the_oldest_removal_waited_too_long(
    dif: Dataset,
    run_tasks: RunTasks,
    django_capture_on_commit_callbacks: Callable,
    settings: Settings,
) -> None:
    settings.LICENSEE_ACK_DAYS = 30
    lab = licensee_register([dif], name="Lab Late")
    removal_complete([PhotoFactory(dataset=dif)])
    LicenseeDataset.objects.filter(licensee=lab.licensee).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    FeedEntry.objects.update(published_at=timezone.now() - timedelta(days=31))

    send_due(django_capture_on_commit_callbacks, run_tasks)

    [reminder] = mail.outbox
    assert reminder.subject == "Overdue: removals waiting more than 30 days (Lab Late)"
    assert "the oldest for 31 days (overdue)" in reminder.body


def test_a_licensee_that_just_joined_is_not_overdue_for_older_removals(
    dif: Dataset, run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    removal_complete([PhotoFactory(dataset=dif)])
    FeedEntry.objects.update(published_at=timezone.now() - timedelta(days=90))
    licensee_register([dif])

    send_due(django_capture_on_commit_callbacks, run_tasks)

    [digest] = mail.outbox
    assert digest.subject.startswith("1 removal to apply")


def test_a_failed_send_is_tried_again_by_the_next_pass_and_sent_once(
    dif: Dataset, run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    lab = licensee_register([dif])
    removal_complete([PhotoFactory(dataset=dif)])
    flaky_mail.EmailBackend.failures.append(flaky_mail.provider_error(500, "Server Error"))

    send_due(django_capture_on_commit_callbacks, run_tasks)
    notice = LicenseeNotice.objects.get(licensee=lab.licensee)
    assert notice.outcome == N.FAILED and "500" in notice.error
    send_due(django_capture_on_commit_callbacks, run_tasks)
    send_due(django_capture_on_commit_callbacks, run_tasks)

    notice.refresh_from_db()
    assert (notice.outcome, notice.attempts) == (N.SENT, 2)
    assert len(mail.outbox) == 1


def test_revoked_licensees_get_no_email(
    dif: Dataset, run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    lab = licensee_register([dif])
    removal_complete([PhotoFactory(dataset=dif)])
    licensees.licensee_revoke(licensee=lab.licensee)

    assert send_due(django_capture_on_commit_callbacks, run_tasks) == 0
    assert mail.outbox == []
