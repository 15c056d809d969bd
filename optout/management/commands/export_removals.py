"""`manage.py export_removals SLUG --format csv|json`: the public removal list."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from optout.lookup import removals
from optout.models import Dataset


class Command(BaseCommand):
    help = "Write every photo removed from a dataset (the same list as /datasets/SLUG/removals.*)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--format", choices=sorted(removals.FORMATS), default="csv")
        parser.add_argument("--output", "-o", help="A file to write; standard output if omitted.")

    def handle(self, *args: Any, **options: Any) -> None:
        dataset = Dataset.objects.filter(slug=options["slug"]).first()
        if dataset is None:
            known = ", ".join(Dataset.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No dataset “{options['slug']}”. Known: {known}.")
        chunks = removals.removals_stream(dataset, options["format"])
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                out.writelines(chunks)
        else:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
