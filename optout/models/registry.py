"""The dataset registry: datasets, their photos, and what must stay out of them.

Field names here are a contract: operators' scripts and later work rely on
`Dataset.slug`, `Photo.dataset`, `Photo.flickr_id`, `Photo.owner_nsid`,
`Photo.owner_name` and `Photo.state`.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from optout.infra.links import is_web_link
from optout.models.fields import ByteOrder, PlainJSONField


class Dataset(models.Model):
    # The labels (verbose_name, help_text) are what the maintainers' admin shows.
    slug = models.SlugField(_("short name"), unique=True, max_length=64)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_("Where the photos came from, e.g. YFCC100M (Flickr)."),
    )
    release = models.CharField(_("release"), max_length=64, blank=True)
    # Kept by the importer, so the home page does not count millions of rows.
    photo_count = models.PositiveIntegerField(_("photos"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The outbox of the picture hashing an import asks for (optout/pictures/hashing.py):
    # set in the import's transaction, cleared by a run that started after it; the
    # sweeper sends the task again while it is set and no run beats its heart.
    pictures_pending_since = models.DateTimeField(null=True, blank=True, editable=False)
    pictures_heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return f"{self.name} ({self.release})" if self.release else self.name

    def refresh_photo_count(self) -> None:
        self.photo_count = self.photos.filter(
            state=Photo.State.PRESENT, last_seq__isnull=True
        ).count()
        self.save(update_fields=["photo_count", "updated_at"])


class DatasetRelease(models.Model):
    """One release of a dataset as imported, numbered in import order (`seq`, from 1).

    The numbers are what a photo's `first_seq` and `last_seq` count in, and the list
    is what tells a newer release from one already imported: a label is new when no
    release of the dataset has it yet. The highest number is the current release.
    """

    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="releases", verbose_name=_("dataset")
    )
    seq = models.PositiveIntegerField(_("number"))
    label = models.CharField(_("label"), max_length=64, blank=True)
    complete = models.BooleanField(
        _("complete"),
        default=False,
        help_text=_("Imported as the whole release: photos it did not list left the current one."),
    )
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)

    class Meta:
        ordering = ["dataset", "seq"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        constraints = [
            models.UniqueConstraint(fields=["dataset", "seq"], name="release_seq_unique"),
        ]

    def __str__(self) -> str:
        label = self.label or gettext("no label")
        return f"{self.dataset.slug} #{self.seq} ({label})"


class Photo(models.Model):
    class State(models.TextChoices):
        PRESENT = "present", _("present")
        REMOVED = "removed", _("removed")

    # Only photo_removed_idx (removed photos) leads with it. On PostgreSQL the table is
    # partitioned by dataset, so a query for all of one dataset's photos (an import's
    # counts) reads only the partition holding it, its own once imported; on SQLite
    # (local use) it reads the table.
    # No database constraint either: PostgreSQL checked it once per imported row, a
    # large share of a big import. Datasets are deleted only through the ORM, whose
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
    # jsonb was a large part of a first import's COPY, where json only checks the text.
    extra = PlainJSONField(default=dict, blank=True, help_text="The rest of the manifest row.")
    release = models.CharField(
        max_length=64, blank=True, help_text="The release whose manifest last changed this row."
    )
    # The releases that listed the photo, as a range of DatasetRelease.seq: the one it
    # came in with, and, once a complete release left it out, the last one that listed
    # it. last_seq stays empty while the current release lists the photo, so a new
    # release writes only the rows it adds, changes or leaves out, never all of them.
    # A photo left out and listed again later reads as in every release in between.
    # SmallIntegerField: no CHECK to validate over the whole table when it was added.
    # The database default keeps INSERTs that do not name it (scripts, benches) working.
    first_seq = models.SmallIntegerField(default=1, db_default=1)
    last_seq = models.SmallIntegerField(null=True, blank=True)
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
            # partition, where dataset_id is one value, it sorts faster (the photo id
            # alone decides the order).
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
            # A dataset's removal list and its ETag (checks.py), on every poll: the removed
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
        return self.image_url if is_web_link(self.image_url) else ""

    @property
    def flickr_page_url(self) -> str:
        if self.page_url and is_web_link(self.page_url):
            return self.page_url
        owner = self.owner_nsid or "-"
        return f"https://www.flickr.com/photos/{owner}/{self.flickr_id}/"


class Suppression(models.Model):
    """What no import may bring back: a removed photo, or every photo of an owner.

    `dataset` empty means every dataset (an owner who asked to be kept out of
    future releases of everything). `owner_key` is the keyed hash of the
    owner's NSID (optout/infra/owner_keys.py), never the NSID itself: for an owner
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
