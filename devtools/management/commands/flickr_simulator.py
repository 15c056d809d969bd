"""Run the local Flickr simulator for `make run` (DEBUG only, never in production).

Its accounts are the distinct owners in the Photo table and its photos are
that table's photos, read live, with the demo's world file (the owners of the
link dataset's photos, each owner's other public photos) and its switches (what
owners did on Flickr; /simulator/ changes them); it knows the fixed demo key pair
that settings use when FLICKR_SIMULATOR is on.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from devtools.demo_flickr import switches_path, world_path
from devtools.flickr_simulator import (
    FlickrSimulator,
    PhotoTableDirectory,
    Switches,
    serve_forever,
)


class Command(BaseCommand):
    help = "Serve a local stand-in for Flickr's OAuth and REST API (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port",
            type=int,
            default=settings.FLICKR_SIMULATOR_PORT,
            help="Port to listen on (default: FLICKR_SIMULATOR_PORT, 8001).",
        )
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to bind (default: 127.0.0.1)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "The Flickr simulator only runs with DEBUG on: it signs anyone in as "
                "anyone. Set DEBUG=true for a local run."
            )
        if not settings.FLICKR_SIMULATOR:
            # Still serve: under honcho, exiting would stop the web process too.
            self.stderr.write(
                "FLICKR_API_KEY is set, so the site talks to real Flickr; this simulator "
                "is running but unused."
            )
        logging.getLogger("devtools.flickr_simulator").setLevel(logging.INFO)
        app = FlickrSimulator(
            api_key=settings.FLICKR_API_KEY,
            api_secret=settings.FLICKR_API_SECRET,
            directory=PhotoTableDirectory(world_path()),
            switches=Switches(switches_path()),
        )
        host, port = options["host"], options["port"]
        self.stdout.write(f"Flickr simulator on http://{host}:{port}/services/ (Ctrl-C stops it)")
        self.stdout.write(
            "  On its sign-in page, pick any owner from the Photo table or type any username."
        )
        self.stdout.write(
            f"  What owners did on Flickr, and its faults: http://{host}:{port}/simulator/"
        )
        # Under honcho stdout is a pipe: without a flush this line shows up only at exit.
        self.stdout.flush()
        try:
            serve_forever(app, host=host, port=port)
        except OSError as exc:
            raise CommandError(f"Could not listen on {host}:{port}: {exc.strerror}.") from exc
        except KeyboardInterrupt:
            self.stdout.write("Flickr simulator stopped.")
