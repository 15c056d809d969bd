"""manage.py hash_pictures SLUG [--all]: the perceptual hashes of a dataset's stored pictures."""

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from optout.pictures import DatasetUnknown, pictures_hash


class Command(BaseCommand):
    # Models and storage only, as import_dataset: the system checks import every view.
    requires_system_checks: list[str] = []
    help = (
        "Hash (PDQ) the first stored picture of each present photo of the dataset SLUG, "
        "for the look-up by picture. Only photos not hashed yet, unless --all. A missing "
        "or unreadable file is counted and skipped, and tried again on the next run."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="Dataset slug, e.g. ffhq.")
        parser.add_argument(
            "--all",
            action="store_true",
            dest="rehash",
            help="Hash every photo with stored files again, not only those not hashed yet.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bar = None
        if self.stdout.isatty():
            bar = tqdm(total=0, unit="picture", desc=options["slug"], file=sys.stdout)

        def progress(done: int, total: int) -> None:
            assert bar is not None  # passed on below only when there is a bar
            bar.total = total
            bar.update(done - bar.n)

        try:
            run = pictures_hash(
                slug=options["slug"],
                rehash=options["rehash"],
                progress=progress if bar is not None else None,
            )
        except DatasetUnknown as unknown:
            raise CommandError(str(unknown)) from unknown
        finally:
            if bar is not None:
                bar.close()
        for line in run.lines():
            self.stdout.write(line)
