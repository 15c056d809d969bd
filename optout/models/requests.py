"""Removal requests: who asked, for which photos, and every move of the request."""

from django.db import models
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from optout.models.registry import Photo


class RejectReason(models.TextChoices):
    """A maintainer's standard reasons. The label is the sentence the requester reads,
    except for "other", whose free text stands alone. The maintainer picks it in their
    language; it is stored in English (`sentence`), and each reader gets it in theirs
    (optout/notifications/wording.py)."""

    NOT_IN_DATASET = "not_in_dataset", _("The photos are not in any dataset we maintain.")
    NOT_SHOWN = "not_shown", _("We could not see you in the photos you named.")
    UNVERIFIABLE = "unverifiable", _("We could not verify the request from what you told us.")
    DUPLICATE = "duplicate", _("These photos are already in another request.")
    OTHER = "other", _("Other (write it below)")

    @classmethod
    def sentence(cls, code: str) -> str:
        """The standard sentence of `code` in English, as stored; "" for other, none or
        an unknown code."""
        if code == cls.OTHER or code not in cls.values:
            return ""
        with translation.override(None):
            return str(cls(code).label)


class RemovalRequest(models.Model):
    """A request to remove photos. `status` moves only through optout.workflow."""

    class Kind(models.TextChoices):
        OWNER = "owner", _("owner")
        SHOWN = "shown_in_photo", _("shown in photo")
        # Filed by the re-check for what the owner did on Flickr (optout.recheck).
        FLICKR_SIGNAL = "flickr_signal", _("Flickr signal")

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
        ALL = "all", _("all my photos")
        SELECTED = "selected", _("the photos I chose")

    # The labels (verbose_name, help_text) are what the maintainers' admin shows.
    public_id = models.CharField(_("request"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OWNER)
    status = models.CharField(_("state"), max_length=16, choices=Status.choices, db_index=True)
    # Bound to the NSID, never to the username, which its owner can change.
    owner_nsid = models.CharField(_("owner's NSID"), max_length=32, blank=True, db_index=True)
    flickr_username = models.CharField(
        _("Flickr username"),
        max_length=255,
        blank=True,
        help_text=_("At sign-in, for the maintainers' eyes only."),
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.ALL)
    future_releases = models.BooleanField(
        _("future releases"),
        default=False,
        help_text=_("Also keep this owner out of every future release."),
    )
    email = models.EmailField(_("email"), blank=True)
    email_confirmed_at = models.DateTimeField(_("email confirmed"), null=True, blank=True)
    # The language the request was filed in (a code of settings.LANGUAGES): every
    # email about it is written in this one, whoever sends it.
    language = models.CharField(max_length=8, default="en")
    deadline = models.DateTimeField(_("deadline"))
    reject_reason = models.TextField(_("reason for rejecting"), blank=True)
    created_at = models.DateTimeField(_("filed"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    photos = models.ManyToManyField(Photo, through="RequestPhoto", related_name="requests")
    # A person shown in a photo (kind shown_in_photo) tells us these, for a maintainer to judge.
    relation = models.CharField(
        _("relation"),
        max_length=200,
        blank=True,
        help_text=_("How the requester relates to the photos."),
    )
    statement = models.TextField(_("statement"), blank=True)
    contact = models.CharField(
        _("contact"),
        max_length=500,
        blank=True,
        help_text=_("Optional contact details besides the email."),
    )
    photo_links = models.TextField(
        _("photo links"), blank=True, help_text=_("The photo links or ids, as given.")
    )
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
        verbose_name = _("removal request")
        verbose_name_plural = _("removal requests")
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


# The timeline's columns of the state a request left and entered ("from", "to": not an
# email's "to").
FROM_STATE = pgettext_lazy("timeline: the state a request left", "from")
TO_STATE = pgettext_lazy("timeline: the state a request entered", "to")


class RequestEvent(models.Model):
    """Append-only audit trail: one row per state change, note or delivery problem."""

    class Kind(models.TextChoices):
        STATUS = "status", _("state change")
        EMAIL_CONFIRMED = "email_confirmed", _("email confirmed")
        EMAIL_BOUNCED = "email_bounced", _("email bounced")
        EMAIL_COMPLAINED = "email_complained", _("spam complaint")
        EMAIL_FAILED = "email_failed", _("email failed")
        JOINED = "joined", _("photos added")
        SIGNAL = "flickr_signal", _("signal on Flickr")
        NOTE = "note", _("internal note")

    request = models.ForeignKey(
        RemovalRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("request")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STATUS)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    # Stored as a code: requester, system, flickr, email provider, or maintainer:<name>
    # (optout/admin/parts.py actor_label shows it in the maintainer's language).
    actor = models.CharField(
        _("who"),
        max_length=150,
        help_text=_("The requester, optout itself, Flickr, the email provider or a maintainer."),
    )
    # State codes (RemovalRequest.Status).
    from_status = models.CharField(FROM_STATE, max_length=16, blank=True)
    to_status = models.CharField(TO_STATE, max_length=16, blank=True)
    why = models.TextField(_("why"), blank=True)
    public = models.BooleanField(
        _("public"), default=True, help_text=_("Shown on the requester's timeline.")
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")

    def __str__(self) -> str:
        return gettext("%(kind)s, %(when)s") % {
            "kind": self.get_kind_display(),
            "when": f"{self.at:%Y-%m-%d %H:%M}",
        }
