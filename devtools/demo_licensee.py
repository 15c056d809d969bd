"""The demo's licensee: "Demo Lab" holds a copy of both demo datasets in a folder under
VAR_DIR, with its webhook pointing at the local receiver (`manage.py
webhook_receiver`, in Procfile.dev). Its token and signing secret are derived from
SECRET_KEY, so `load_demo` can print them on every run and the receiver knows the
secret without being told; a real licensee's are random and shown once.
"""

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from devtools import demo
from optout.licensees import registry
from optout.models import Licensee, Photo

NAME = "Demo Lab"
CONTACT = "data@demo-lab.example"
# When the demo lab took its copies: before any demo removal, so every one is in its feed.
COPIED = {
    demo.DIF["slug"]: datetime(2019, 1, 29, tzinfo=UTC),
    demo.FFHQ["slug"]: datetime(2019, 2, 5, tzinfo=UTC),
}
PATH_TEMPLATE = "{flickr_id}.jpg"


@dataclass(frozen=True)
class DemoLicensee:
    licensee: Licensee
    token: str
    secret: str
    folder: Path  # one subfolder per dataset slug


def _derived(label: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), label.encode(), hashlib.sha256).digest()


def credentials() -> tuple[str, str]:
    token = registry.TOKEN_PREFIX + base64.urlsafe_b64encode(_derived("demo token")).decode()
    secret = registry.SECRET_PREFIX + base64.b64encode(_derived("demo webhook")).decode()
    return token.rstrip("="), secret


def webhook_port() -> int:
    return int(os.environ.get("DEMO_WEBHOOK_PORT", "8002"))


def webhook_url() -> str:
    return f"http://127.0.0.1:{webhook_port()}/hooks/optout"


def copy_folder() -> Path:
    return Path(settings.VAR_DIR) / "demo" / "licensee-copy"


def demo_licensee_ensure() -> DemoLicensee:
    """Register the demo lab, or bring it back to its demo state; write its copy's files
    for the owners worth trying (their present photos, one file each)."""
    token, secret = credentials()
    licensee = Licensee.objects.filter(name=NAME).first()
    if licensee is None:
        licensee = registry.licensee_create(
            name=NAME,
            contacts=[CONTACT],
            datasets=sorted(COPIED.items()),
            webhook_url=webhook_url(),
            show_name=True,
            token=token,
            webhook_secret=secret,
        ).licensee
    else:
        Licensee.objects.filter(pk=licensee.pk).update(
            token_hash=registry.token_hash(token),
            token_hint=token[-4:],
            token_created_at=timezone.now(),
            webhook_url=webhook_url(),
            webhook_secret=secret,
            webhook_paused_at=None,
            webhook_paused_why="",
            revoked_at=None,
        )
        licensee.refresh_from_db()
    folder = copy_folder()
    nsids = [owner.nsid for owner, _ in demo.owners_to_try()]
    rows = Photo.objects.filter(owner_nsid__in=nsids, state=Photo.State.PRESENT).values_list(
        "dataset__slug", "flickr_id"
    )
    for slug, flickr_id in rows:
        path = folder / slug / PATH_TEMPLATE.format(flickr_id=flickr_id)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"demo lab's copy: not a real face\n")
    return DemoLicensee(licensee=licensee, token=token, secret=secret, folder=folder)


def sync_command(entry: DemoLicensee, slug: str) -> str:
    """The cron line the demo lab would run, for this site."""
    return (
        f"OPTOUT_TOKEN={entry.token} python clients/optout_sync.py --server {settings.SITE_URL} "
        f"--dataset {slug} --root {entry.folder / slug} --path '{PATH_TEMPLATE}'"
    )
