"""The whole walk with the demo (docs/licensees.md): the demo's licensee receives the
signed webhook after a demo removal, optout_sync.py deletes its files from the
licensee's folder and acknowledges, and the owner's status page then counts that
copy as clean. Real broker, real HTTP receiver, the client as a separate process."""

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from devtools import demo, demo_licensee
from devtools.webhook_receiver import receiver_start
from optout import secret_links
from optout.models import Photo, RemovalRequest, RequestLink
from optout.requests import filing

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "optout_sync.py"
S = RemovalRequest.Status


@pytest.mark.django_db(transaction=True)
def test_the_demo_licensee_hears_deletes_acknowledges_and_the_owner_sees_the_copy_clean(
    live_server: LiveServer,
    client: Client,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_tasks: Callable[[], list[str]],
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    _, secret = demo_licensee.credentials()
    receiver = receiver_start(secret=secret)
    monkeypatch.setenv("DEMO_WEBHOOK_PORT", str(receiver.server.server_address[1]))
    try:
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        printed = out.getvalue()
        token, _ = demo_licensee.credentials()
        assert f"Demo licensee Demo Lab: token {token}" in printed
        assert "python clients/optout_sync.py" in printed
        # The demo queue's completed requests (FFHQ only) reach the lab first: not this walk's.
        while run_tasks():
            pass
        earlier = len(receiver.verified())

        # A demo owner, in Diversity in Faces only, removes all their photos.
        owner, counts = next(
            (o, per) for o, per in demo.owners_to_try() if set(per) == {demo.DIF["slug"]}
        )
        ids = list(Photo.objects.filter(owner_nsid=owner.nsid).values_list("flickr_id", flat=True))
        folder = demo_licensee.copy_folder() / demo.DIF["slug"]
        files = [folder / f"{flickr_id}.jpg" for flickr_id in ids]
        assert all(f.exists() for f in files) and len(files) == counts[demo.DIF["slug"]]
        filed = filing.request_create(
            identity=filing.Identity(nsid=owner.nsid, username=owner.username),
            email="owner@example.org",
            photo_ids=None,
            future_releases=False,
        )
        removal = filed.removal
        RemovalRequest.objects.filter(pk=removal.pk).update(email_confirmed_at=timezone.now())
        for _ in range(10):
            if not run_tasks():
                break
        removal.refresh_from_db()
        assert removal.status == S.COMPLETED

        # The signed webhook arrived, and the receiver's library verified it.
        [event] = receiver.verified()[earlier:]
        assert event["type"] == "removals.available"
        assert event["data"]["dataset"] == demo.DIF["slug"]

        # The licensee's cron job.
        synced = subprocess.run(
            [
                sys.executable,
                str(CLIENT),
                "--server",
                live_server.url,
                "--dataset",
                demo.DIF["slug"],
                "--root",
                str(folder),
                "--path",
                demo_licensee.PATH_TEMPLATE,
            ],
            env={**os.environ, "OPTOUT_TOKEN": token},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert synced.returncode == 0, synced.stderr
        assert synced.stdout.startswith(f"{len(files)} removal(s) applied: {len(files)} file(s)")
        assert not any(f.exists() for f in files)

        # The owner's status page counts that copy as confirmed, and the owner hears of it.
        link = secret_links.link_mint(removal=removal, purpose=RequestLink.Purpose.STATUS)
        page = client.get(reverse("request_status", args=[link])).content.decode()
        assert "The 1 organisation with a copy has confirmed the deletion." in page
        assert "Demo Lab: confirmed" in page
        for _ in range(5):
            if not run_tasks():
                break
        assert [m.subject for m in mail.outbox if "every copy" in m.subject] == [
            f"Your photos are gone from every copy we know of (request {removal.public_id})"
        ]
    finally:
        receiver.stop()
