"""The maintainers' queue: who gets in, what the list shows, every action in every state."""

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from optout.admin.dashboard import dashboard_figures
from optout.admin.group import maintainers_group_ensure
from optout.models import DeletionJob, EmailLog, RemovalRequest, RequestEvent
from optout.requests import filing, review
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory
from tests.support.responses import streamed_text

pytestmark = pytest.mark.django_db
S = RemovalRequest.Status
CHANGELIST = "admin:optout_removalrequest_changelist"
ALL_STATES = [status for status, _ in S.choices]


@pytest.fixture
def maintainer() -> User:
    user = User.objects.create_user("mia@example.org", "mia@example.org", "pw", is_staff=True)
    user.groups.add(maintainers_group_ensure())
    return user


@pytest.fixture
def queue(client: Client, maintainer: User) -> Client:
    client.force_login(maintainer)
    return client


def act(client: Client, action: str, requests: list[RemovalRequest], **extra: str) -> str:
    """Run an admin action on these requests; returns the page the maintainer lands on."""
    data = {
        "action": action,
        "index": "0",
        "_selected_action": [str(r.pk) for r in requests],
        **extra,
    }
    response = client.post(reverse(CHANGELIST) + "?state=all", data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


# Who gets in


def test_createmaintainer_prints_a_link_that_sets_the_password_once(client: Client) -> None:
    out = io.StringIO()
    call_command("createmaintainer", "Nora@Example.org", stdout=out)
    link = re.search(r"http://testserver(/admin/set-password/\S+/)", out.getvalue())
    assert link, out.getvalue()
    user = User.objects.get(username="nora@example.org")
    assert user.is_staff and not user.has_usable_password()
    assert user.groups.filter(name="maintainers").exists()

    form_page = client.get(link.group(1), follow=True)
    assert b"new_password1" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a long queue passphrase", "new_password2": "a long queue passphrase"},
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("admin:login")
    assert client.login(username="nora@example.org", password="a long queue passphrase")

    client.logout()
    again = client.get(link.group(1), follow=True)
    assert b"new_password1" not in again.content
    assert b"invalid" in again.content.lower()


def test_the_set_password_link_expires(client: Client, settings: Settings) -> None:
    out = io.StringIO()
    call_command("createmaintainer", "late@example.org", stdout=out)
    link = re.search(r"http://testserver(/admin/set-password/\S+/)", out.getvalue())
    assert link
    settings.PASSWORD_RESET_TIMEOUT = -1  # any age is too old
    page = client.get(link.group(1), follow=True)
    assert b"new_password1" not in page.content


def test_createmaintainer_refuses_what_is_not_an_email() -> None:
    with pytest.raises(CommandError, match="is not an email address"):
        call_command("createmaintainer", "mia")
    assert not User.objects.exists()


def test_the_maintainers_group_can_work_the_queue_but_not_delete_or_edit(
    maintainer: User,
) -> None:
    perms = maintainer.get_all_permissions()
    assert {
        "optout.view_removalrequest",
        "optout.approve_removalrequest",
        "optout.reject_removalrequest",
        "optout.retry_removalrequest",
        "optout.note_removalrequest",
    } <= perms
    assert not [p for p in perms if p.split(".")[1].startswith(("delete_", "change_", "add_"))]


def test_a_non_staff_user_gets_the_login_page(client: Client) -> None:
    client.force_login(User.objects.create_user("visitor", "v@example.org", "pw"))
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_staff_user_outside_the_maintainers_group_gets_the_login_page(client: Client) -> None:
    client.force_login(User.objects.create_user("clerk", "c@example.org", "pw", is_staff=True))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_maintainer_cannot_delete_a_request(queue: Client) -> None:
    removal = RemovalRequestFactory()
    page = queue.get(reverse(CHANGELIST)).content.decode()
    assert "delete_selected" not in page
    response = queue.post(reverse("admin:optout_removalrequest_delete", args=[removal.pk]))
    assert response.status_code == 403
    assert RemovalRequest.objects.filter(pk=removal.pk).exists()


def test_a_maintainer_cannot_edit_or_delete_an_event(queue: Client) -> None:
    event = RequestEvent.objects.create(
        request=RemovalRequestFactory(), actor="requester", to_status=S.VERIFIED, why="Filed."
    )
    page = queue.get(reverse("admin:optout_requestevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert b'name="why"' not in page.content
    edit = queue.post(
        reverse("admin:optout_requestevent_change", args=[event.pk]), {"why": "Rewritten."}
    )
    assert edit.status_code == 403
    gone = queue.post(reverse("admin:optout_requestevent_delete", args=[event.pk]), {"post": "yes"})
    assert gone.status_code == 403
    event.refresh_from_db()
    assert event.why == "Filed."


# The list


def test_the_list_shows_the_queue_with_overdue_requests_on_top(queue: Client) -> None:
    dif = DatasetFactory(slug="dif", name="Diversity in Faces")
    ffhq = DatasetFactory(slug="ffhq", name="FFHQ")
    calm = RemovalRequestFactory(
        flickr_username="calmbee",
        photos=[PhotoFactory(dataset=dif) for _ in range(3)] + [PhotoFactory(dataset=ffhq)],
    )
    late = RemovalRequestFactory(deadline=timezone.now() - timedelta(days=2, hours=1))
    soon = RemovalRequestFactory(deadline=timezone.now() + timedelta(days=3, hours=1))
    hidden = RemovalRequestFactory(kind=RemovalRequest.Kind.SHOWN, status=S.PENDING_EMAIL)

    page = queue.get(reverse(CHANGELIST)).content.decode()
    assert page.index(late.public_id) < page.index(soon.public_id) < page.index(calm.public_id)
    assert "overdue 2 d" in page
    assert '<strong class="deadline deadline-soon">3</strong>' in page
    assert "calmbee" in page and "dif, ffhq" in page and calm.owner_nsid in page
    assert '<td class="field-photos_in_scope">4</td>' in page
    assert hidden.public_id not in page

    everything = queue.get(reverse(CHANGELIST) + "?state=all").content.decode()
    assert hidden.public_id in everything


def test_the_list_costs_the_same_queries_for_3_requests_as_for_30(queue: Client) -> None:
    def queries_for(n: int) -> int:
        RemovalRequestFactory.create_batch(n, photos=[PhotoFactory()])
        with CaptureQueriesContext(connection) as captured:
            assert queue.get(reverse(CHANGELIST)).status_code == 200
        return len(captured)

    assert queries_for(3) == queries_for(27)


def test_filters_find_overdue_requests_and_those_of_a_dataset(queue: Client) -> None:
    dif = DatasetFactory(slug="dif")
    late = RemovalRequestFactory(deadline=timezone.now() - timedelta(days=1))
    in_dif = RemovalRequestFactory(photos=[PhotoFactory(dataset=dif)])
    overdue = queue.get(reverse(CHANGELIST) + "?overdue=yes").content.decode()
    assert late.public_id in overdue and in_dif.public_id not in overdue
    by_dataset = queue.get(reverse(CHANGELIST) + "?dataset=dif").content.decode()
    assert in_dif.public_id in by_dataset and late.public_id not in by_dataset
    shown = queue.get(reverse(CHANGELIST) + "?kind__exact=shown_in_photo").content.decode()
    assert in_dif.public_id not in shown


@pytest.mark.parametrize("field", ["public_id", "email", "owner_nsid", "photo", "username"])
def test_search_finds_a_request_by(queue: Client, field: str) -> None:
    photo = PhotoFactory(flickr_id=7_777_777_777)
    wanted = RemovalRequestFactory(flickr_username="waspqueen", photos=[photo])
    other = RemovalRequestFactory()
    term = {
        "public_id": wanted.public_id,
        "email": wanted.email,
        "owner_nsid": wanted.owner_nsid,
        "photo": "7777777777",
        "username": "waspqueen",
    }[field]
    page = queue.get(reverse(CHANGELIST), {"q": term}).content.decode()
    assert wanted.public_id in page
    assert other.public_id not in page


def test_the_csv_export_has_the_filtered_list(queue: Client) -> None:
    dif = DatasetFactory(slug="dif")
    late = RemovalRequestFactory(
        deadline=timezone.now() - timedelta(days=1),
        photos=[PhotoFactory(dataset=dif), PhotoFactory(dataset=DatasetFactory(slug="ffhq"))],
    )
    RemovalRequestFactory()
    response = queue.get(reverse("admin:optout_removalrequest_export") + "?overdue=yes")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(streamed_text(response))))
    assert [(r["public_id"], r["datasets"], r["photos"]) for r in rows] == [
        (late.public_id, "dif ffhq", "2")
    ]
    page = queue.get(reverse(CHANGELIST) + "?overdue=yes").content.decode()
    assert reverse("admin:optout_removalrequest_export") + "?overdue=yes" in page


# Actions, in every state

APPROVABLE = {S.VERIFIED, S.NEEDS_REVIEW}
REJECTABLE = {S.PENDING_EMAIL, S.VERIFIED, S.NEEDS_REVIEW, S.APPROVED}


@pytest.mark.parametrize("state", ALL_STATES)
def test_approve_in_each_state(queue: Client, state: str) -> None:
    removal = RemovalRequestFactory(status=state)
    page = act(queue, "approve", [removal])
    removal.refresh_from_db()
    if state in APPROVABLE:
        assert removal.status == S.APPROVED
        assert f"Approved: {removal.public_id}." in page
        assert removal.events.get().actor == "maintainer:mia@example.org"
    else:
        assert removal.status == state
        assert f"{removal.public_id} not approved:" in page
        assert not removal.events.exists()


@pytest.mark.parametrize("state", ALL_STATES)
def test_reject_with_a_reason_in_each_state(queue: Client, state: str) -> None:
    removal = RemovalRequestFactory(status=state)
    asked = act(queue, "reject", [removal])
    assert "Reject with a reason" in asked and "We could not see you in the photos" in asked
    page = act(queue, "reject", [removal], apply="1", code="not_shown", text="Blurry.")
    removal.refresh_from_db()
    if state in REJECTABLE:
        assert removal.status == S.REJECTED
        assert removal.reject_reason == "We could not see you in the photos you named. Blurry."
        assert f"Rejected: {removal.public_id}." in page
    else:
        assert removal.status == state
        assert removal.reject_reason == ""
        assert f"{removal.public_id} not rejected:" in page


def test_a_rejection_needs_a_reason(queue: Client) -> None:
    removal = RemovalRequestFactory(status=S.NEEDS_REVIEW)
    page = act(queue, "reject", [removal], apply="1", code="other", text=" ")
    assert "Pick a reason or write one" in page
    removal.refresh_from_db()
    assert removal.status == S.NEEDS_REVIEW


def test_the_rejection_email_carries_the_reason(
    queue: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    run_tasks: Callable[[], list[str]],
) -> None:
    removal = RemovalRequestFactory(status=S.NEEDS_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        act(queue, "reject", [removal], apply="1", code="unverifiable", text="No statement.")
    run_tasks()
    (message,) = mail.outbox
    assert message.to == [removal.email]
    assert "We could not verify the request from what you told us. No statement." in message.body


@pytest.mark.parametrize("state", ALL_STATES)
def test_retry_in_each_state_shows_the_last_error_first(queue: Client, state: str) -> None:
    dif = DatasetFactory()
    removal = RemovalRequestFactory(status=state, photos=[PhotoFactory(dataset=dif)])
    DeletionJob.objects.create(
        request=removal,
        dataset=dif,
        status=DeletionJob.Status.FAILED,
        total=1,
        last_error="OSError: bucket unreachable",
        queued_at=timezone.now(),
    )
    asked = act(queue, "retry", [removal])
    assert "OSError: bucket unreachable" in asked
    assert removal.status == RemovalRequest.objects.get(pk=removal.pk).status
    page = act(queue, "retry", [removal], apply="1")
    removal.refresh_from_db()
    if state == S.FAILED:
        assert removal.status == S.APPROVED
        assert f"Retried: {removal.public_id}." in page
    else:
        assert removal.status == state
        assert f"{removal.public_id} not retried:" in page


def test_a_running_job_shows_which_worker_holds_it_and_its_last_heartbeat(queue: Client) -> None:
    dif, ffhq = DatasetFactory(slug="dif"), DatasetFactory(slug="ffhq")
    removal = RemovalRequestFactory(status=S.DELETING)
    now = timezone.now()
    DeletionJob.objects.create(
        request=removal, dataset=dif, status=DeletionJob.Status.RUNNING, total=9, done=4,
        claim="t1", claimed_by="worker-2:4711", heartbeat_at=now - timedelta(minutes=12),
        queued_at=now,
    )  # fmt: skip
    DeletionJob.objects.create(
        request=removal, dataset=ffhq, status=DeletionJob.Status.DONE, total=2, done=2,
        claimed_by="worker-1:99", queued_at=now,
    )  # fmt: skip
    url = reverse("admin:optout_removalrequest_change", args=[removal.pk])
    page = " ".join(queue.get(url).content.decode().split())
    assert "4 of 9" in page
    # (split() takes the no-break space timesince puts between number and unit)
    assert "worker-2:4711, last heartbeat 12 minutes ago" in page
    assert "worker-1:99" not in page  # a finished job is held by nobody


@pytest.mark.parametrize("state", ALL_STATES)
def test_an_internal_note_goes_on_the_timeline_in_any_state(queue: Client, state: str) -> None:
    removal = RemovalRequestFactory(status=state)
    page = act(queue, "add_note", [removal], apply="1", text="Called the owner.")
    assert f"Note added to {removal.public_id}." in page
    note = removal.events.get()
    assert (note.kind, note.why, note.public) == ("note", "Called the owner.", False)
    assert note.actor == "maintainer:mia@example.org"


def test_bulk_approve_goes_through_for_some_and_says_why_not_for_others(queue: Client) -> None:
    first = RemovalRequestFactory(status=S.NEEDS_REVIEW)
    second = RemovalRequestFactory(status=S.VERIFIED)
    done = RemovalRequestFactory(status=S.COMPLETED)
    page = act(queue, "approve", [first, second, done])
    assert RemovalRequest.objects.get(pk=first.pk).status == S.APPROVED
    assert RemovalRequest.objects.get(pk=second.pk).status == S.APPROVED
    assert RemovalRequest.objects.get(pk=done.pk).status == S.COMPLETED
    assert f"{done.public_id} not approved: A request that is completed cannot be approved." in page


# The request page and the dashboard


def test_the_request_page_shows_the_timeline_photos_jobs_and_emails(queue: Client) -> None:
    dif = DatasetFactory(name="Diversity in Faces", release="1.0")
    photo = PhotoFactory(dataset=dif, flickr_id=5_000_111_222, secret="abc123", server="65535")
    removal = RemovalRequestFactory(status=S.DELETING, photos=[photo])
    RequestEvent.objects.create(
        request=removal, actor="system", from_status=S.APPROVED, to_status=S.DELETING, why="Go."
    )
    review.request_note_add(removal=removal, actor="maintainer:mia", text="Watch this one.")
    DeletionJob.objects.create(
        request=removal,
        dataset=dif,
        total=10,
        done=4,
        last_error="Timeout",
        queued_at=timezone.now(),
    )
    EmailLog.objects.create(
        request=removal, kind="approved", dedupe_key="approved:x", to=removal.email,
        outcome=EmailLog.Outcome.BOUNCED,
    )  # fmt: skip
    page = queue.get(reverse("admin:optout_removalrequest_change", args=[removal.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Watch this one." in html and "mia (maintainer)" in html and "Go." in html
    assert "https://live.staticflickr.com/65535/5000111222_abc123_q.jpg" in html
    assert "4 of 10" in html and "Timeout" in html
    assert "bounced" in html
    assert 'name="status"' not in html  # read-only


def test_a_shown_in_photo_request_page_shows_the_statement_not_a_flickr_account(
    queue: Client,
) -> None:
    removal = RemovalRequestFactory(
        kind=RemovalRequest.Kind.SHOWN,
        status=S.NEEDS_REVIEW,
        owner_nsid="",
        relation="I am in them",
        statement="Taken at a party.",
        photo_links="https://flic.kr/p/7Afjsu",
    )
    html = queue.get(reverse("admin:optout_removalrequest_change", args=[removal.pk]))
    page = html.content.decode()
    assert "Taken at a party." in page and "https://flic.kr/p/7Afjsu" in page
    assert "Owner&#x27;s NSID" not in page
    owner = RemovalRequestFactory()
    owner_page = queue.get(reverse("admin:optout_removalrequest_change", args=[owner.pk])).content
    assert b"Owner&#x27;s NSID" in owner_page and b"Statement" not in owner_page


def test_the_request_page_shows_the_first_200_photos_and_says_how_many(queue: Client) -> None:
    dif = DatasetFactory()
    removal = RemovalRequestFactory(photos=PhotoFactory.create_batch(201, dataset=dif))
    html = queue.get(reverse("admin:optout_removalrequest_change", args=[removal.pk])).content
    assert b"Showing 200 of 201." in html
    assert html.count(b'loading="lazy"') == 200


def test_the_dashboard_figures_on_known_data() -> None:
    now = timezone.now()
    for _ in range(2):
        RemovalRequestFactory(status=S.NEEDS_REVIEW)
    RemovalRequestFactory(status=S.APPROVED, deadline=now - timedelta(days=1))
    RemovalRequestFactory(status=S.PENDING_EMAIL, deadline=now - timedelta(days=1))
    for days in (2, 4, 9):
        done = RemovalRequestFactory(status=S.COMPLETED)
        RemovalRequest.objects.filter(pk=done.pk).update(
            created_at=now - timedelta(days=days + 1), closed_at=now - timedelta(days=1)
        )
    old = RemovalRequestFactory(status=S.COMPLETED)
    RemovalRequest.objects.filter(pk=old.pk).update(
        created_at=now - timedelta(days=200), closed_at=now - timedelta(days=100)
    )
    figures = dashboard_figures(now=now)
    open_states = figures["open_states"]
    assert isinstance(open_states, list)
    by_state = {row["status"]: row["count"] for row in open_states}
    assert by_state[S.NEEDS_REVIEW] == 2
    assert by_state[S.APPROVED] == 1
    assert by_state[S.PENDING_EMAIL] == 1
    assert figures["overdue"] == 1  # the unconfirmed one is not in the queue
    assert figures["median_days"] == 4.0
    weeks = figures["weeks"]
    assert isinstance(weeks, list)
    assert sum(w.filed for w in weeks) == 4 + 3
    assert sum(w.completed for w in weeks) == 3


def test_the_admin_index_shows_the_dashboard_and_the_policy(
    queue: Client, settings: Settings
) -> None:
    settings.AUTO_APPROVE_OWNER_REQUESTS = False
    settings.REQUEST_DEADLINE_DAYS = 21
    RemovalRequestFactory(status=S.NEEDS_REVIEW, deadline=timezone.now() - timedelta(days=1))
    page = queue.get(reverse("admin:index")).content.decode()
    assert "Open requests: 1" in page
    assert "wait for a maintainer (needs review)" in page
    assert "Deadline: 21 days from filing." in page
    assert 'class="figure figure-alert"' in page


def test_with_auto_approval_off_a_verified_owner_request_waits_for_review(
    settings: Settings,
) -> None:
    settings.AUTO_APPROVE_OWNER_REQUESTS = False
    photo = PhotoFactory(owner_nsid="1234@N01")
    filed = filing.request_create(
        identity=filing.Identity(nsid="1234@N01", username="bee"),
        email="bee@example.org",
        photo_ids=None,
        future_releases=False,
    )
    assert filed.removal.status == S.NEEDS_REVIEW
    assert list(filed.removal.photos.all()) == [photo]


def test_migrate_gives_the_maintainers_group_exactly_its_permissions() -> None:
    Group.objects.filter(name="maintainers").delete()
    call_command("migrate", verbosity=0)
    group = Group.objects.get(name="maintainers")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert "approve_removalrequest" in codenames
    assert not any(c.startswith(("delete_", "change_", "add_")) for c in codenames)
