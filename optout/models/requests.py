"""Removal requests: who asked, for which photos, and every move of the request."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from optout.models.registry import Photo


class RejectReason(models.TextChoices):
    """A maintainer's standard reasons. The label is the sentence the requester reads,
    except for "other", whose free text stands alone."""

    NOT_IN_DATASET = "not_in_dataset", "The photos are not in any dataset we maintain."
    NOT_SHOWN = "not_shown", "We could not see you in the photos you named."
    UNVERIFIABLE = "unverifiable", "We could not verify the request from what you told us."
    DUPLICATE = "duplicate", "These photos are already in another request."
    OTHER = "other", "Other (write it below)"

    @classmethod
    def sentence(cls, code: str) -> str:
        """The standard sentence of `code`; "" for other, none or an unknown code."""
        if code == cls.OTHER or code not in cls.values:
            return ""
        return str(cls(code).label)


class RemovalRequest(models.Model):
    """A request to remove photos. `status` moves only through optout.workflow."""

    class Kind(models.TextChoices):
        OWNER = "owner", "owner"
        SHOWN = "shown_in_photo", "shown in photo"
        # Filed by the re-check for what the owner did on Flickr (optout.recheck).
        FLICKR_SIGNAL = "flickr_signal", "Flickr signal"

    class Status(models.TextChoices):
        # The labels are what the requester reads ("Request R-…: needs review"), in
        # the page's or email's language.
        PENDING_EMAIL = "pending_email", _("waiting for email confirmation")
        VERIFIED = "verified", _("verified")
        NEEDS_REVIEW = "needs_review", _("needs review")
        APPROVED = "approved", _("approved")
        DELETING = "deleting", _("deleting")
        COMPLETED = "completed", _("completed")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")
        REJECTED = "rejected", _("rejected")

    class Scope(models.TextChoices):
        ALL = "all", "all my photos"
        SELECTED = "selected", "the photos I chose"

    public_id = models.CharField(max_length=16, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OWNER)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    # Bound to the NSID, never to the username, which its owner can change.
    owner_nsid = models.CharField(max_length=32, blank=True, db_index=True)
    flickr_username = models.CharField(
        max_length=255, blank=True, help_text="At sign-in, for the maintainers' eyes only."
    )
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.ALL)
    future_releases = models.BooleanField(
        default=False, help_text="Also keep this owner out of every future release."
    )
    email = models.EmailField(blank=True)
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The language the request was filed in (a code of settings.LANGUAGES): every
    # email about it is written in this one, whoever sends it.
    language = models.CharField(max_length=8, default="en")
    deadline = models.DateTimeField()
    reject_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    photos = models.ManyToManyField(Photo, through="RequestPhoto", related_name="requests")
    # A person shown in a photo (kind shown_in_photo) tells us these, for a maintainer to judge.
    relation = models.CharField(
        max_length=200, blank=True, help_text="How the requester relates to the photos."
    )
    statement = models.TextField(blank=True)
    contact = models.CharField(
        max_length=500, blank=True, help_text="Optional contact details besides the email."
    )
    photo_links = models.TextField(blank=True, help_text="The photo links or ids, as given.")
    reject_reason_code = models.CharField(
        max_length=32,
        blank=True,
        choices=RejectReason.choices,
        help_text="The standard reason picked; reject_reason is sent.",
    )
    # Set by optout.privacy.retention once the requester's email and words are gone; the
    # row stays as the receipt of what was removed.
    personal_data_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The maintainers' queue: each action is its own permission (see optout.admin).
        permissions = [
            ("approve_removalrequest", "Can approve removal requests"),
            ("reject_removalrequest", "Can reject removal requests"),
            ("retry_removalrequest", "Can retry failed removal requests"),
            ("note_removalrequest", "Can add internal notes to removal requests"),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


CLOSED_STATUSES = frozenset(
    {
        RemovalRequest.Status.COMPLETED,
        RemovalRequest.Status.CANCELLED,
        RemovalRequest.Status.REJECTED,
    }
)


class RequestPhoto(models.Model):
    request = models.ForeignKey(RemovalRequest, on_delete=models.CASCADE)
    # No database constraint: on PostgreSQL optout_photo is partitioned by dataset and
    # its key is (id, dataset_id) (migration 0008). Photos are never deleted but with
    # their dataset, through the ORM, which cascades here.
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, db_constraint=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "photo"], name="request_photo_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.photo_id} in {self.request_id}"


class RequestLink(models.Model):
    """A secret link into a request. Only the SHA-256 of its token is stored.

    Single-purpose: a status link opens the status page; a confirm link
    confirms the email address once, within its expiry. Each email carries
    a freshly minted link, since we cannot recover the token of an old one.
    """

    class Purpose(models.TextChoices):
        STATUS = "status", "status page"
        CONFIRM = "confirm", "email confirmation"

    request = models.ForeignKey(RemovalRequest, on_delete=models.CASCADE, related_name="links")
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} link of {self.request_id}"


class RequestEvent(models.Model):
    """Append-only audit trail: one row per state change, note or delivery problem."""

    class Kind(models.TextChoices):
        STATUS = "status", "status change"
        EMAIL_CONFIRMED = "email_confirmed", "email confirmed"
        EMAIL_BOUNCED = "email_bounced", "email bounced"
        EMAIL_COMPLAINED = "email_complained", "spam complaint"
        EMAIL_FAILED = "email_failed", "email failed"
        JOINED = "joined", "photos added"
        SIGNAL = "flickr_signal", "signal on Flickr"
        NOTE = "note", "internal note"

    request = models.ForeignKey(RemovalRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STATUS)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=150, help_text="requester, system, or maintainer:<name>")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    why = models.TextField(blank=True)
    public = models.BooleanField(default=True, help_text="Shown on the requester's timeline.")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor}: {self.from_status}→{self.to_status} {self.why}"
        )
