"""Downstream copies: the organisations holding a copy of a dataset (licensees), the
removal feed they read, their acknowledgements, and the webhooks and emails that
tell them (optout.licensees has the rules; optout.deletion.downstream publishes).

The feed is numbered per dataset in commit order: a request's removals get the next
numbers (`FeedEntry.seq`) in the transaction that completes it, under a lock on the
dataset's `DatasetFeed` row, so no removal can ever appear behind a position a
licensee has already read past.
"""

from django.conf import settings
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from optout.models.registry import Dataset, Photo
from optout.models.requests import RemovalRequest


def validate_contacts(value: str) -> None:
    for address in contact_list(value):
        validate_email(address)


def language_choices() -> list[tuple[str, str]]:
    """The site's languages (a callable, so a new language needs no migration)."""
    return list(settings.LANGUAGES)


def contact_list(value: str) -> list[str]:
    """Addresses written one per line, or separated by commas."""
    return [part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()]


class Licensee(models.Model):
    """An organisation holding a copy of one or more datasets."""

    # The labels (verbose_name, help_text) are what the maintainers' admin shows.
    name = models.CharField(_("name"), max_length=200, unique=True)
    contacts = models.TextField(
        _("contacts"),
        validators=[validate_contacts],
        help_text=_("Email addresses for the digest and reminders, one per line."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=language_choices,
        default="en",
        help_text=_("The language of its daily emails."),
    )
    show_name = models.BooleanField(
        _("show the name to owners"),
        default=False,
        help_text=_(
            "Owners may see this name among the organisations that confirmed their deletions."
        ),
    )
    # Only the SHA-256 of the API token; the token itself is shown once, when minted.
    token_hash = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(
        _("token"), max_length=8, blank=True, help_text=_("The token's last characters.")
    )
    token_created_at = models.DateTimeField(_("token created"))
    webhook_url = models.URLField(
        _("webhook URL"),
        max_length=500,
        blank=True,
        help_text=_("Where `removals.available` events are posted."),
    )
    # The Standard Webhooks signing key (whsec_…). Kept as it is: an HMAC needs the key.
    webhook_secret = models.CharField(max_length=100, blank=True)
    # A 410 from the endpoint pauses its webhook until a maintainer resumes it.
    webhook_paused_at = models.DateTimeField(_("webhook paused"), null=True, blank=True)
    webhook_paused_why = models.CharField(_("why it was paused"), max_length=500, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    datasets = models.ManyToManyField(Dataset, through="LicenseeDataset", related_name="licensees")

    class Meta:
        ordering = ["name"]
        verbose_name = _("licensee")
        verbose_name_plural = _("licensees")
        # As for the queue, no generic add/change/delete for the maintainers: registering
        # and editing is a permission of its own (optout.admin.licensees).
        permissions = [
            ("manage_licensee", "Can register and edit licensees and the copies they hold"),
            ("rotate_licensee", "Can rotate licensee API tokens and webhook secrets"),
            ("revoke_licensee", "Can revoke licensees"),
            ("resume_licensee", "Can resume a licensee's paused webhook"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def contact_list(self) -> list[str]:
        return contact_list(self.contacts)


class LicenseeDataset(models.Model):
    """A copy: one dataset a licensee holds, since when, and how far it has confirmed."""

    licensee = models.ForeignKey(
        Licensee, on_delete=models.CASCADE, related_name="holdings", verbose_name=_("licensee")
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="holdings", verbose_name=_("dataset")
    )
    since = models.DateTimeField(
        _("since"),
        null=True,
        blank=True,
        help_text=_(
            "When the licensee took its copy. Its feed holds every removal since; "
            "empty: not known, so every removal."
        ),
    )
    # The feed position (FeedEntry.seq) through which the licensee confirmed deleting.
    acked_seq = models.BigIntegerField(_("acknowledged up to"), default=0)
    acked_at = models.DateTimeField(_("last acknowledgement"), null=True, blank=True)
    last_read_at = models.DateTimeField(_("last feed read"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["licensee__name", "dataset__slug"]
        verbose_name = _("copy held")
        verbose_name_plural = _("copies held")
        constraints = [
            models.UniqueConstraint(fields=["licensee", "dataset"], name="licensee_dataset_unique")
        ]

    def __str__(self) -> str:
        return gettext("%(dataset)s held by %(licensee)s") % {
            "dataset": self.dataset,
            "licensee": self.licensee,
        }


class DatasetFeed(models.Model):
    """The head of a dataset's removal feed: the last position handed to a removal."""

    dataset = models.OneToOneField(Dataset, on_delete=models.CASCADE, related_name="feed")
    last_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"feed of {self.dataset_id} at {self.last_seq}"


class FeedEntry(models.Model):
    """One removed photo in its dataset's feed, at position `seq`."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="feed_entries")
    seq = models.BigIntegerField()
    # No database constraint, as RequestPhoto: optout_photo is partitioned on PostgreSQL.
    photo = models.OneToOneField(
        Photo, on_delete=models.CASCADE, db_constraint=False, related_name="feed_entry"
    )
    flickr_id = models.BigIntegerField()
    removed_at = models.DateTimeField()
    published_at = models.DateTimeField()
    request = models.ForeignKey(
        RemovalRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "seq"], name="feed_entry_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.flickr_id} at {self.seq} in {self.dataset_id}"


class Acknowledgement(models.Model):
    """A licensee's acknowledgement that moved its position forward (the outbox of the
    owners' "every copy is clean" check, which a task runs after commit)."""

    holding = models.ForeignKey(
        LicenseeDataset, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    from_seq = models.BigIntegerField()
    to_seq = models.BigIntegerField()
    confirmed = models.PositiveIntegerField(help_text="Removals this acknowledgement confirmed.")
    at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(
        null=True, blank=True, help_text="When the owners' copy counts were checked after it."
    )

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.holding}: {self.from_seq}→{self.to_seq}"


class WebhookDelivery(models.Model):
    """One `removals.available` event for one licensee: the outbox row, written with the
    removals it announces, sent by a task and re-sent by the sweeper until it is due no more."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery state", "pending")
        DELIVERED = "delivered", pgettext_lazy("webhook delivery state", "delivered")
        # A newer event for the same copy announces a later position: this one is moot.
        SUPERSEDED = "superseded", pgettext_lazy("webhook delivery state", "superseded")
        PAUSED = "paused", pgettext_lazy("webhook delivery state", "paused (410)")
        FAILED = "failed", pgettext_lazy("webhook delivery state", "failed (gave up)")
        CANCELLED = "cancelled", pgettext_lazy("webhook delivery state", "cancelled")

    licensee = models.ForeignKey(
        Licensee, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("licensee")
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="+", verbose_name=_("dataset")
    )
    seq = models.BigIntegerField(
        _("feed position"), help_text=_("The feed position the event announces.")
    )
    webhook_id = models.CharField(_("webhook ID"), max_length=64, unique=True)
    status = models.CharField(
        _("state"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    queued_at = models.DateTimeField(_("handed to a worker"), null=True, blank=True)
    claim = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"))
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return gettext("%(id)s (%(state)s)") % {
            "id": self.webhook_id,
            "state": self.get_status_display(),
        }


class WebhookAttempt(models.Model):
    """Each try of a delivery: when, the HTTP status, the error."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="tries",
        verbose_name=_("webhook delivery"),
    )
    at = models.DateTimeField(_("when"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("time taken (ms)"), default=0)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"


class LicenseeNotice(models.Model):
    """A digest or reminder email to a licensee's contacts: at most one per licensee a
    day (`day`), claimed before the provider is called, so it goes out at most once."""

    class Kind(models.TextChoices):
        DIGEST = "licensee_digest", _("digest")
        REMINDER = "licensee_reminder", _("reminder")

    class Outcome(models.TextChoices):
        SENDING = "sending", pgettext_lazy("email state", "sending")
        SENT = "sent", pgettext_lazy("email state", "sent")
        FAILED = "failed", pgettext_lazy("email state", "failed")

    licensee = models.ForeignKey(
        Licensee, on_delete=models.CASCADE, related_name="notices", verbose_name=_("licensee")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    day = models.DateField(_("day"))
    to = models.TextField(_("to"), blank=True)
    waiting = models.PositiveIntegerField(
        _("removals waiting"), default=0, help_text=_("Removals waiting when written.")
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.SENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("daily email")
        verbose_name_plural = _("daily emails")
        constraints = [
            models.UniqueConstraint(fields=["licensee", "day"], name="licensee_notice_daily")
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s of %(day)s (%(outcome)s)") % {
            "kind": self.get_kind_display(),
            "day": self.day,
            "outcome": self.get_outcome_display(),
        }
