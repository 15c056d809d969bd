"""Migration 0009 on a database with photos, on PostgreSQL in several partitions: `extra`
becomes json, the unique key leads with the photo id, the photo id index goes, and
lower(owner name) is indexed in "C" order; and back."""

from collections.abc import Iterator

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from optout.lookup import answer
from optout.models import Photo
from tests.support.migrating import migrate
from tests.support.postgres import definitions, partitions_of_photos

BEFORE = [("optout", "0008_photo_partitions")]
AFTER = [("optout", "0009_photo_cheaper_fresh_partitions")]
pytestmark = pytest.mark.django_db(transaction=True)

EXTRA = {"title": "Zoë à la plage", "tags": ["beach", "family"], "n": 1, "none": None}


@pytest.fixture
def made_partitions() -> Iterator[list[str]]:
    """Partitions a test makes by hand, dropped after it (the flush only empties them)."""
    made: list[str] = []
    yield made
    with connection.cursor() as cursor:
        for table in made:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.fixture
def at_0008(made_partitions: list[str]) -> Iterator[Apps]:
    apps = migrate(BEFORE)
    yield apps
    # Back to the latest schema for the tests that follow, whatever came after 0009.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def photo_keys() -> dict[str, tuple[list[str], bool]]:
    """{name: (columns, unique)} of the photo table's own indexes and unique keys."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Photo._meta.db_table)
    return {
        name: (details["columns"], details["unique"])
        for name, details in found.items()
        if name.startswith("photo_") and (details["index"] or details["unique"])
    }


def extra_type() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'optout_photo' AND column_name = 'extra'"
        )
        return cursor.fetchone()[0]


def rows_per_partition() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, COUNT(*) FROM optout_photo GROUP BY 1")
        return dict(cursor.fetchall())


def assert_every_partition_indexed_like_the_parent() -> None:
    parent = definitions("optout_photo")
    for partition in partitions_of_photos():
        assert definitions(partition) == parent, partition


def test_the_photo_keys_change_and_change_back_keeping_every_photo(
    at_0008: Apps, made_partitions: list[str]
) -> None:
    Dataset = at_0008.get_model("optout", "Dataset")
    OldPhoto = at_0008.get_model("optout", "Photo")
    one, two, three, four = (
        Dataset.objects.create(slug=slug, name=slug) for slug in ("one", "two", "three", "four")
    )
    if connection.vendor == "postgresql":
        # A dataset's own partition, one shared like optout_photo_legacy, the DEFAULT one.
        own, shared = f"optout_photo_dataset_{one.pk}", f"optout_photo_shared_{two.pk}"
        made_partitions += [own, shared]
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {own} PARTITION OF optout_photo FOR VALUES IN ({one.pk})")
            cursor.execute(
                f"CREATE TABLE {shared} PARTITION OF optout_photo "
                f"FOR VALUES IN ({two.pk}, {three.pk})"
            )
    for dataset in (one, two, three, four):
        for flickr_id in (1, 2):
            OldPhoto.objects.create(
                dataset=dataset,
                flickr_id=flickr_id,
                owner_nsid="12345678@N01",
                owner_name="Zoë K",
                extra=EXTRA | {"photo": flickr_id},
            )
    expected = [
        (slug, flickr_id, EXTRA | {"photo": flickr_id})
        for slug in ("four", "one", "three", "two")
        for flickr_id in (1, 2)
    ]
    before = photo_keys()
    if connection.vendor == "postgresql":
        placed = {own: 2, shared: 4, "optout_photo_default": 2}
        assert rows_per_partition() == placed
        before_definitions = definitions("optout_photo")

    migrate(AFTER)

    rows = Photo.objects.order_by("dataset__slug", "flickr_id")
    assert list(rows.values_list("dataset__slug", "flickr_id", "extra")) == expected
    keys = photo_keys()
    assert keys["photo_unique_per_dataset"] == (["flickr_id", "dataset_id"], True)
    assert "photo_flickr_id_idx" not in keys
    assert "photo_owner_name_idx" in keys
    assert answer._owner_by_name("ZOë K") == "12345678@N01"  # SQLite lowers ASCII only
    if connection.vendor == "postgresql":
        assert extra_type() == "json"
        indexes = definitions("optout_photo")[0]
        assert "btree (flickr_id, dataset_id)" in indexes
        assert "btree (flickr_id)" not in indexes
        assert 'btree (lower((owner_name)::text) COLLATE "C")' in indexes
        assert_every_partition_indexed_like_the_parent()
        assert rows_per_partition() == placed

    apps = migrate(BEFORE)

    OldPhoto = apps.get_model("optout", "Photo")
    rows = OldPhoto.objects.order_by("dataset__slug", "flickr_id")
    assert list(rows.values_list("dataset__slug", "flickr_id", "extra")) == expected
    assert photo_keys() == before
    if connection.vendor == "postgresql":
        assert extra_type() == "jsonb"
        assert definitions("optout_photo") == before_definitions
        assert_every_partition_indexed_like_the_parent()
        assert rows_per_partition() == placed
