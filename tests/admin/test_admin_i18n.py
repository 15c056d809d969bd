"""The maintainers' admin in the maintainer's language (issue 16).

A maintainer whose browser asks for the pseudo-language (tests/test_i18n.py: every
msgid of ours and of Django's, wrapped in ⟦…⟧) gets every page of our admin site with
no visible English left outside the markers: the dashboard with every section
showing, each list and record of every model we register, the add form, the pages
that show new credentials, the pages of the actions that ask first, and the messages
the actions leave. What is left is data: names, ids, addresses, links, numbers, and
the records' own texts (errors as the provider or the endpoint gave them, a
maintainer's note).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from optout.admin.group import maintainers_group_ensure
from optout.models import (
    Dataset,
    DatasetRelease,
    DeletionJob,
    EmailLog,
    FeedEntry,
    FlickrSignal,
    Licensee,
    LicenseeDataset,
    LicenseeNotice,
    RecheckPass,
    RemovalRequest,
    RequestEvent,
    WebhookAttempt,
    WebhookDelivery,
)
from optout.notifications import emails
from optout.requests import review
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory
from tests.support.i18n import ALWAYS, OPEN, PSEUDO, untranslated, visible
from tests.support.licensees import licensee_register, removal_complete
from tests.support.responses import ClientResponse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudo")]
S = RemovalRequest.Status
MAINTAINER = "mia@example.org"

# Not English that skipped our gettext, nor words of ours:
# - Django's admin writes two texts itself, untranslated: a boolean's icon has the Python
#   value as its alt text (admin_list's _boolean_icon), the search box's icon "Search";
# - the settings that set the policy, by their names, and RECHECK_POLICY's value;
# - what an endpoint, a provider, a worker or Flickr said, and what people wrote.
DJANGO = {"True", "False", "None", "Search"}
SETTINGS = {
    "AUTO_APPROVE_OWNER_REQUESTS",
    "REQUEST_DEADLINE_DAYS",
    "RECHECK_POLICY=remove",
    "RECHECK_POLICY=review",
}
SAID = {
    "Timeout talking to the storage",
    "ESP API response error",
    "HTTP 500 Server Error",
    "no answer within 10 s",
    "Flickr is not answering",
    "The endpoint answered 410 Gone",
    "Watch this one",
    "I am in them",
    "Taken at a party",
    "not mail",
}
CREDENTIAL = re.compile(r"<code[^>]*>([^<]+)</code>")


def _data(settings: Settings) -> set[str]:
    """Names, ids and addresses in the records the pages show."""
    values = {MAINTAINER, "Diversity in Faces", "YFCC100M", "Flickr"}
    values |= {"dif", "Lab Late", "Lab Fine", "Lab Hooked", "Lab Added", "worker-1"}
    values |= set(RemovalRequest.objects.values_list("public_id", flat=True))
    values |= set(RemovalRequest.objects.values_list("email", flat=True))
    values |= set(RemovalRequest.objects.values_list("flickr_username", flat=True))
    values |= set(WebhookDelivery.objects.values_list("webhook_id", flat=True))
    values |= {f"…{hint}" for hint in Licensee.objects.values_list("token_hint", flat=True)}
    values |= {hint for hint in Licensee.objects.values_list("token_hint", flat=True)}
    values |= {name for _, name in settings.LANGUAGES}
    values |= {"Português", "Brasil", "Español", "Français", "Deutsch", "English", "Pseudo"}
    return {value for value in values if value} | ALWAYS | DJANGO | SETTINGS | SAID


@dataclass(frozen=True)
class World:
    dataset: Dataset
    waiting: RemovalRequest  # needs review
    failed: RemovalRequest
    deleting: RemovalRequest
    shown: RemovalRequest
    licensee: Licensee
    hooked: Licensee  # its webhook paused
    delivery: WebhookDelivery


def _world(captured: DjangoCaptureOnCommitCallbacks) -> World:
    """Enough of everything that every part of every page shows."""
    now = timezone.now()
    dif = DatasetFactory(
        slug="dif", name="Diversity in Faces", release="1.0", source="YFCC100M (Flickr)"
    )
    DatasetRelease.objects.create(dataset=dif, seq=1, label="1.0", complete=True)
    DatasetRelease.objects.create(dataset=dif, seq=2, label="", complete=False)
    photos = [PhotoFactory(dataset=dif) for _ in range(4)]

    # The queue: waiting for review, overdue, failing, being deleted, waiting for email.
    waiting = RemovalRequestFactory(status=S.NEEDS_REVIEW, photos=photos[:1])
    late = RemovalRequestFactory(status=S.APPROVED, photos=photos[1:2])
    RemovalRequest.objects.filter(pk=late.pk).update(deadline=now - timedelta(days=3))
    RemovalRequestFactory(status=S.PENDING_EMAIL, email_confirmed_at=None)
    failed = RemovalRequestFactory(status=S.FAILED, photos=photos[2:3])
    deleting = RemovalRequestFactory(status=S.DELETING, photos=photos[3:], future_releases=True)
    RemovalRequest.objects.filter(pk=deleting.pk).update(deadline=now + timedelta(days=2))
    shown = RemovalRequestFactory(
        kind=RemovalRequest.Kind.SHOWN,
        status=S.NEEDS_REVIEW,
        owner_nsid="",
        relation="I am in them",
        statement="Taken at a party.",
        contact="",
        photo_links="https://flic.kr/p/7Afjsu",
    )
    for days in (3, 10, 20):
        done = RemovalRequestFactory(status=S.COMPLETED)
        RemovalRequest.objects.filter(pk=done.pk).update(
            created_at=now - timedelta(days=days + 4), closed_at=now - timedelta(days=days)
        )
    rejected = RemovalRequestFactory(status=S.NEEDS_REVIEW)
    review.request_reject(removal=rejected, actor=f"maintainer:{MAINTAINER}", code="not_shown")

    # Their timelines, jobs and emails, in the words the code writes them in.
    for why in ("Approved by a maintainer.", "Deletion started."):
        RequestEvent.objects.create(
            request=deleting, actor="system", from_status=S.APPROVED, to_status=S.DELETING, why=why
        )
    review.request_note_add(
        removal=deleting, actor=f"maintainer:{MAINTAINER}", text="Watch this one."
    )
    RequestEvent.objects.create(
        request=deleting, kind=RequestEvent.Kind.EMAIL_BOUNCED, actor="email provider", public=False
    )
    DeletionJob.objects.create(
        request=deleting,
        dataset=dif,
        status=DeletionJob.Status.RUNNING,
        total=10,
        done=4,
        claimed_by="worker-1",
        heartbeat_at=now - timedelta(minutes=2),
        started_at=now - timedelta(minutes=5),
        queued_at=now,
    )
    DeletionJob.objects.create(
        request=failed,
        dataset=dif,
        status=DeletionJob.Status.FAILED,
        total=1,
        attempts=5,
        last_error="Timeout talking to the storage",
        queued_at=now,
    )
    EmailLog.objects.create(
        request=deleting,
        kind="approved",
        dedupe_key="approved:deleting",
        to=deleting.email,
        outcome=EmailLog.Outcome.FAILED,
        attempts=5,
        error="ESP API response error",
    )
    EmailLog.objects.create(
        request=deleting,
        kind="flickr_signal",
        dedupe_key="flickr_signal:deleting",
        to=deleting.email,
        outcome=EmailLog.Outcome.QUEUED,
        attempts=1,
        next_attempt_at=now + timedelta(minutes=10),
        error="ESP API response error",
    )
    # Skipped for a reason of ours: shown in the maintainer's language.
    EmailLog.objects.create(
        request=deleting,
        kind="received",
        dedupe_key="received:deleting",
        to=deleting.email,
        outcome=EmailLog.Outcome.SKIPPED,
        error=emails.NOT_CONFIRMED,
    )

    # Licensees: one up to date, one overdue, one whose webhook is paused.
    with captured(execute=False):
        removal_complete([PhotoFactory(dataset=dif)])
    fine = licensee_register([dif], name="Lab Fine", since=now)
    late_lab = licensee_register([dif], name="Lab Late", show_name=True)
    long_ago = now - timedelta(days=60)
    LicenseeDataset.objects.filter(licensee=late_lab.licensee).update(created_at=long_ago)
    hooked = licensee_register([dif], name="Lab Hooked", webhook_url="https://lab.example/hooks")
    with captured(execute=False):
        removal_complete([PhotoFactory(dataset=dif)])
    FeedEntry.objects.update(published_at=long_ago)
    Licensee.objects.filter(pk=hooked.licensee.pk).update(
        webhook_paused_at=now, webhook_paused_why="The endpoint answered 410 Gone."
    )
    delivery = WebhookDelivery.objects.filter(licensee=hooked.licensee).first()
    assert delivery is not None
    WebhookAttempt.objects.create(
        delivery=delivery, at=now, status_code=500, error="HTTP 500 Server Error"
    )
    WebhookAttempt.objects.create(delivery=delivery, at=now, error="no answer within 10 s")
    LicenseeNotice.objects.create(
        licensee=late_lab.licensee,
        kind=LicenseeNotice.Kind.REMINDER,
        day=now.date(),
        to="data@lab.example",
        waiting=2,
        outcome=LicenseeNotice.Outcome.SENT,
        sent_at=now,
    )

    # The re-check: a pass under way, paused, with signals found.
    signal_request = RemovalRequestFactory(
        kind=RemovalRequest.Kind.FLICKR_SIGNAL, status=S.NEEDS_REVIEW
    )
    FlickrSignal.objects.create(
        request=signal_request, kind=FlickrSignal.Kind.NO_CV, flickr_id=1, detail="no_cv"
    )
    RecheckPass.objects.create(
        owners_total=40,
        owners_checked=12,
        photos_total=4_000,
        photos_checked=1_200,
        calls=300,
        signals={"no_cv": 1, "gone": 2},
        paused_until=now + timedelta(minutes=30),
        last_error="Flickr is not answering.",
    )
    return World(
        dataset=dif,
        waiting=waiting,
        failed=failed,
        deleting=deleting,
        shown=shown,
        licensee=fine.licensee,
        hooked=hooked.licensee,
        delivery=delivery,
    )


def test_no_admin_page_shows_english_that_skipped_translation(
    client: Client,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    user = User.objects.create_user(MAINTAINER, MAINTAINER, "pw", is_staff=True)
    user.groups.add(maintainers_group_ensure())
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = PSEUDO
    pages: dict[str, str] = {}
    data: set[str] = set()

    def keep(name: str, response: ClientResponse) -> None:
        assert response.status_code == 200, (name, response.status_code)
        pages[name] = html = response.content.decode()
        # The records as they are when the page shows them (a token rotated later), and
        # the credentials a page shows once.
        data.update(_data(settings), CREDENTIAL.findall(html))

    def get(name: str, url: str, **params: str) -> None:
        keep(name, client.get(url, params))

    def post(name: str, url: str, form: Mapping[str, object]) -> None:
        keep(name, client.post(url, form, follow=True))

    def admin(name: str, *args: object) -> str:
        return reverse(f"admin:optout_{name}", args=args)

    # The dashboard with nothing yet, under the other policies; with a pass that found
    # nothing; then with everything.
    settings.AUTO_APPROVE_OWNER_REQUESTS = False
    settings.RECHECK_POLICY = "review"
    get("dashboard, nothing yet", reverse("admin:index"))
    settings.AUTO_APPROVE_OWNER_REQUESTS = True
    settings.RECHECK_POLICY = "remove"
    RecheckPass.objects.create(owners_total=3, finished_at=timezone.now())
    get("dashboard, a pass that found nothing", reverse("admin:index"))
    RecheckPass.objects.all().delete()
    world = _world(django_capture_on_commit_callbacks)
    get("dashboard", reverse("admin:index"))

    # The queue, a request of each kind, the actions' pages and their messages.
    queue = admin("removalrequest_changelist")
    get("requests", queue)
    get("requests, all states", queue, state="all")
    get("requests, overdue", queue, overdue="yes")
    get("request, being deleted", admin("removalrequest_change", world.deleting.pk))
    get("request, shown in a photo", admin("removalrequest_change", world.shown.pk))
    get("request, failed", admin("removalrequest_change", world.failed.pk))

    def act(action: str, *removals: RemovalRequest, **extra: str) -> dict[str, object]:
        picked = [str(r.pk) for r in removals]
        return {"action": action, "index": "0", "_selected_action": picked, **extra}

    waiting, failed = world.waiting, world.failed
    post("reject, the form", queue, act("reject", waiting))
    post("reject, no reason", queue, act("reject", waiting, apply="1"))
    post("retry, the errors first", queue, act("retry", failed, waiting))
    post("note, the form", queue, act("add_note", waiting))
    post("note, empty", queue, act("add_note", waiting, apply="1", text=" "))
    post("approve, one refused", queue + "?state=all", act("approve", waiting, failed))
    post("retry, one refused", queue + "?state=all", act("retry", waiting, apply="1"))

    # The records behind the queue.
    event = RequestEvent.objects.filter(request=world.deleting).first()
    email = EmailLog.objects.filter(request=world.deleting).first()
    assert event is not None and email is not None
    get("timeline", admin("requestevent_changelist"))
    get("timeline, an event", admin("requestevent_change", event.pk))
    get("emails", admin("emaillog_changelist"))
    get("emails, one", admin("emaillog_change", email.pk))
    get("datasets", admin("dataset_changelist"))
    get("datasets, one", admin("dataset_change", world.dataset.pk))

    # Licensees: the list, a record, adding one (a mistake, then its credentials), the
    # actions that ask first, what they show, and their messages.
    licensees = admin("licensee_changelist")
    get("licensees", licensees)
    get("licensee", admin("licensee_change", world.hooked.pk))
    get("licensee, add", admin("licensee_add"))
    form = {
        "name": "Lab Added",
        "contacts": "data@lab.example",
        "language": "en",
        "webhook_url": "https://added.example/hooks",
        "holdings-TOTAL_FORMS": "1",
        "holdings-INITIAL_FORMS": "0",
        "holdings-0-dataset": str(world.dataset.pk),
        "holdings-0-since": "",
        "deliveries-TOTAL_FORMS": "0",
        "deliveries-INITIAL_FORMS": "0",
        "notices-TOTAL_FORMS": "0",
        "notices-INITIAL_FORMS": "0",
    }
    post("licensee, add, a mistake", admin("licensee_add"), {**form, "contacts": "not mail"})
    post("licensee, added: its credentials", admin("licensee_add"), form)
    picked = {"index": "0", "_selected_action": [str(world.licensee.pk)]}
    for action in ("rotate_token", "rotate_secret", "revoke"):
        post(f"licensee, {action}: asked first", licensees, {"action": action, **picked})
    post("licensee, its new token", licensees, {"action": "rotate_token", "apply": "1", **picked})
    post("licensee, revoked", licensees, {"action": "revoke", "apply": "1", **picked})
    post("licensee, revoked already", licensees, {"action": "revoke", "apply": "1", **picked})
    resume = {"action": "resume_webhook", "index": "0", "_selected_action": [world.hooked.pk]}
    with django_capture_on_commit_callbacks(execute=False):
        post("licensee, webhook resumed", licensees, resume)
    holding = LicenseeDataset.objects.filter(licensee=world.hooked).get()
    get("copies held", admin("licenseedataset_changelist"))
    get("copy held", admin("licenseedataset_change", holding.pk))
    get("webhook deliveries", admin("webhookdelivery_changelist"))
    get("webhook delivery", admin("webhookdelivery_change", world.delivery.pk))

    problems = {name: untranslated(visible(html), data) for name, html in pages.items()}
    left = {name: sorted(words) for name, words in problems.items() if words}
    assert not left, "\n".join(f"{name}: {words}" for name, words in left.items())
    assert all(OPEN in html for html in pages.values())
    # A refusal's reason sits inside the sentence that names the request, where the
    # check above cannot see English: it is translated too.
    assert f"{OPEN}A failed request is retried, not approved" in pages["approve, one refused"]
    assert f"{OPEN}Only a failed request can be retried" in pages["retry, one refused"]
    assert f"{OPEN}Pick a reason or write one" in pages["reject, no reason"]
