"""factory_boy factories for the registry models."""

import factory

from optout.models import Dataset, Photo


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"dataset-{n}")
    name = factory.Sequence(lambda n: f"Dataset {n}")
    source = "YFCC100M (Flickr, Creative Commons)"
    release = "1.0"


class PhotoFactory(factory.django.DjangoModelFactory):
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
