"""factory_boy factories for the registry models."""

from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.utils import timezone

from optout.infra.owner_keys import owner_key
from optout.models import Dataset, Photo, RemovalRequest, RequestPhoto, Suppression

M = TypeVar("M")


class ModelFactory(factory.django.DjangoModelFactory[M]):
    """A factory whose call, `PhotoFactory(...)`, is typed as the model it makes."""

    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # factory_boy's metaclass turns `PhotoFactory(...)` into create(), but its __call__
        # is untyped, so mypy would type the result as the factory. Only mypy sees this
        # __new__; ignore[misc]: mypy wants a __new__ to return an instance of its class.
        def __new__(cls, *args: Any, **kwargs: Any) -> M: ...  # type: ignore[misc]


class DatasetFactory(ModelFactory[Dataset]):
    class Meta:
        model = Dataset
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"dataset-{n}")
    name = factory.Sequence(lambda n: f"Dataset {n}")
    source = "YFCC100M (Flickr, Creative Commons)"
    release = "1.0"


class PhotoFactory(ModelFactory[Photo]):
    class Meta:
        model = Photo

    dataset = factory.SubFactory(DatasetFactory)
    flickr_id = factory.Sequence(lambda n: 5_000_000_000 + n)
    owner_nsid = factory.Sequence(lambda n: f"{10_000_000 + n}@N0{n % 8}")
    owner_name = factory.Sequence(lambda n: f"owner{n}")
    title = factory.Sequence(lambda n: f"Photo {n}")
    server = "65535"
    secret = factory.Sequence(lambda n: f"{n:010x}")
    license = "Attribution License"


def removed_photo(*, owner_nsid: str, **fields: object) -> Photo:
    """A photo as the deletion pipeline leaves it: a tombstone without the owner's
    NSID, and a photo suppression keyed to the hash of it."""
    photo = PhotoFactory(
        state=Photo.State.REMOVED, owner_nsid="", owner_name="", title="", **fields
    )
    Suppression.objects.create(
        kind=Suppression.Kind.PHOTO,
        dataset=photo.dataset,
        flickr_id=photo.flickr_id,
        owner_key=owner_key(owner_nsid),
    )
    return photo


class RemovalRequestFactory(ModelFactory[RemovalRequest]):
    """A verified owner request with a confirmed address; pass `photos=[...]` to scope it."""

    class Meta:
        model = RemovalRequest
        skip_postgeneration_save = True

    public_id = factory.Sequence(lambda n: f"R-T{n:07d}")
    kind = RemovalRequest.Kind.OWNER
    status = RemovalRequest.Status.VERIFIED
    owner_nsid = factory.Sequence(lambda n: f"{20_000_000 + n}@N01")
    email = factory.Sequence(lambda n: f"owner{n}@example.org")
    email_confirmed_at = factory.LazyFunction(timezone.now)
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))

    @factory.post_generation
    def photos(
        self: RemovalRequest, create: bool, extracted: list[Photo] | None, **kwargs: object
    ) -> None:
        # factory_boy calls a post-generation hook with the model it built as `self`.
        if create and extracted:
            RequestPhoto.objects.bulk_create(
                [RequestPhoto(request=self, photo=photo) for photo in extracted]
            )
