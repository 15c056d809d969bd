"""manage.py import_dataset SLUG FILE: load a dataset manifest into the registry."""

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from optout.importers import FORMATS, ImportProblem, dataset_import


class Command(BaseCommand):
    # An import needs the models, not the URL configuration: Django's system checks
    # import every view (and the OAuth client behind sign-in) first, much of a small
    # import's start-up. `manage.py check` and the server still run them.
    requires_system_checks: list[str] = []
    help = (
        "Import a dataset manifest (YFCC100M metadata, CSV, JSON lines or FFHQ JSON; "
        "plain, gzip, bzip2 or xz; or Parquet) into the dataset SLUG, creating it when new. "
        "A dataset of links (a url, URL, image_url or link column, no photo id) keeps its "
        "Flickr photos and counts the other rows as not Flickr. "
        "Re-importing updates photos in place and never brings back a removed one. "
        "With --release R --complete the file is the whole of release R: the dataset's "
        "photos it does not list stay, as in earlier releases only."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="Dataset slug, e.g. diversity-in-faces.")
        parser.add_argument("file", type=Path, help="The manifest file.")
        parser.add_argument(
            "--format", default="auto", choices=("auto", *FORMATS), help="Default: detect."
        )
        parser.add_argument(
            "--release",
            default="",
            help="A new release of the dataset, e.g. 2.0; one already imported is refused "
            "(see --force). Without it, the photos are added to the current release.",
        )
        parser.add_argument(
            "--complete",
            action="store_true",
            help="The file is the whole of --release: photos it does not list leave the "
            "current release (they stay in earlier ones, and removable).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Import a --release the dataset already imported, as its newest release.",
        )
        parser.add_argument("--name", default="", help="Dataset name shown to people.")
        parser.add_argument("--description", default="", help="Dataset description.")
        parser.add_argument("--source", default="", help="Where the photos came from.")
        parser.add_argument(
            "--rejects", type=Path, default=None, help="Where to write rejected rows (CSV)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bar = None
        if self.stdout.isatty():
            bar = tqdm(total=0, unit="B", unit_scale=True, desc=options["slug"], file=sys.stdout)

        def progress(done: int, total: int) -> None:
            assert bar is not None  # passed on below only when there is a bar
            bar.total = total
            bar.update(done - bar.n)

        try:
            summary = dataset_import(
                slug=options["slug"],
                path=options["file"],
                fmt=options["format"],
                release=options["release"],
                name=options["name"],
                description=options["description"],
                source=options["source"],
                rejects=options["rejects"],
                progress=progress if bar is not None else None,
                complete=options["complete"],
                force=options["force"],
            )
        except ImportProblem as problem:
            raise CommandError(str(problem)) from problem
        finally:
            if bar is not None:
                bar.close()
        for line in summary.lines():
            self.stdout.write(line)
