"""Migration 0016 on a database with photos: every dataset with photos gets release 1,
labelled as the dataset was, and its photos are in it (the column's default, no row
written); and back. On PostgreSQL with photos in a dataset's own partition too."""

from collections.abc import Iterator

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from optout.models import DatasetRelease, Photo
from tests.support.migrating import migrate

BEFORE = [("optout", "0014_picture_hashes")]
AFTER = [("optout", "0016_photo_releases")]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def made_partitions() -> Iterator[list[str]]:
    """Partitions a test makes by hand, dropped after it (the flush only empties them)."""
    made: list[str] = []
    yield made
    with connection.cursor() as cursor:
        for table in made:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.fixture
def before(made_partitions: list[str]) -> Iterator[Apps]:
    apps = migrate(BEFORE)
    yield apps
    # Back to the latest schema for the tests that follow, whatever came after 0016.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def photo_columns() -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_table_description(cursor, Photo._meta.db_table)
    return {column.name for column in found}


def test_datasets_with_photos_get_release_one_and_their_photos_are_in_it(
    before: Apps, made_partitions: list[str]
) -> None:
    Dataset = before.get_model("optout", "Dataset")
    OldPhoto = before.get_model("optout", "Photo")
    dif = Dataset.objects.create(slug="dif", name="DiF", release="1.0")
    ffhq = Dataset.objects.create(slug="ffhq", name="FFHQ", release="")
    Dataset.objects.create(slug="empty", name="Empty", release="0.1")
    if connection.vendor == "postgresql":
        made_partitions.append(f"optout_photo_dataset_{dif.pk}")
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {made_partitions[0]} PARTITION OF optout_photo "
                f"FOR VALUES IN ({dif.pk})"
            )
    for dataset, flickr_id in ((dif, 1), (dif, 2), (ffhq, 3)):
        OldPhoto.objects.create(dataset=dataset, flickr_id=flickr_id, owner_nsid="12345678@N01")
    assert not {"first_seq", "last_seq"} & photo_columns()

    migrate(AFTER)

    releases = DatasetRelease.objects.order_by("dataset__slug")
    assert list(releases.values_list("dataset__slug", "seq", "label", "complete")) == [
        ("dif", 1, "1.0", False),
        ("ffhq", 1, "", False),
    ]
    photos = Photo.objects.order_by("flickr_id")
    assert list(photos.values_list("flickr_id", "first_seq", "last_seq")) == [
        (1, 1, None),
        (2, 1, None),
        (3, 1, None),
    ]

    migrate(BEFORE)

    assert not {"first_seq", "last_seq"} & photo_columns()
    assert OldPhoto.objects.count() == 3
