"""Registering licensees, and their credentials: an API token of which only a hash is
kept, and a Standard Webhooks signing secret (`whsec_…`). Both are shown once, when
minted; the admin and `createlicensee` / `licensee` call these."""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from optout.deletion import downstream
from optout.licensees import feed
from optout.models import Dataset, Licensee, LicenseeDataset, WebhookDelivery

TOKEN_PREFIX = "optl_"  # noqa: S105 (a prefix, not a secret)
SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks prefix)
D = WebhookDelivery.Status


class LicenseeInvalid(Exception):
    """Bad input to a licensee service: the message says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Credentials:
    licensee: Licensee
    token: str
    webhook_secret: str  # "" without a webhook


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_mint() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def webhook_secret_mint() -> str:
    """A 32-byte key in the Standard Webhooks form: whsec_ + base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _check_url(url: str) -> None:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise LicenseeInvalid(f"{url!r} is not an http(s) URL for the webhook.") from error


def licensee_create(
    *,
    name: str,
    contacts: list[str],
    datasets: list[tuple[str, datetime | None]],
    webhook_url: str = "",
    show_name: bool = False,
    token: str | None = None,
    webhook_secret: str | None = None,
    language: str = "",
) -> Credentials:
    """A new licensee holding `datasets` ((slug, copy taken at or None)). A copy whose
    feed already holds removals gets a webhook at once. `token` and `webhook_secret`
    are for the demo's fixed credentials; anything else mints them. `language`: the
    one its emails are written in (default: the site's)."""
    name = name.strip()
    if not name:
        raise LicenseeInvalid("Give the organisation's name.")
    if Licensee.objects.filter(name=name).exists():
        raise LicenseeInvalid(f"A licensee named {name!r} exists already.")
    if not contacts:
        raise LicenseeInvalid("Give at least one contact email address.")
    for address in contacts:
        try:
            validate_email(address)
        except ValidationError as error:
            raise LicenseeInvalid(f"{address!r} is not an email address.") from error
    if not datasets:
        raise LicenseeInvalid("Name at least one dataset the licensee holds.")
    slugs = [slug for slug, _ in datasets]
    found = {d.slug: d for d in Dataset.objects.filter(slug__in=slugs)}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        known = ", ".join(Dataset.objects.order_by("slug").values_list("slug", flat=True))
        raise LicenseeInvalid(f"No dataset {', '.join(missing)}. Known: {known or 'none'}.")
    codes = [code for code, _ in settings.LANGUAGES]
    language = language or settings.LANGUAGE_CODE
    if language not in codes:
        raise LicenseeInvalid(f"No language {language!r}. Known: {', '.join(codes)}.")
    if webhook_url:
        _check_url(webhook_url)
    token = token or token_mint()
    secret = (webhook_secret or webhook_secret_mint()) if webhook_url else ""
    with transaction.atomic():
        licensee = Licensee.objects.create(
            name=name,
            contacts="\n".join(contacts),
            show_name=show_name,
            language=language,
            token_hash=token_hash(token),
            token_hint=token[-4:],
            token_created_at=timezone.now(),
            webhook_url=webhook_url,
            webhook_secret=secret,
        )
        for slug, since in datasets:
            LicenseeDataset.objects.create(licensee=licensee, dataset=found[slug], since=since)
        webhooks_catch_up(licensee=licensee)
    return Credentials(licensee=licensee, token=token, webhook_secret=secret)


def webhooks_catch_up(*, licensee: Licensee) -> list[int]:
    """A webhook per copy with removals waiting (a new licensee, a resumed webhook)."""
    sent: list[int] = []
    if not licensee.webhook_url or not licensee.is_active or licensee.webhook_paused_at:
        return sent
    for holding in licensee.holdings.all():
        newest = feed.waiting(holding).order_by("-seq").values_list("seq", flat=True).first()
        if newest is None:
            continue
        head = feed.feed_head(dataset_id=holding.dataset_id)
        sent += downstream.deliveries_write(
            dataset_id=holding.dataset_id, seq=head, licensee_id=licensee.pk
        )
    return sent


def licensee_authenticate(*, token: str) -> Licensee | None:
    """The active licensee whose token this is; None for any other string."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    licensee = Licensee.objects.filter(token_hash=token_hash(token)).first()
    if licensee is None or not licensee.is_active:
        return None
    return licensee


def token_rotate(*, licensee: Licensee) -> str:
    """A new API token; the old one stops working at once. Returns the new one."""
    if not licensee.is_active:
        raise LicenseeInvalid(_("%(name)s is revoked.") % {"name": licensee.name})
    token = token_mint()
    Licensee.objects.filter(pk=licensee.pk).update(
        token_hash=token_hash(token), token_hint=token[-4:], token_created_at=timezone.now()
    )
    licensee.refresh_from_db()
    return token


def webhook_secret_rotate(*, licensee: Licensee) -> str:
    """A new signing secret; events from now on are signed with it. Returns it."""
    if not licensee.webhook_url:
        raise LicenseeInvalid(_("%(name)s has no webhook.") % {"name": licensee.name})
    secret = webhook_secret_mint()
    Licensee.objects.filter(pk=licensee.pk).update(webhook_secret=secret)
    licensee.refresh_from_db()
    return secret


def licensee_revoke(*, licensee: Licensee) -> bool:
    """Revoke: its token gets 401, no more webhooks or digests, and owners no longer
    count its copies. False if it was revoked already."""
    with transaction.atomic():
        revoked = Licensee.objects.filter(pk=licensee.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        WebhookDelivery.objects.filter(licensee=licensee, status=D.PENDING).update(
            status=D.CANCELLED
        )
    licensee.refresh_from_db()
    return bool(revoked)


def webhook_resume(*, licensee: Licensee) -> list[int]:
    """A maintainer re-enables a webhook paused by a 410: one event per copy with
    removals waiting, announcing the feed's head. Returns the new deliveries."""
    with transaction.atomic():
        Licensee.objects.filter(pk=licensee.pk).update(
            webhook_paused_at=None, webhook_paused_why=""
        )
        licensee.refresh_from_db()
        return webhooks_catch_up(licensee=licensee)
