"""The far side of email for other processes (workers, the soak): each message sent
is a file in a folder, and provider faults are files beside them, so the process
that set a fault up and the one that sends see the same provider (as
tests/support/storage.py does for storage).

In the folder named by EMAIL_TEST_FOLDER (environment):
- `provider.down`: every send fails as a provider outage does (503: retried).
- `provider.refuses`: every send is refused (422: failed for good).
- `sent/<message id>.json`: one per message accepted, with to, subject, body, kind,
  request and the time it was accepted; `sent_messages()` reads them back.
- EMAIL_TEST_SEND_DELAY (seconds, environment): each send sleeps first, so a test
  can kill a worker while it is at the provider.
"""

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.message import AnymailRecipientStatus

from tests.support.flaky_mail import provider_error

DOWN = "provider.down"
REFUSES = "provider.refuses"


def folder() -> Path:
    return Path(os.environ["EMAIL_TEST_FOLDER"])


class EmailBackend(AnymailTestBackend):
    esp_name = "Folder"

    def post_to_esp(self, payload: Any, message: Any) -> Any:
        delay = float(os.environ.get("EMAIL_TEST_SEND_DELAY", "0"))
        if delay:
            time.sleep(delay)
        here = folder()
        if (here / DOWN).exists():
            raise provider_error(503, "provider down (a test fault)")
        if (here / REFUSES).exists():
            raise provider_error(422, "refused (a test fault)")
        message_id = uuid.uuid4().hex
        record = {
            "id": message_id,
            "to": list(message.to),
            "subject": str(message.subject),
            "body": str(message.body),
            "kind": (getattr(message, "tags", None) or [""])[0],
            "request": (getattr(message, "metadata", None) or {}).get("request", ""),
            "at": time.time(),
            "pid": os.getpid(),
        }
        sent = here / "sent"
        sent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a message.
        part = sent / f".{message_id}.part"
        part.write_text(json.dumps(record), encoding="utf-8")
        part.rename(sent / f"{message_id}.json")
        status = AnymailRecipientStatus(message_id=message_id, status="sent")
        return {"recipient_status": {email: status for email in payload.recipient_emails}}


def sent_messages(where: Path | None = None) -> list[dict[str, Any]]:
    """Every message accepted so far, oldest first."""
    sent = (where or folder()) / "sent"
    if not sent.exists():
        return []
    paths = sorted(sent.glob("*.json"), key=lambda path: path.stat().st_mtime_ns)
    return [json.loads(path.read_text(encoding="utf-8")) for path in paths]


def provider_down(where: Path, down: bool = True) -> None:
    """Switch the provider outage on or off."""
    switch = where / DOWN
    if down:
        switch.touch()
    else:
        switch.unlink(missing_ok=True)
