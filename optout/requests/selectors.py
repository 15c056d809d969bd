"""Read-only queries about requests and an owner's photos."""

from typing import TypedDict

from django.db.models import Count, QuerySet

from optout.models import Photo


def owner_photos(*, nsid: str) -> QuerySet[Photo]:
    """The owner's photos still present in any dataset, in a stable order for paging."""
    return (
        Photo.objects.filter(owner_nsid=nsid, state=Photo.State.PRESENT)
        .select_related("dataset")
        .order_by("dataset__name", "dataset_id", "flickr_id")
    )


class DatasetCount(TypedDict):
    dataset__name: str
    dataset__release: str
    count: int


def owner_photo_counts(*, nsid: str) -> QuerySet[Photo, DatasetCount]:
    """Per dataset (name, release): how many of the owner's photos are still present."""
    return (
        Photo.objects.filter(owner_nsid=nsid, state=Photo.State.PRESENT)
        .values("dataset__name", "dataset__release")
        .annotate(count=Count("pk"))
        .order_by("dataset__name")
    )
