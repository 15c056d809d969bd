"""Migration 0013 on a database with removals already made: the licensees' feeds start
with every one of them, numbered per dataset in the order they were removed."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.support.migrating import migrate

BEFORE = [("optout", "0012_email_outbox")]
AFTER = [("optout", "0013_licensees")]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def before() -> Iterator[Apps]:
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_every_earlier_removal_is_in_its_datasets_feed_in_the_order_it_was_removed(
    before: Apps,
) -> None:
    Dataset = before.get_model("optout", "Dataset")
    Photo = before.get_model("optout", "Photo")
    dif = Dataset.objects.create(slug="dif", name="DiF")
    ffhq = Dataset.objects.create(slug="ffhq", name="FFHQ")
    day = [datetime(2026, 1, d, tzinfo=UTC) for d in range(1, 4)]
    for dataset, flickr_id, removed_at in [
        (dif, 30, day[0]),
        (dif, 10, day[1]),
        (dif, 20, day[1]),
        (ffhq, 10, day[2]),
    ]:
        Photo.objects.create(
            dataset=dataset, flickr_id=flickr_id, state="removed", removed_at=removed_at
        )
    Photo.objects.create(dataset=dif, flickr_id=99, state="present")

    apps = migrate(AFTER)

    FeedEntry = apps.get_model("optout", "FeedEntry")
    DatasetFeed = apps.get_model("optout", "DatasetFeed")
    rows = FeedEntry.objects.order_by("dataset__slug", "seq")
    assert list(rows.values_list("dataset__slug", "seq", "flickr_id", "removed_at")) == [
        ("dif", 1, 30, day[0]),
        ("dif", 2, 10, day[1]),
        ("dif", 3, 20, day[1]),
        ("ffhq", 1, 10, day[2]),
    ]
    heads = dict(DatasetFeed.objects.values_list("dataset__slug", "last_seq"))
    assert heads == {"dif": 3, "ffhq": 1}
