"""Privacy retention: RETENTION_DAYS after a request closes, what the requester told
us is erased; the receipt (request row, photos, tombstones, suppressions, the
audit trail's rows) stays. And the privacy report that says what is held."""

import io
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone
from pytest_django.fixtures import Settings

from optout import tasks
from optout.infra.owner_keys import owner_key
from optout.models import (
    EmailLog,
    Photo,
    PhotoListing,
    RemovalRequest,
    RequestEvent,
    RequestLink,
    RequestPhoto,
    Suppression,
)
from optout.privacy import retention
from optout.requests import review
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory

pytestmark = pytest.mark.django_db
S = RemovalRequest.Status
K = RequestEvent.Kind


def closed_request(days_ago: float, status: str = S.COMPLETED, **fields: object) -> RemovalRequest:
    """A request closed `days_ago`, with a tombstone, an owner suppression, an email
    log, a status link and the audit trail of a real one."""
    dataset = DatasetFactory()
    photo = PhotoFactory(
        dataset=dataset, state=Photo.State.REMOVED, removed_at=timezone.now(), owner_nsid=""
    )
    closed_at = timezone.now() - timedelta(days=days_ago)
    fields = {"flickr_username": "beekeeper_bea", "email": "bea@example.org", **fields}
    request = RemovalRequestFactory(
        status=status, closed_at=closed_at, owner_nsid="1@N01", photos=[photo], **fields
    )
    Photo.objects.filter(pk=photo.pk).update(removed_by=request)
    Suppression.objects.create(kind=Suppression.Kind.OWNER, owner_key=owner_key("1@N01"))
    Suppression.objects.create(
        kind=Suppression.Kind.PHOTO, flickr_id=photo.flickr_id, owner_key=owner_key("1@N01")
    )
    EmailLog.objects.create(
        request=request, kind="received", dedupe_key=f"{request.pk}:received", to=request.email
    )
    RequestLink.objects.create(
        request=request, purpose=RequestLink.Purpose.STATUS, token_hash=f"{request.pk:064d}"
    )
    RequestEvent.objects.create(
        request=request,
        actor="requester",
        to_status=S.VERIFIED,
        why="Filed after signing in with Flickr as beekeeper_bea.",
    )
    RequestEvent.objects.create(
        request=request,
        kind=K.EMAIL_BOUNCED,
        actor="email provider",
        why="Our email “received” to BEA@example.org bounced: mailbox full.",
    )
    RequestEvent.objects.create(
        request=request, actor="system", from_status=S.DELETING, to_status=S.COMPLETED,
        why="1 photo removed and checked gone.",
    )  # fmt: skip
    return request


def test_it_erases_what_the_requester_told_us_after_the_retention_period() -> None:
    request = closed_request(
        days_ago=91,
        kind=RemovalRequest.Kind.SHOWN,
        statement="That is me at the beach.",
        contact="+44 20 7946 0000",
        relation="I am the person in the photo",
        photo_links="https://flickr.com/photos/x/1",
    )

    erased = retention.personal_data_erase()

    request.refresh_from_db()
    assert (erased.requests, erased.email_logs, erased.links) == (1, 1, 1)
    assert request.email == request.statement == request.contact == ""
    assert request.relation == request.photo_links == request.flickr_username == ""
    assert request.personal_data_erased_at is not None
    assert EmailLog.objects.get(request=request).to == ""
    assert not RequestLink.objects.filter(request=request).exists()


def test_it_keeps_the_receipt_public_id_status_dates_photos_tombstones_and_suppressions() -> None:
    request = closed_request(days_ago=91)
    before = RemovalRequest.objects.values(
        "public_id", "kind", "status", "created_at", "closed_at", "deadline"
    ).get(pk=request.pk)

    retention.personal_data_erase()

    after = RemovalRequest.objects.values(*before).get(pk=request.pk)
    assert after == before
    assert RequestPhoto.objects.filter(request=request).count() == 1
    assert Photo.objects.filter(removed_by=request, state=Photo.State.REMOVED).count() == 1
    # The owner stays out of future releases by the keyed hash alone; the
    # request no longer says whose it was.
    assert RemovalRequest.objects.get(pk=request.pk).owner_nsid == ""
    assert Suppression.objects.filter(kind="owner", owner_key=owner_key("1@N01")).count() == 1
    assert Suppression.objects.filter(kind=Suppression.Kind.PHOTO).count() == 1


def test_the_audit_trail_keeps_its_rows_but_no_longer_names_the_requester() -> None:
    request = closed_request(days_ago=91)
    kept = list(request.events.values_list("pk", "actor", "from_status", "to_status", "at"))

    erased = retention.personal_data_erase()

    events = list(request.events.order_by("at", "pk"))
    assert [(e.pk, e.actor, e.from_status, e.to_status, e.at) for e in events[:3]] == kept
    assert erased.events == 2
    texts = " ".join(event.why for event in events).lower()
    assert "bea@example.org" not in texts
    assert "beekeeper_bea" not in texts
    assert events[1].why == "An email to the requester bounced (address erased)."
    assert events[2].why == "1 photo removed and checked gone."
    assert events[3].why == "Personal data erased after 90 days (retention)."
    assert events[3].actor == "system"


def test_a_rejected_request_keeps_its_reason_code_but_not_the_free_text() -> None:
    request = RemovalRequestFactory(
        kind=RemovalRequest.Kind.SHOWN, status=S.NEEDS_REVIEW, statement="It is me."
    )
    review.request_reject(
        removal=request, actor="maintainer:ann", code="not_shown", text="Bea, the face is blurred."
    )
    RemovalRequest.objects.filter(pk=request.pk).update(
        closed_at=timezone.now() - timedelta(days=100)
    )

    retention.personal_data_erase()

    request.refresh_from_db()
    assert request.reject_reason_code == "not_shown"
    assert request.reject_reason == "We could not see you in the photos you named."
    rejected = request.events.get(to_status=S.REJECTED)
    assert rejected.why == "We could not see you in the photos you named."
    assert rejected.actor == "maintainer:ann"


def test_a_maintainers_note_that_names_the_requester_is_replaced_and_others_kept() -> None:
    request = closed_request(days_ago=91)
    review.request_note_add(
        removal=request, actor="maintainer:ann", text="Wrote to Bea@Example.org"
    )
    review.request_note_add(removal=request, actor="maintainer:ann", text="Checked the dataset.")

    retention.personal_data_erase()

    notes = list(request.events.filter(kind=K.NOTE).values_list("why", flat=True))
    assert notes == [
        "Internal note erased: it named the requester (retention).",
        "Checked the dataset.",
    ]


@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED, S.REJECTED])
def test_every_closed_status_is_erased_after_the_period(status: str) -> None:
    request = closed_request(days_ago=91, status=status)

    assert retention.personal_data_erase().public_ids == [request.public_id]


def test_it_leaves_recent_closed_and_open_requests_alone() -> None:
    recent = closed_request(days_ago=89)
    still_open = RemovalRequestFactory(
        status=S.DELETING, created_at=timezone.now() - timedelta(days=400)
    )

    erased = retention.personal_data_erase()

    assert erased.requests == 0
    recent.refresh_from_db()
    still_open.refresh_from_db()
    assert recent.email == "bea@example.org"
    assert still_open.email != ""
    assert RequestLink.objects.filter(request=recent).exists()


def test_the_period_comes_from_the_retention_days_setting(settings: Settings) -> None:
    settings.RETENTION_DAYS = 30
    request = closed_request(days_ago=31)

    retention.personal_data_erase()

    request.refresh_from_db()
    assert request.email == ""
    last = request.events.last()
    assert last is not None
    assert last.why == "Personal data erased after 30 days (retention)."


def test_the_default_retention_is_90_days() -> None:
    assert django_settings.RETENTION_DAYS == 90


def test_a_second_run_changes_nothing() -> None:
    request = closed_request(days_ago=91)
    retention.personal_data_erase()
    events_before = list(request.events.values_list("pk", "why"))
    erased_at = RemovalRequest.objects.get(pk=request.pk).personal_data_erased_at

    again = retention.personal_data_erase()

    assert (again.requests, again.email_logs, again.links, again.events) == (0, 0, 0, 0)
    assert list(request.events.values_list("pk", "why")) == events_before
    assert RemovalRequest.objects.get(pk=request.pk).personal_data_erased_at == erased_at


def test_a_request_whose_erasure_fails_is_left_whole_and_the_others_still_erased(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = closed_request(days_ago=95)
    second = closed_request(days_ago=91)
    real_create = RequestEvent.objects.create

    def create_failing_for_first(**fields: object) -> RequestEvent:
        if fields.get("request") == first:
            raise RuntimeError("database went away")
        return real_create(**fields)

    monkeypatch.setattr(RequestEvent.objects, "create", create_failing_for_first)
    erased = retention.personal_data_erase()
    monkeypatch.undo()

    assert (erased.failed, erased.public_ids) == (1, [second.public_id])
    first.refresh_from_db()
    assert first.email == "bea@example.org"
    assert first.personal_data_erased_at is None
    assert EmailLog.objects.get(request=first).to == "bea@example.org"
    assert RequestLink.objects.filter(request=first).exists()
    assert retention.personal_data_erase().public_ids == [first.public_id]


def test_the_daily_beat_task_runs_the_erasure() -> None:
    closed_request(days_ago=91)

    result = tasks.personal_data_erase.apply().get()

    assert result.startswith("1 requests erased; 1 email addresses, 1 links")
    schedule = django_settings.CELERY_BEAT_SCHEDULE["personal-data-erase"]
    assert schedule == {"task": "optout.tasks.personal_data_erase", "schedule": 86400.0}


def report() -> str:
    out = io.StringIO()
    call_command("privacy_report", stdout=out)
    return out.getvalue()


def row(text: str, label: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(label))
    return line[len(label) :].split()


def test_the_privacy_report_counts_personal_data_by_table_and_age() -> None:
    for days in (1, 40, 120):
        request = RemovalRequestFactory(status=S.VERIFIED)
        RemovalRequest.objects.filter(pk=request.pk).update(
            created_at=timezone.now() - timedelta(days=days)
        )
    Suppression.objects.create(kind=Suppression.Kind.OWNER, owner_key=owner_key("9@N01"))

    text = report()

    assert row(text, "requests with an email")[:4] == ["1", "1", "1", "3"]
    assert row(text, "suppressed owners")[:4] == ["1", "0", "0", "1"]
    assert row(text, "email logs with an address")[:4] == ["0", "0", "0", "0"]
    assert "Next run erases: 0 requests." in text
    assert "Next request to become due: none scheduled." in text


def test_the_privacy_report_says_what_the_next_run_erases_and_when_the_next_falls_due() -> None:
    closed_request(days_ago=91)
    closed_request(days_ago=100)
    soon = closed_request(days_ago=80)

    text = report()

    assert soon.closed_at is not None
    due = soon.closed_at + timedelta(days=90)
    assert "Next run erases: 2 requests." in text
    assert f"Next request to become due: {due:%Y-%m-%d %H:%M} UTC." in text
    assert row(text, "removed photos' owners")[:4] == ["3", "0", "0", "3"]
    assert row(text, "tombstones with an owner NSID")[:4] == ["0", "0", "0", "0"]
    assert row(text, "requests with an NSID")[:4] == ["3", "0", "0", "3"]

    retention.personal_data_erase()

    after = report()
    assert "Next run erases: 0 requests." in after
    assert row(after, "requests with an email")[:4] == ["1", "0", "0", "1"]
    assert row(after, "email logs with an address")[:4] == ["1", "0", "0", "1"]
    assert row(after, "requests with an NSID")[:4] == ["1", "0", "0", "1"]


def listing(status: str, *, ended_days_ago: float | None, queued_days_ago: float) -> PhotoListing:
    now = timezone.now()
    made = PhotoListing.objects.create(
        nsid=f"{PhotoListing.objects.count() + 1}@N01",
        username="bees",
        status=status,
        queued_at=now - timedelta(days=queued_days_ago),
        finished_at=None if ended_days_ago is None else now - timedelta(days=ended_days_ago),
    )
    PhotoListing.objects.filter(pk=made.pk).update(created_at=made.queued_at)
    return made


def test_a_sign_ins_photo_listing_is_erased_once_it_ended_before_the_period() -> None:
    L = PhotoListing.Status
    old_done = listing(L.DONE, ended_days_ago=91, queued_days_ago=92)
    old_failed = listing(L.FAILED, ended_days_ago=None, queued_days_ago=95)
    recent = listing(L.DONE, ended_days_ago=10, queued_days_ago=200)
    still_running = listing(L.RUNNING, ended_days_ago=None, queued_days_ago=120)

    erased = retention.personal_data_erase()
    again = retention.personal_data_erase()

    left = set(PhotoListing.objects.values_list("pk", flat=True))
    assert left == {recent.pk, still_running.pk}
    assert {old_done.pk, old_failed.pk}.isdisjoint(left)
    assert (erased.listings, again.listings) == (2, 0)
    assert str(erased).endswith("; 2 Flickr photo listings")
    assert row(report(), "Flickr photo listings of sign-ins")[:4] == ["0", "0", "2", "2"]
