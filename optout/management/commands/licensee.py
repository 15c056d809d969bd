"""`manage.py licensee NAME --rotate-token | --rotate-secret | --revoke | --resume-webhook`:
the same actions as the admin's, for a licensee named (or numbered) NAME."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from optout import licensees
from optout.models import Licensee


class Command(BaseCommand):
    help = "Rotate a licensee's API token or webhook secret, revoke it, or resume its webhook."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("licensee", help="The licensee's name, or its id.")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument(
            "--rotate-token", action="store_true", help="Print a new token; the old one stops."
        )
        action.add_argument(
            "--rotate-secret", action="store_true", help="Print a new webhook signing secret."
        )
        action.add_argument(
            "--revoke", action="store_true", help="Its token gets 401; no more events."
        )
        action.add_argument(
            "--resume-webhook", action="store_true", help="Re-enable a webhook paused by a 410."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key = str(options["licensee"])
        licensee = Licensee.objects.filter(name=key).first()
        if licensee is None and key.isdigit():
            licensee = Licensee.objects.filter(pk=int(key)).first()
        if licensee is None:
            raise CommandError(f"No licensee named {key!r}.")
        try:
            if options["rotate_token"]:
                token = licensees.token_rotate(licensee=licensee)
                self.stdout.write(f"New API token for {licensee.name} (shown only now):")
                self.stdout.write(f"  {token}")
            elif options["rotate_secret"]:
                secret = licensees.webhook_secret_rotate(licensee=licensee)
                self.stdout.write(f"New webhook signing secret for {licensee.name}:")
                self.stdout.write(f"  {secret}")
            elif options["revoke"]:
                done = licensees.licensee_revoke(licensee=licensee)
                word = "Revoked" if done else "Already revoked:"
                self.stdout.write(f"{word} {licensee.name}.")
            else:
                sent = licensees.webhook_resume(licensee=licensee)
                self.stdout.write(
                    f"Webhook of {licensee.name} resumed; {len(sent)} event(s) queued."
                )
        except licensees.LicenseeInvalid as invalid:
            raise CommandError(invalid.message) from None
