"""manage.py load_demo: generated demo datasets, so a fresh `make run` has something to find."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from devtools import demo, demo_flickr, demo_licensee, demo_queue


class Command(BaseCommand):
    help = (
        "Write the seeded demo manifests under VAR_DIR/demo/ (a 25-column YFCC100M file "
        "and an FFHQ JSON) and import them. Safe to run again: it updates in place."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for summary in demo.demo_load():
            for line in summary.lines():
                self.stdout.write(line)
        # A dataset of links, and what owners did on the demo's Flickr (the re-check).
        for line in demo_flickr.demo_flickr_load().lines():
            self.stdout.write(line)
        tries = [
            f"{owner.username} ({owner.nsid}: "
            + ", ".join(f"{n} in {slug}" for slug, n in sorted(per.items()))
            + ")"
            for owner, per in demo.owners_to_try()
        ]
        # Work in the maintainers' queue (devtools/demo_queue.py).
        queue_lines = demo_queue.demo_queue_fill().lines()
        # A licensee holding a copy of both datasets (docs/licensees.md, the demo walk).
        lab = demo_licensee.demo_licensee_ensure()
        self.stdout.write(
            f"Demo licensee {lab.licensee.name}: token {lab.token}, webhook to "
            f"{lab.licensee.webhook_url}, its copy in {lab.folder}. Apply its removals:"
        )
        self.stdout.write("  " + demo_licensee.sync_command(lab, demo.DIF["slug"]))
        for line in queue_lines:
            self.stdout.write(line)
        # A maintainer to work the queue (a fresh link each run).
        call_command("createmaintainer", demo_queue.MAINTAINER, stdout=self.stdout)
        self.stdout.write(
            f"Then sign in at {settings.SITE_URL.rstrip('/')}/admin/ as {demo_queue.MAINTAINER}."
        )
        # Last, where a terminal leaves the eye: who to try.
        self.stdout.write(self.style.SUCCESS("Demo owners to look up: " + "; ".join(tries)))
