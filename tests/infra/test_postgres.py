"""PostgreSQL only: the backend's cheap health check (optout/infra/postgres/base.py), and
which index serves the photo table's busiest look-ups."""

import select
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from optout.importers import dataset_import
from optout.lookup import answer, removals
from optout.models import Dataset, Photo
from tests.support.factories import PhotoFactory
from tests.support.manifests import NSID, yfcc_file, yfcc_row

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kept() -> Iterator[BaseDatabaseWrapper]:
    """A second connection to the test database, kept between requests as the web processes do."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    db = connections.create_connection("default")
    assert db.settings_dict["CONN_HEALTH_CHECKS"]
    db.ensure_connection()
    try:
        yield db
    finally:
        db.close()


def next_request(db: BaseDatabaseWrapper) -> int:
    """What the next request does: Django's start-of-request check, then a query."""
    db.close_if_unusable_or_obsolete()
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_healthy_kept_connection_is_used_again(kept: BaseDatabaseWrapper) -> None:
    first = next_request(kept)
    assert next_request(kept) == first


def test_a_connection_the_server_ended_is_replaced_before_a_request_uses_it(
    kept: BaseDatabaseWrapper,
) -> None:
    first = next_request(kept)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    # The server's goodbye reaches the socket a moment later.
    readable, _, _ = select.select([kept.connection.fileno()], [], [], 10)
    assert readable
    # No error for the request: it runs on a new connection.
    assert next_request(kept) != first


# -- The photo table's indexes, as the queries meet them ---------------------------------


def _index_scans(sql: str, params: list[Any]) -> tuple[list[tuple[str, str, bool]], bool]:
    """What the plan of `sql` does with optout_photo's partitions, when an index can serve:
    (node type, the optout_photo index whose partition it scans, whether with an Index Cond)
    for each index scan, and whether some node reads a partition from end to end."""
    with connection.cursor() as cursor:
        # The tables here are tiny: take the sequential scan away to see which index fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
        nodes, stack = [], [plan[0]["Plan"]]
        while stack:
            node = stack.pop()
            nodes.append(node)
            stack.extend(node.get("Plans", []))
        scans = []
        for node in nodes:
            if "Index Name" in node:
                cursor.execute(
                    "SELECT pg_partition_root(%s::regclass)::regclass::text", [node["Index Name"]]
                )
                (parent,) = cursor.fetchone()
                if parent:  # else an index of another table: none of optout_photo's
                    scans.append((node["Node Type"], parent, "Index Cond" in node))
    whole = [
        node
        for node in nodes
        if node["Node Type"] == "Seq Scan" and node["Relation Name"].startswith("optout_photo")
    ]
    return scans, bool(whole)


@pytest.fixture
def photos_in_two_partitions(tmp_path: Path) -> None:
    """A dataset in a partition of its own (imported), another in the DEFAULT one."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    rows = [yfcc_row(n, user_nickname="Zoë K") for n in (1, 2, 3)]
    # Other owners too: with three rows in all, walking the owner index costs the
    # planner no more than the right one, which no real partition would allow.
    rows += [yfcc_row(n, user_nickname=f"Owner {n}") for n in range(4, 400)]
    dataset_import(slug="dif", path=yfcc_file(tmp_path / "dif.tsv", rows))
    PhotoFactory(flickr_id=2, owner_name="Ann")


@pytest.mark.django_db
def test_a_look_up_by_photo_id_alone_uses_the_unique_key_photo_id_first(
    photos_in_two_partitions: None,
) -> None:
    by_orm = Photo.objects.filter(flickr_id=2).values_list("dataset_id", "state").query
    for sql, params in (by_orm.sql_with_params(), (answer._PHOTO_STATES_SQL, [2])):
        scans, whole = _index_scans(sql, list(params))

        assert not whole
        # One scan per partition, each on its part of the unique key, by photo id.
        assert len(scans) == 2
        assert {(parent, cond) for _, parent, cond in scans} == {("photo_unique_per_dataset", True)}


@pytest.mark.django_db
def test_a_look_up_by_username_uses_the_lower_name_index_in_c_order(
    photos_in_two_partitions: None,
) -> None:
    scans, whole = _index_scans(answer._NSIDS_BY_NAME_SQL["postgresql"], ["ZOË K"])

    assert not whole
    # Each partition is searched through its lower-name index (the planner may AND it
    # with the owner index for `owner_nsid <> ''`, which link datasets need).
    by_name = [scan for scan in scans if scan[1:] == ("photo_owner_name_idx", True)]
    assert len(by_name) == 2, scans
    # Without the COLLATE, the comparison is under the column's collation, and the
    # index, under "C", cannot serve it.
    plain = answer._NSIDS_BY_NAME_SQL["postgresql"].replace(
        '(lower(owner_name) COLLATE "C")', "lower(owner_name)"
    )
    scans, whole = _index_scans(plain, ["ZOË K"])
    assert ("photo_owner_name_idx", True) not in {(parent, cond) for _, parent, cond in scans}
    # lower() still follows the column's collation: the name is found whatever its case.
    assert answer._owner_by_name("ZOË K") == NSID


@pytest.mark.django_db
def test_a_removal_list_and_its_etag_read_only_the_removed_photos(
    photos_in_two_partitions: None,
) -> None:
    dataset = Dataset.objects.get(slug="dif")
    Photo.objects.filter(dataset=dataset, flickr_id=2).update(
        state=Photo.State.REMOVED, removed_at=timezone.now()
    )
    listed = Photo.objects.filter(dataset=dataset, state=Photo.State.REMOVED).order_by("flickr_id")
    for query in (listed.values_list("flickr_id", "removed_at", "release").query, listed.query):
        sql, params = query.sql_with_params()
        scans, whole = _index_scans(sql, list(params))

        assert not whole
        assert {parent for _, parent, _ in scans} == {"photo_removed_idx"}
    assert [row[0] for row in removals.removals_rows(dataset)] == [2]
