"""`manage.py createlicensee --name … --email … --dataset …`: register an organisation
holding a copy; prints its API token and webhook signing secret, once."""

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from optout import licensees


def copy_date(text: str) -> datetime:
    """A date (2020-03-01) or an ISO date and time, as UTC when it names no zone."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date like 2020-03-01.") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Register a licensee (an organisation holding a copy of datasets). Prints its API "
        "token and, with --webhook, its webhook signing secret: both only this once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The organisation's name.")
        parser.add_argument(
            "--email", action="append", required=True, help="A contact address (repeatable)."
        )
        parser.add_argument(
            "--dataset",
            action="append",
            required=True,
            metavar="SLUG[@DATE]",
            help="A dataset it holds (repeatable); @DATE: when its copy was taken.",
        )
        parser.add_argument(
            "--since",
            metavar="DATE",
            help="When its copies were taken, for every --dataset without its own @DATE. "
            "Without either: not known, and its feed holds every removal.",
        )
        parser.add_argument(
            "--language",
            default="",
            help="The language of its emails, a code of LANGUAGES (default: the site's).",
        )
        parser.add_argument("--webhook", default="", help="URL for removals.available events.")
        parser.add_argument(
            "--show-name",
            action="store_true",
            help="Owners may see its name among the organisations that confirmed their deletions.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = copy_date(options["since"]) if options["since"] else None
        datasets: list[tuple[str, datetime | None]] = []
        for item in options["dataset"]:
            slug, _, date = str(item).partition("@")
            datasets.append((slug.strip(), copy_date(date) if date else since))
        try:
            created = licensees.licensee_create(
                name=options["name"],
                contacts=[str(address).strip() for address in options["email"]],
                datasets=datasets,
                webhook_url=options["webhook"],
                show_name=options["show_name"],
                language=options["language"],
            )
        except licensees.LicenseeInvalid as invalid:
            raise CommandError(invalid.message) from None
        licensee = created.licensee
        held = ", ".join(slug for slug, _ in datasets)
        self.stdout.write(f"Created licensee {licensee.name} (id {licensee.pk}) holding {held}.")
        self.stdout.write("API token (shown only now; we keep only a hash of it):")
        self.stdout.write(f"  {created.token}")
        if created.webhook_secret:
            self.stdout.write("Webhook signing secret (Standard Webhooks; shown only now):")
            self.stdout.write(f"  {created.webhook_secret}")
