"""manage.py load_demo: generated demo datasets, so a fresh `make run` has something to find."""

from typing import Any

from django.core.management.base import BaseCommand

from devtools import demo, demo_licensee


class Command(BaseCommand):
    help = (
        "Write the seeded demo manifests under VAR_DIR/demo/ (a 25-column YFCC100M file "
        "and an FFHQ JSON) and import them. Safe to run again: it updates in place."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for summary in demo.demo_load():
            for line in summary.lines():
                self.stdout.write(line)
        tries = [
            f"{owner.username} ({owner.nsid}: "
            + ", ".join(f"{n} in {slug}" for slug, n in sorted(per.items()))
            + ")"
            for owner, per in demo.owners_to_try()
        ]
        # A licensee holding a copy of both datasets (docs/licensees.md, the demo walk).
        lab = demo_licensee.demo_licensee_ensure()
        self.stdout.write(
            f"Demo licensee {lab.licensee.name}: token {lab.token}, webhook to "
            f"{lab.licensee.webhook_url}, its copy in {lab.folder}. Apply its removals:"
        )
        self.stdout.write("  " + demo_licensee.sync_command(lab, demo.DIF["slug"]))
        # Last, where a terminal leaves the eye: who to try.
        self.stdout.write(self.style.SUCCESS("Demo owners to look up: " + "; ".join(tries)))
