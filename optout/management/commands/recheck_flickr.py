"""manage.py recheck_flickr [--dataset SLUG] [--owner NSID] [--dry-run]: the owners'
signals on Flickr, checked now, in the foreground (docs/recheck.md)."""

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from optout.models import FlickrSignal
from optout.recheck import OwnerResult, RecheckProblem, Run, recheck_run

LABELS = dict(FlickrSignal.Kind.choices)


class Command(BaseCommand):
    # Models and Flickr only, as import_dataset: the system checks import every view.
    requires_system_checks: list[str] = []
    help = (
        "Check the owners of every dataset (or of one, or one owner) on Flickr now, within "
        "the re-check's share of the hourly budget, and act on their signals (no_cv, a "
        "licence change, a private or deleted photo, a deleted account) as RECHECK_POLICY "
        "says. --dry-run prints what would be removed and why, and changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dataset", default="", help="Only this dataset's photos (slug).")
        parser.add_argument("--owner", default="", help="Only this owner (NSID).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Ask Flickr, file nothing, change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        bar = tqdm(total=0, unit="owner", desc="re-check", file=sys.stdout, disable=None)

        def started(owners: int) -> None:
            bar.total = owners
            bar.refresh()

        def progress(result: OwnerResult) -> None:
            bar.update(1)
            if dry_run:
                for line in _would(result):
                    bar.write(line, file=sys.stdout)

        try:
            run = recheck_run(
                dataset=options["dataset"],
                owner=options["owner"],
                dry_run=dry_run,
                started=started,
                progress=progress,
            )
        except RecheckProblem as problem:
            raise CommandError(str(problem)) from problem
        finally:
            bar.close()
        for line in _summary(run, dry_run=dry_run, owner=options["owner"]):
            self.stdout.write(line)
        if run.stopped:
            raise CommandError(
                f"Stopped before the end, acting on nothing of the owner being checked: "
                f"{run.stopped} Run it again later; the owners checked keep what was done."
            )


def _would(result: OwnerResult) -> list[str]:
    lines = []
    for finding in result.check.findings:
        if finding.flickr_id is None:
            count = sum(len(slugs) for slugs in result.datasets.values())
            lines.append(
                f"would remove all {count} photo{'s' if count != 1 else ''} of "
                f"{result.check.nsid} and keep them out of future releases: {finding.detail}"
            )
            continue
        where = ", ".join(result.datasets.get(finding.flickr_id, [])) or "no dataset any more"
        lines.append(f"would remove photo {finding.flickr_id} ({where}): {finding.detail}")
    return lines


def _summary(run: Run, *, dry_run: bool, owner: str) -> list[str]:
    lines = [
        f"{'Dry run: ' if dry_run else ''}{run.owners:,} owner{'s' if run.owners != 1 else ''} "
        f"checked, {run.photos:,} photo{'s' if run.photos != 1 else ''}, "
        f"{run.calls:,} Flickr call{'s' if run.calls != 1 else ''}."
    ]
    if owner and not run.owners and not run.stopped:
        lines.append(f"{owner} has no photo present in the datasets in scope.")
    if run.signals:
        found = ", ".join(f"{LABELS.get(k, k)}: {n}" for k, n in sorted(run.signals.items()))
        lines.append(f"Signals found: {found}.")
    else:
        lines.append("No signals found.")
    if not dry_run:
        for result in run.acted:
            if result.removal is not None:
                lines.append(
                    f"Request {result.removal.public_id} for {result.check.nsid}: "
                    f"{result.removal.get_status_display()}."
                )
    return lines
