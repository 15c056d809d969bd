"""Perceptual hashes of the datasets' stored pictures, for the look-up by picture.

A hash is not the picture: 256 bits that say what a picture looks like at
64 x 64 pixels, enough to find the same photo re-encoded, resized, lightly
cropped, turned or flipped, and never enough to draw it again or to tell who
is in it. So a removed photo keeps its hash, as its tombstone keeps its photo
id: the look-up by picture can then answer "it was in this dataset and has
been removed". Retention treats it like the tombstone's other fields (kept).
"""

from django.db import models

from optout.models.registry import Dataset, Photo


class PictureHash(models.Model):
    """The PDQ hash of a photo's first image file (optout.pictures)."""

    # No database constraint: on PostgreSQL optout_photo is partitioned by dataset and
    # its key is (id, dataset_id) (migration 0008). Photos are never deleted but with
    # their dataset, through the ORM, which cascades here.
    photo = models.OneToOneField(
        Photo, on_delete=models.CASCADE, db_constraint=False, related_name="picture_hash"
    )
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+")
    flickr_id = models.BigIntegerField()
    # The 256 bits, packed most significant bit first (numpy.packbits of PDQ's bits).
    pdq = models.BinaryField(max_length=32)
    # PDQ's own measure, 0-100: under 50 the picture is too flat to match anything.
    quality = models.PositiveSmallIntegerField()
    # Indexed: the newest one tells a web process's index that it is out of date.
    hashed_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quality__lte=100), name="picturehash_quality_range"
            ),
        ]

    def __str__(self) -> str:
        return f"PDQ of {self.flickr_id} in {self.dataset_id}"
