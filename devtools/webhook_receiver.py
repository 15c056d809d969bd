"""A webhook receiver on 127.0.0.1 that checks Standard Webhooks signatures, as a
licensee's endpoint would: for the demo (`manage.py webhook_receiver`) and for the
tests, which also make it answer 500, 410, a redirect, or nothing at all.

Built on http.server and the `standardwebhooks` package, nothing of optout's: it
is the far side of the seam.
"""

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    event: dict[str, Any] | None  # the verified event; None when the signature failed
    error: str = ""


# What the endpoint answers: (status, extra headers). The default is 204.
type Answer = Callable[[Received], tuple[int, dict[str, str]]]


@dataclass
class Receiver:
    """A running receiver: `url` to register, `received` to inspect."""

    server: ThreadingHTTPServer
    secret: str
    answer: Answer | None = None
    received: list[Received] = field(default_factory=list)
    # Set to release requests an `answer` holds (a slow endpoint), e.g. at the end of a test.
    release: threading.Event = field(default_factory=threading.Event)
    on_event: Callable[[Received], None] | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/optout"

    def verified(self) -> list[dict[str, Any]]:
        return [r.event for r in self.received if r.event is not None]

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def receiver_start(
    *, secret: str, port: int = 0, answer: Answer | None = None, host: str = "127.0.0.1"
) -> Receiver:
    """Serve on host:port (0: any free port) from a daemon thread."""
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = holder["receiver"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                event = Webhook(receiver.secret).verify(body, headers)
                got = Received(headers=headers, body=body, event=event)
            except WebhookVerificationError as error:
                got = Received(headers=headers, body=body, event=None, error=str(error))
            receiver.received.append(got)
            if receiver.on_event:
                receiver.on_event(got)
            status, extra = receiver.answer(got) if receiver.answer else (204, {})
            if got.event is None and receiver.answer is None:
                status = 400
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return  # the receiver's owner prints what it wants

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    receiver = holder["receiver"] = Receiver(server=server, secret=secret, answer=answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


def describe(got: Received) -> str:
    """One line for a terminal: what arrived, and whether its signature held."""
    if got.event is None:
        return f"REFUSED {got.headers.get('webhook-id', '?')}: {got.error}"
    return f"verified {got.event.get('type')} {got.headers.get('webhook-id')}: " + json.dumps(
        got.event.get("data"), sort_keys=True
    )
