"""`manage.py createmaintainer EMAIL`: a maintainer account and a one-time set-password link."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from optout.admin.group import maintainers_group_ensure


class Command(BaseCommand):
    help = (
        "Create a maintainer (staff, in the maintainers group) and print a link to set "
        "the password. The link works once and expires after PASSWORD_RESET_TIMEOUT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        email = str(options["email"]).strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"“{email}” is not an email address.") from None
        User = get_user_model()
        with transaction.atomic():
            group = maintainers_group_ensure()
            user, created = User.objects.get_or_create(
                username=email, defaults={"email": email, "is_staff": True}
            )
            if created:
                # No password until they set one through the link.
                user.set_unusable_password()
                user.save()
            elif not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            user.groups.add(group)
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        path = reverse("admin:maintainer_set_password", args=[uid, token])
        hours = settings.PASSWORD_RESET_TIMEOUT // 3600
        self.stdout.write(
            f"{'Created' if created else 'Updated'} maintainer {email}.\n"
            f"Set the password here (works once, for {hours} hours):\n"
            f"{settings.SITE_URL.rstrip('/')}{path}"
        )
