"""The licensees in the maintainers' admin: the list with how far each copy is behind
(overdue first), the dashboard's "n of m licensees up to date", adding a licensee
(token and secret shown once), the actions, the deliveries with their attempts."""

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from optout import licensees
from optout.admin.dashboard import dashboard_figures
from optout.admin.group import maintainers_group_ensure
from optout.licensees import registry
from optout.models import (
    Dataset,
    FeedEntry,
    Licensee,
    LicenseeDataset,
    WebhookAttempt,
    WebhookDelivery,
)
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.licensees import ack_post, feed_get, licensee_register, removal_complete

pytestmark = pytest.mark.django_db
LIST = "admin:optout_licensee_changelist"


@pytest.fixture
def maintainer() -> User:
    user = User.objects.create_user("mia@example.org", "mia@example.org", "pw", is_staff=True)
    user.groups.add(maintainers_group_ensure())
    return user


@pytest.fixture
def admin_client(client: Client, maintainer: User) -> Client:
    client.force_login(maintainer)
    return client


@pytest.fixture
def dif() -> Dataset:
    return DatasetFactory(slug="diversity-in-faces", name="Diversity in Faces")


def overdue(lab: licensees.Credentials, days: int = 45) -> None:
    """The lab's copy has had its waiting removals for `days`."""
    long_ago = timezone.now() - timedelta(days=days)
    LicenseeDataset.objects.filter(licensee=lab.licensee).update(created_at=long_ago)
    FeedEntry.objects.update(published_at=long_ago)


def test_the_list_shows_each_copy_behind_with_the_overdue_first(
    admin_client: Client, client: Client, dif: Dataset
) -> None:
    removal_complete([PhotoFactory(dataset=dif) for _ in range(3)])
    caught_up = licensee_register([dif], name="Aardvark Labs")
    cursor = feed_get(client, caught_up.token, dif.slug).json()["cursor"]
    ack_post(client, caught_up.token, dif.slug, cursor)
    licensee_register([dif], name="Behind Inc")
    late = licensee_register([dif], name="Zebra Late")
    overdue(late)

    page = admin_client.get(reverse(LIST)).content.decode()

    order = [page.index(name) for name in ("Zebra Late", "Behind Inc", "Aardvark Labs")]
    assert order == sorted(order)
    assert "3 waiting, oldest 45 d (overdue)" in page
    assert "diversity-in-faces</strong>: up to date; read " in page
    assert "45 d (overdue)" in page


def test_the_copies_list_puts_the_overdue_copy_first(admin_client: Client, dif: Dataset) -> None:
    removal_complete([PhotoFactory(dataset=dif)])
    licensee_register([dif], name="Fresh")
    # Both wait for the same removal; the stale copy has been registered for long.
    overdue(licensee_register([dif], name="Stale"))

    page = admin_client.get(reverse("admin:optout_licenseedataset_changelist")).content.decode()

    assert page.index("Stale") < page.index("Fresh")


def test_the_dashboard_says_how_many_licensees_are_up_to_date(
    admin_client: Client, client: Client, dif: Dataset
) -> None:
    removal_complete([PhotoFactory(dataset=dif)])
    done = licensee_register([dif])
    ack_post(client, done.token, dif.slug, feed_get(client, done.token, dif.slug).json()["cursor"])
    licensee_register([dif])
    overdue(licensee_register([dif]))
    licensees.licensee_revoke(licensee=licensee_register([dif]).licensee)

    figures = dashboard_figures()
    page = admin_client.get(reverse("admin:index")).content.decode()

    summary = figures["licensees"]
    assert isinstance(summary, licensees.Summary)
    assert (summary.up_to_date, summary.licensees, summary.overdue) == (1, 3, 1)
    assert re.search(r'id="licensees-up-to-date"><a [^>]+>1 of 3</a>', page)
    assert "1 overdue: a removal unacknowledged for more than 30 days." in page


def test_adding_a_licensee_shows_its_token_and_secret_once(
    admin_client: Client, client: Client, dif: Dataset
) -> None:
    form = {
        "name": "Lab Admin",
        "contacts": "data@lab.example\nops@lab.example",
        "language": "en",
        "webhook_url": "https://lab.example/hooks",
        "holdings-TOTAL_FORMS": "1",
        "holdings-INITIAL_FORMS": "0",
        "holdings-0-dataset": str(dif.pk),
        "holdings-0-since": "",
        "deliveries-TOTAL_FORMS": "0",
        "deliveries-INITIAL_FORMS": "0",
        "notices-TOTAL_FORMS": "0",
        "notices-INITIAL_FORMS": "0",
    }

    page = admin_client.post(reverse("admin:optout_licensee_add"), form).content.decode()

    token = re.search(r"<code[^>]*>(optl_[^<]+)</code>", page)
    secret = re.search(r"<code[^>]*>(whsec_[^<]+)</code>", page)
    assert token and secret, page
    assert "they are shown only on this page" in page
    lab = Licensee.objects.get(name="Lab Admin")
    assert lab.token_hash == registry.token_hash(token.group(1))
    assert lab.webhook_secret == secret.group(1)
    assert feed_get(client, token.group(1), dif.slug).status_code == 200
    change = admin_client.get(reverse("admin:optout_licensee_change", args=[lab.pk]))
    assert token.group(1) not in change.content.decode()


def test_rotating_asks_first_then_shows_the_new_token_once(
    admin_client: Client, client: Client, dif: Dataset
) -> None:
    lab = licensee_register([dif], name="Lab R")
    data = {"action": "rotate_token", "index": "0", "_selected_action": [str(lab.licensee.pk)]}

    asked = admin_client.post(reverse(LIST), data).content.decode()
    assert (
        "Rotate the API token" in asked and feed_get(client, lab.token, dif.slug).status_code == 200
    )
    shown = admin_client.post(reverse(LIST), {**data, "apply": "1"}).content.decode()

    new = re.search(r"<code[^>]*>(optl_[^<]+)</code>", shown)
    assert new
    assert feed_get(client, lab.token, dif.slug).status_code == 401
    assert feed_get(client, new.group(1), dif.slug).status_code == 200


def test_revoking_and_resuming_from_the_list(
    admin_client: Client, client: Client, dif: Dataset, django_capture_on_commit_callbacks: Callable
) -> None:
    revoked = licensee_register([dif], name="Lab Gone")
    paused = licensee_register([dif], name="Lab Paused", webhook_url="https://p.example/h")
    Licensee.objects.filter(pk=paused.licensee.pk).update(webhook_paused_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        removal_complete([PhotoFactory(dataset=dif)])

    admin_client.post(
        reverse(LIST),
        {"action": "revoke", "index": "0", "_selected_action": [revoked.licensee.pk], "apply": "1"},
        follow=True,
    )
    with django_capture_on_commit_callbacks(execute=False):
        resumed = admin_client.post(
            reverse(LIST),
            {"action": "resume_webhook", "index": "0", "_selected_action": [paused.licensee.pk]},
            follow=True,
        ).content.decode()

    assert feed_get(client, revoked.token, dif.slug).status_code == 401
    assert "Webhook of Lab Paused resumed; 1 event queued." in resumed
    assert WebhookDelivery.objects.filter(licensee=paused.licensee, status="pending").count() == 1


def test_each_webhook_attempt_is_shown_with_its_status_time_and_error(
    admin_client: Client, dif: Dataset, django_capture_on_commit_callbacks: Callable
) -> None:
    lab = licensee_register([dif], webhook_url="https://lab.example/hooks")
    with django_capture_on_commit_callbacks(execute=False):
        removal_complete([PhotoFactory(dataset=dif)])
    delivery = WebhookDelivery.objects.get(licensee=lab.licensee)
    WebhookAttempt.objects.create(
        delivery=delivery, at=timezone.now(), status_code=500, error="HTTP 500 Server Error"
    )
    WebhookAttempt.objects.create(
        delivery=delivery, at=timezone.now(), error="no answer within 10 s"
    )

    page = admin_client.get(
        reverse("admin:optout_webhookdelivery_change", args=[delivery.pk])
    ).content.decode()
    listing = admin_client.get(reverse("admin:optout_webhookdelivery_changelist")).content.decode()

    assert "HTTP 500 Server Error" in page and "no answer within 10 s" in page
    assert delivery.webhook_id in page
    assert lab.licensee.name in listing


def test_maintainers_may_manage_licensees_but_not_delete_them_or_deliveries(
    maintainer: User,
) -> None:
    for perm in ("manage", "view", "rotate", "revoke", "resume"):
        assert maintainer.has_perm(f"optout.{perm}_licensee"), perm
    assert not maintainer.has_perm("optout.delete_licensee")
    assert not maintainer.has_perm("optout.change_licensee")  # no generic edit anywhere
    assert maintainer.has_perm("optout.view_webhookdelivery")
    assert not maintainer.has_perm("optout.change_webhookdelivery")
