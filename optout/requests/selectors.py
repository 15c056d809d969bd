"""Read-only queries about requests and an owner's photos."""

from typing import TypedDict

from django.db.models import Count, Q, QuerySet

from optout.models import Photo


def owner_photos(*, nsid: str) -> QuerySet[Photo]:
    """The owner's photos still present in any dataset, in a stable order for paging:
    those only earlier releases listed too (still in every copy of those releases)."""
    return (
        Photo.objects.filter(owner_nsid=nsid, state=Photo.State.PRESENT)
        .select_related("dataset")
        .order_by("dataset__name", "dataset_id", "flickr_id")
    )


class DatasetCount(TypedDict):
    dataset__name: str
    dataset__release: str
    count: int
    earlier: int  # of count: listed by earlier releases only


def owner_photo_counts(*, nsid: str) -> QuerySet[Photo, DatasetCount]:
    """Per dataset (name, release): how many of the owner's photos are still present, and
    how many of those only earlier releases listed."""
    return (
        Photo.objects.filter(owner_nsid=nsid, state=Photo.State.PRESENT)
        .values("dataset__name", "dataset__release")
        .annotate(count=Count("pk"), earlier=Count("pk", filter=Q(last_seq__isnull=False)))
        .order_by("dataset__name")
    )
