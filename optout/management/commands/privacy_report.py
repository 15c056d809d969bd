"""`manage.py privacy_report`: the personal data held, and what retention erases next."""

from typing import Any

from django.core.management.base import BaseCommand

from optout.privacy import retention


class Command(BaseCommand):
    help = (
        "Print the personal data held, by table and age, and what the retention job "
        "(RETENTION_DAYS after a request closes) erases next."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = retention.privacy_report_build()
        self.stdout.write(retention.privacy_report_text(report), ending="")
