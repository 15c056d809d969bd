"""Read-only queries about requests and an owner's photos."""

from django.db.models import Count, QuerySet

from optout.models import Photo


def owner_photos(*, nsid: str) -> QuerySet[Photo]:
    """The owner's photos still present in any dataset, in a stable order for paging."""
    return (
        Photo.objects.filter(owner_nsid=nsid, state=Photo.State.PRESENT)
        .select_related("dataset")
        .order_by("dataset__name", "dataset_id", "flickr_id")
    )


def owner_photo_counts(*, nsid: str) -> QuerySet[Photo, dict[str, object]]:
    """Per dataset (name, release): how many of the owner's photos are still present."""
    return (
        Photo.objects.filter(owner_nsid=nsid, state=Photo.State.PRESENT)
        .values("dataset__name", "dataset__release")
        .annotate(count=Count("pk"))
        .order_by("dataset__name")
    )
