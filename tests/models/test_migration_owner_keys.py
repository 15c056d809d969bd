"""Migration 0007 on a database that held NSIDs in clear: keys in, NSIDs out."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor

from optout.infra.owner_keys import owner_key
from tests.support.migrating import migrate

BEFORE = [("optout", "0006_retention")]
AFTER = [("optout", "0007_suppression_owner_key")]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def at_0006() -> Iterator[Apps]:
    apps = migrate(BEFORE)
    yield apps
    # Back to the latest schema for the tests that follow, whatever came after 0007.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_suppressed_owners_and_tombstones_lose_their_nsids_but_keep_matching(
    at_0006: Apps,
) -> None:
    Dataset = at_0006.get_model("optout", "Dataset")
    Photo = at_0006.get_model("optout", "Photo")
    # Migration 0006's Suppression, with the owner_nsid column today's model no longer has.
    Suppression: Any = at_0006.get_model("optout", "Suppression")
    dataset = Dataset.objects.create(slug="dif", name="DiF")
    Photo.objects.create(dataset=dataset, flickr_id=1, owner_nsid="11111111@N01", state="removed")
    Photo.objects.create(dataset=dataset, flickr_id=2, owner_nsid="22222222@N02", state="present")
    Suppression.objects.create(kind="photo", dataset=dataset, flickr_id=1, owner_nsid="")
    Suppression.objects.create(kind="owner", owner_nsid="11111111@N01")

    apps = migrate(AFTER)

    Photo = apps.get_model("optout", "Photo")
    Suppression = apps.get_model("optout", "Suppression")
    assert dict(Photo.objects.values_list("flickr_id", "owner_nsid")) == {
        1: "",  # the tombstone
        2: "22222222@N02",  # a photo still present keeps its owner
    }
    key = owner_key("11111111@N01")
    assert sorted(Suppression.objects.values_list("kind", "flickr_id", "owner_key")) == [
        ("owner", None, key),
        ("photo", 1, key),
    ]
    with pytest.raises(IrreversibleError, match="cannot be turned back into NSIDs"):
        migrate(BEFORE)
