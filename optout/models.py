"""The dataset registry: datasets, their photos, and what must stay out of them.

Field names here are a contract: operators' scripts and later work rely on
`Dataset.slug`, `Photo.dataset`, `Photo.flickr_id`, `Photo.owner_nsid`,
`Photo.owner_name` and `Photo.state`.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from optout.fields import ByteOrder, PlainJSONField


class Dataset(models.Model):
    slug = models.SlugField(unique=True, max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source = models.CharField(
        max_length=200, blank=True, help_text="Where the photos came from, e.g. YFCC100M (Flickr)."
    )
    release = models.CharField(max_length=64, blank=True)
    # Kept by the importer, so the home page does not count millions of rows.
    photo_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.release})" if self.release else self.name

    def refresh_photo_count(self) -> None:
        self.photo_count = self.photos.filter(state=Photo.State.PRESENT).count()
        self.save(update_fields=["photo_count", "updated_at"])


class Photo(models.Model):
    class State(models.TextChoices):
        PRESENT = "present", "present"
        REMOVED = "removed", "removed"

    # Only photo_removed_idx (removed photos) leads with it. On PostgreSQL the table is
    # partitioned by dataset, so a query for all of one dataset's photos (an import's
    # counts) reads only the partition holding it, its own once imported; on SQLite
    # (local use) it reads the table.
    # No database constraint either: PostgreSQL checked it once per imported row, a
    # tenth of a million-row import. Datasets are deleted only through the ORM, whose
    # CASCADE deletes their photos first, and the importer writes only the dataset
    # it holds locked, so no photo can point at a missing dataset.
    dataset = models.ForeignKey(
        Dataset,
        on_delete=models.CASCADE,
        related_name="photos",
        db_index=False,
        db_constraint=False,
    )
    flickr_id = models.BigIntegerField()
    # COLLATE "C" on PostgreSQL (migration 0005): cheaper index inserts, same answers.
    owner_nsid = models.CharField(max_length=32, blank=True)
    owner_name = models.CharField(max_length=255, blank=True, help_text="As the manifest gives it.")
    title = models.CharField(max_length=500, blank=True)
    page_url = models.CharField(max_length=500, blank=True)
    image_url = models.CharField(max_length=500, blank=True)
    farm = models.PositiveSmallIntegerField(null=True, blank=True)
    server = models.CharField(max_length=16, blank=True)
    secret = models.CharField(max_length=32, blank=True)
    license = models.CharField(max_length=200, blank=True)
    file_keys = models.JSONField(
        default=list, blank=True, help_text="Storage keys of the files the dataset keeps."
    )
    # `json`, not `jsonb`, on PostgreSQL: only ever written and read whole (an import
    # writes it, a deletion empties it, nothing queries inside it), and parsing it into
    # jsonb cost a million-row first import's COPY 4.5 s, against 0.75 s as json.
    extra = PlainJSONField(default=dict, blank=True, help_text="The rest of the manifest row.")
    release = models.CharField(max_length=64, blank=True, help_text="Release last imported in.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PRESENT)
    removed_at = models.DateTimeField(null=True, blank=True)
    # The request whose deletion job turned this row into a tombstone (the receipt).
    removed_by = models.ForeignKey(
        "RemovalRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="removed_photos",
        db_index=False,  # photo_removed_by_idx, without the NULLs of every present photo
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Photo id first: it also serves look-ups by photo id alone (a photo link,
            # the bulk check), with no index of its own to keep, and in a new dataset's
            # partition, where dataset_id is one value, it sorts faster (0.9 s
            # instead of 1.6 s for a million rows).
            models.UniqueConstraint(
                fields=["flickr_id", "dataset"], name="photo_unique_per_dataset"
            ),
        ]
        indexes = [
            models.Index(fields=["owner_nsid", "dataset"], name="photo_owner_idx"),
            # COLLATE "C" on PostgreSQL (a byte sort builds it faster, same answers);
            # a look-up must then say (lower(owner_name) COLLATE "C") = … to use it.
            models.Index(ByteOrder(Lower("owner_name")), name="photo_owner_name_idx"),
            # Only removed photos have a request: an import's new rows stay out of it.
            models.Index(
                fields=["removed_by"],
                name="photo_removed_by_idx",
                condition=models.Q(removed_by__isnull=False),
            ),
            # A dataset's removal list and its ETag (api.py), on every poll: the removed
            # photos only, however big the dataset or the partition it shares.
            models.Index(
                fields=["dataset", "flickr_id"],
                name="photo_removed_idx",
                condition=models.Q(state="removed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.flickr_id} in {self.dataset_id}"

    @property
    def thumbnail_url(self) -> str:
        """Flickr's 150px square, built from server and secret when we have them."""
        if self.server and self.secret:
            base = settings.FLICKR_STATIC_URL
            return f"{base}/{self.server}/{self.flickr_id}_{self.secret}_q.jpg"
        return self.image_url

    @property
    def flickr_page_url(self) -> str:
        if self.page_url:
            return self.page_url
        owner = self.owner_nsid or "-"
        return f"https://www.flickr.com/photos/{owner}/{self.flickr_id}/"


class Suppression(models.Model):
    """What no import may bring back: a removed photo, or every photo of an owner.

    `dataset` empty means every dataset (an owner who asked to be kept out of
    future releases of everything). `owner_key` is the keyed hash of the
    owner's NSID (optout/owner_keys.py), never the NSID itself: for an owner
    row, the owner kept out; for a photo row, whose photo it was (so their
    look-up can say "N removed" without the tombstone keeping their NSID).
    """

    class Kind(models.TextChoices):
        PHOTO = "photo", "photo"
        OWNER = "owner", "owner"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    dataset = models.ForeignKey(
        Dataset, null=True, blank=True, on_delete=models.CASCADE, related_name="suppressions"
    )
    flickr_id = models.BigIntegerField(null=True, blank=True)
    owner_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="photo", flickr_id__isnull=False)
                    | models.Q(kind="owner", flickr_id__isnull=True) & ~models.Q(owner_key="")
                ),
                name="suppression_has_its_key",
            ),
            models.UniqueConstraint(
                fields=["dataset", "flickr_id"],
                condition=models.Q(kind="photo"),
                name="suppression_photo_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["flickr_id"], name="suppression_photo_idx"),
            models.Index(fields=["owner_key", "dataset"], name="suppression_owner_key_idx"),
        ]

    def __str__(self) -> str:
        target = self.flickr_id if self.kind == self.Kind.PHOTO else f"key {self.owner_key[:12]}…"
        return f"{self.kind} {target} ({self.dataset_id or 'all datasets'})"


class RemovalRequest(models.Model):
    """A request to remove photos. `status` moves only through optout.workflow."""

    class Kind(models.TextChoices):
        OWNER = "owner", "owner"
        SHOWN = "shown_in_photo", "shown in photo"

    class Status(models.TextChoices):
        PENDING_EMAIL = "pending_email", "waiting for email confirmation"
        VERIFIED = "verified", "verified"
        NEEDS_REVIEW = "needs_review", "needs review"
        APPROVED = "approved", "approved"
        DELETING = "deleting", "deleting"
        COMPLETED = "completed", "completed"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"
        REJECTED = "rejected", "rejected"

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
        max_length=32, blank=True, help_text="The standard reason picked; reject_reason is sent."
    )
    # Set by optout.retention once the requester's email and words are gone; the
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
        JOINED = "joined", "photos added"
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


class EmailLog(models.Model):
    """Every email we try to send, and what the provider later told us of it."""

    class Outcome(models.TextChoices):
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"
        DELIVERED = "delivered", "delivered"
        BOUNCED = "bounced", "bounced"
        COMPLAINED = "complained", "complained"

    request = models.ForeignKey(
        RemovalRequest, null=True, on_delete=models.SET_NULL, related_name="emails"
    )
    kind = models.CharField(max_length=32)
    # What this message is about (kind + the status it reports), so a retried
    # task never sends the same news twice.
    dedupe_key = models.CharField(max_length=100, unique=True)
    to = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.outcome})"


class DeletionJob(models.Model):
    """One dataset's share of an approved request, worked in batches by a Celery task.

    The row is the outbox: it is created when the request enters `approved`,
    enqueued after commit, and re-enqueued by the sweeper while it is still
    queued, or running with a heartbeat that stopped (a killed worker).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    request = models.ForeignKey(
        RemovalRequest, on_delete=models.CASCADE, related_name="deletion_jobs"
    )
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="deletion_jobs")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    total = models.PositiveIntegerField(default=0, help_text="Photos of the request here.")
    done = models.PositiveIntegerField(default=0, help_text="Of those, removed so far.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Who holds the job: a fresh token per claim, so a worker that lost its claim
    # (it stalled and the sweeper gave the job to another) stops at its next batch.
    claim = models.CharField(max_length=64, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(help_text="Last time a task was sent for this job.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "dataset"], name="deletion_job_unique"),
        ]

    def __str__(self) -> str:
        return f"deletion of {self.request_id} in {self.dataset_id}: {self.done}/{self.total}"
