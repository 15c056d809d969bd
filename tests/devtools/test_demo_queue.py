"""`make run`'s demo gives a maintainer a queue with work in it, and a way in."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from devtools import demo_queue
from optout.models import DeletionJob, Photo, RemovalRequest
from optout.requests import review

pytestmark = pytest.mark.django_db
S = RemovalRequest.Status
K = RemovalRequest.Kind


def test_load_demo_fills_the_queue_once_and_prints_a_maintainers_way_in(
    tmp_path: Path, settings: Settings
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    first = io.StringIO()
    call_command("load_demo", stdout=first)
    now = timezone.now()

    demo = RemovalRequest.objects.filter(email__endswith="@demo.example")
    waiting = demo.filter(status=S.NEEDS_REVIEW)
    assert waiting.filter(kind=K.SHOWN, email_confirmed_at__isnull=False).count() == 2
    owners = waiting.filter(kind=K.OWNER)
    assert owners.filter(deadline__lt=now).count() == 2
    assert owners.filter(deadline__gt=now, deadline__lt=now + timedelta(days=5)).count() == 2
    (failed,) = demo.filter(status=S.FAILED)
    (stuck,) = failed.deletion_jobs.filter(status=DeletionJob.Status.FAILED)
    assert stuck.last_error == "OSError: [Errno 5] Input/output error"
    completed = demo.filter(status=S.COMPLETED)
    assert completed.count() == 2
    for removal in completed:
        removed = Photo.objects.filter(removed_by=removal, state=Photo.State.REMOVED)
        assert removed.count() == removal.photos.count() > 0
        assert [e.to_status for e in removal.events.filter(kind="status")][-1] == S.COMPLETED
    # Filed days ago, not just now: the timeline reads like one.
    assert all(removal.created_at < now - timedelta(days=1) for removal in demo)

    output = first.getvalue()
    assert "Demo queue: filed 9 requests for the maintainers:" in output
    assert f"{failed.public_id} (failed): a failed deletion to retry" in output
    assert output.splitlines()[-1].startswith("Demo owners to look up: ")
    link = re.search(r"http://\S+/admin/set-password/\S+", output)
    assert link, output
    maintainer = get_user_model().objects.get(username=demo_queue.MAINTAINER)
    assert maintainer.is_staff
    client = Client()
    path = link.group(0).removeprefix(settings.SITE_URL.rstrip("/"))
    assert 'name="new_password1"' in client.get(path, follow=True).content.decode()

    # Again (load_demo twice: tests/devtools/test_demo.py): nothing filed twice.
    again = demo_queue.demo_queue_fill()
    assert RemovalRequest.objects.filter(email__endswith="@demo.example").count() == 9
    assert again.lines() == ["Demo queue: 9 requests already there, nothing new filed."]

    # What the maintainer tries: Retry runs the failed job again, Approve and Reject work.
    client.force_login(maintainer)
    queue = client.get("/admin/optout/removalrequest/").content.decode()
    assert "overdue" in queue and failed.public_id in queue
    review.request_retry(removal=failed, actor=review.maintainer_actor(username="m"))
    stuck.refresh_from_db()
    assert stuck.status == DeletionJob.Status.QUEUED
    shown, owner = waiting.filter(kind=K.SHOWN).first(), owners.first()
    assert shown is not None and owner is not None
    review.request_reject(removal=shown, actor="maintainer:m", code="not_shown")
    review.request_approve(removal=owner, actor="maintainer:m")
    assert (shown.status, owner.status) == (S.REJECTED, S.APPROVED)
