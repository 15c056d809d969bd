"""manage.py webhook_receiver: the demo lab's webhook endpoint on 127.0.0.1, printing each
event and whether its Standard Webhooks signature held (devtools/demo_licensee.py)."""

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from devtools import demo_licensee
from devtools.webhook_receiver import Received, describe, receiver_start


class Command(BaseCommand):
    help = "Receive the demo licensee's removals.available webhooks and check their signatures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=demo_licensee.webhook_port())

    def handle(self, *args: Any, **options: Any) -> None:
        _, secret = demo_licensee.credentials()
        receiver = receiver_start(secret=secret, port=options["port"])

        def show(got: Received) -> None:
            self.stdout.write(describe(got))
            self.stdout.flush()

        receiver.on_event = show
        self.stdout.write(f"Demo lab's webhook endpoint: {receiver.url}")
        self.stdout.flush()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            receiver.stop()
