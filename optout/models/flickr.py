"""What we learn from Flickr itself: a signed-in owner's public photo list (which finds
their photos in datasets that name no owner), and the background re-check of every
owner's photos (its passes, what each owner costs to check, the signals it found).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from optout.models.requests import RemovalRequest


class PhotoListing(models.Model):
    """A signed-in owner's public photos, read page by page (optout.recheck.listing).

    The row is the outbox: it is written at sign-in, enqueued after commit, and sent
    again by the sweeper while it waits (a lost message, a broker that was down) or
    runs with a heartbeat that stopped (a killed worker). One row per owner: a later
    sign-in queues it again once it is older than FLICKR_LISTING_FRESH_SECONDS.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    nsid = models.CharField(max_length=32, unique=True)
    username = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    pages = models.PositiveIntegerField(null=True, blank=True, help_text="Empty until page 1.")
    pages_read = models.PositiveIntegerField(default=0)
    photos_listed = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(
        default=0, help_text="Dataset photos found in the list that had no owner (or another)."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why it waits or failed, for the owner.")
    # Waiting for Flickr (our budget is spent, Flickr is down): not before then.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(help_text="Last time a task was sent for it.")
    claim = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["queued_at"],
                name="photolisting_open",
                condition=models.Q(status__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"listing of {self.nsid}: {self.pages_read}/{self.pages or '?'} ({self.status})"


class RecheckPass(models.Model):
    """One walk over the owners of every dataset (optout.recheck.walk).

    The background pass (`scope` empty) keeps its cursor here, so a restart resumes
    after the last owner checked; `recheck_flickr --dataset/--owner` runs record
    theirs with a scope, and leave the background cursor alone.
    """

    scope = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cursor = models.CharField(
        max_length=32, blank=True, help_text="The last owner checked; the next comes after it."
    )
    owners_total = models.PositiveIntegerField(default=0)
    photos_total = models.PositiveIntegerField(default=0)
    owners_checked = models.PositiveIntegerField(default=0)
    photos_checked = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    signals = models.JSONField(default=dict, blank=True, help_text="Signals found, by kind.")
    paused_until = models.DateTimeField(
        null=True, blank=True, help_text="Flickr failed: no call before then."
    )
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"re-check {self.scope or 'pass'} from {self.started_at:%Y-%m-%d %H:%M}"


class RecheckOwner(models.Model):
    """What checking an owner cost last time: how many public photos they have (so the
    next pass picks the cheaper way at once) and when they were checked."""

    nsid = models.CharField(max_length=32, unique=True)
    public_photos = models.PositiveIntegerField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    calls = models.PositiveIntegerField(default=0, help_text="Calls the last check took.")

    def __str__(self) -> str:
        return f"{self.nsid}: {self.public_photos} public photos"


class FlickrSignal(models.Model):
    """Something an owner did on Flickr that means "not in your dataset", found by the
    re-check and acted on through its request (kind flickr_signal). A photo's signal
    is counted once, whatever the passes that see it again."""

    class Kind(models.TextChoices):
        # The dashboard's names of the signals, in the maintainer's language.
        NO_CV = "no_cv", _("tagged no_cv")
        LICENSE = "license", _("licence changed")
        GONE = "gone", _("private or deleted")
        ACCOUNT = "account", _("account deleted")

    request = models.ForeignKey(
        RemovalRequest, on_delete=models.CASCADE, related_name="flickr_signals"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    flickr_id = models.BigIntegerField(null=True, blank=True, help_text="Empty: the account.")
    detail = models.CharField(max_length=300)
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["found_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["flickr_id"],
                condition=models.Q(flickr_id__isnull=False),
                name="flickrsignal_photo_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.flickr_id or ''} ({self.request_id})"
