"""The photo table split by dataset (PostgreSQL): a first import into a partition of its
own, later imports merged into it, and the migration that splits an existing table."""

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError, connection, connections, models
from django.db.backends.utils import CursorWrapper
from django.db.migrations.executor import MigrationExecutor

from optout.importers import ManifestError, dataset_import, partitions
from optout.importers.rows import WIDTHS
from optout.importers.service import ImportSummary
from optout.infra.owner_keys import owner_key
from optout.models import Dataset, Photo, RemovalRequest, RequestPhoto, Suppression
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.manifests import OTHER_NSID, write, yfcc_file, yfcc_row
from tests.support.postgres import definitions, partitions_of_photos

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are PostgreSQL's"
)


# What CursorWrapper.execute takes as its parameters.
SQLParams = Sequence[Any] | Mapping[str, Any] | None


def import_file(path: Path, slug: str = "dif", **options: str) -> ImportSummary:
    return dataset_import(slug=slug, path=path, **options)


def max_length(name: str) -> int | None:
    field = Photo._meta.get_field(name)
    assert isinstance(field, models.Field), f"{name} is a relation, not a column"
    return field.max_length


def test_the_cut_widths_are_the_photo_columns_widths() -> None:
    assert {name: max_length(name) for name in WIDTHS} == WIDTHS


@pytest.mark.django_db
def test_without_a_partitioned_photo_table_every_import_merges() -> None:
    dataset = DatasetFactory()

    possible = partitions.fresh_possible(dataset.pk)

    assert possible is (connection.vendor == "postgresql")


@postgresql_only
@pytest.mark.django_db
def test_a_first_import_gets_a_partition_of_its_own_indexed_like_the_rest(
    tmp_path: Path,
) -> None:
    path = yfcc_file(tmp_path / "dif.tsv", [yfcc_row(n) for n in (3, 1, 2)])

    summary = import_file(path, release="1.0")

    dataset = Dataset.objects.get(slug="dif")
    table = f"optout_photo_dataset_{dataset.pk}"
    assert partitions_of_photos()[table] == f"FOR VALUES IN ('{dataset.pk}')"
    # The same indexes and constraints as the parent; the load's CHECK is gone.
    assert definitions(table) == definitions("optout_photo")
    assert (summary.imported, summary.photo_count) == (3, 3)
    photos = list(Photo.objects.filter(dataset=dataset).order_by("flickr_id"))
    assert [(p.flickr_id, p.release, p.state) for p in photos] == [
        (1, "1.0", "present"),
        (2, "1.0", "present"),
        (3, "1.0", "present"),
    ]
    # Ids were handed out in file order, and the next photo made anywhere follows them.
    by_id = sorted(photos, key=lambda p: p.pk)
    assert [p.flickr_id for p in by_id] == [3, 1, 2]
    assert PhotoFactory().pk > by_id[-1].pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_default IS NOT NULL",
            [table],
        )
        assert [name for (name,) in cursor.fetchall()] == ["id"]


@postgresql_only
@pytest.mark.django_db
def test_a_reimport_merges_into_the_partition_and_keeps_removals_and_suppressions(
    tmp_path: Path,
) -> None:
    import_file(yfcc_file(tmp_path / "v1.tsv", [yfcc_row(n) for n in (1, 2, 3)]), release="1.0")
    dataset = Dataset.objects.get(slug="dif")
    Photo.objects.filter(flickr_id=2).update(state=Photo.State.REMOVED, title="Old")
    Suppression.objects.create(kind="photo", flickr_id=4, dataset=dataset)
    kept = Photo.objects.get(flickr_id=1).pk

    taken = "2011-02-03 04:05:06.0"
    rows = [yfcc_row(n, title="New", date_taken=taken) for n in (1, 2, 4, 5)]
    summary = import_file(yfcc_file(tmp_path / "v2.tsv", rows), release="2.0")

    assert (summary.imported, summary.updated, summary.skipped_removed) == (1, 1, 2)
    states = dict(Photo.objects.values_list("flickr_id", "state"))
    assert states == {1: "present", 2: "removed", 3: "present", 5: "present"}
    assert Photo.objects.get(flickr_id=2).title == "Old"
    dates = {p.flickr_id: p.extra["date_taken"] for p in Photo.objects.all()}
    assert dates == {1: taken, 2: "2010-05-01 12:34:56.0", 3: "2010-05-01 12:34:56.0", 5: taken}
    assert Photo.objects.get(flickr_id=1).pk == kept
    assert list(partitions_of_photos()).count(f"optout_photo_dataset_{dataset.pk}") == 1
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT flickr_id FROM optout_photo_dataset_{dataset.pk} ORDER BY 1")  # noqa: S608
        assert [n for (n,) in cursor.fetchall()] == [1, 2, 3, 5]


@postgresql_only
@pytest.mark.django_db
def test_suppressions_and_duplicates_are_dropped_from_a_first_import(tmp_path: Path) -> None:
    dataset = DatasetFactory(slug="dif")
    Suppression.objects.create(kind="photo", flickr_id=2, dataset=dataset)
    Suppression.objects.create(kind="photo", flickr_id=9)
    Suppression.objects.create(kind="owner", owner_key=owner_key(OTHER_NSID))
    rows = [
        yfcc_row(1, title="First"),
        yfcc_row(2),
        yfcc_row(9),
        yfcc_row(1, title="Again"),
        yfcc_row(5, user_nsid=OTHER_NSID),
    ]

    summary = import_file(yfcc_file(tmp_path / "dif.tsv", rows))

    assert f"optout_photo_dataset_{dataset.pk}" in partitions_of_photos()
    assert (summary.imported, summary.duplicates, summary.skipped_removed) == (1, 1, 3)
    assert list(Photo.objects.values_list("flickr_id", "title")) == [(1, "First")]
    assert Dataset.objects.get(pk=dataset.pk).photo_count == 1


@postgresql_only
@pytest.mark.django_db
def test_a_first_import_with_no_photo_leaves_an_empty_partition_the_next_one_fills(
    tmp_path: Path,
) -> None:
    summary = import_file(yfcc_file(tmp_path / "v1.tsv", [yfcc_row(1, marker=1)]))

    dataset = Dataset.objects.get(slug="dif")
    assert (summary.skipped_videos, summary.imported, dataset.photo_count) == (1, 0, 0)
    assert f"optout_photo_dataset_{dataset.pk}" in partitions_of_photos()

    summary = import_file(yfcc_file(tmp_path / "v2.tsv", [yfcc_row(2), yfcc_row(3)]))

    assert (summary.imported, summary.updated) == (2, 0)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM optout_photo_dataset_{dataset.pk}")  # noqa: S608
        assert cursor.fetchone()[0] == 2


@postgresql_only
@pytest.mark.django_db
def test_a_dataset_whose_photos_came_another_way_is_merged_where_they_are(
    tmp_path: Path,
) -> None:
    dataset = DatasetFactory(slug="dif")
    PhotoFactory(dataset=dataset, flickr_id=1)  # the admin, the demo: the DEFAULT partition

    summary = import_file(yfcc_file(tmp_path / "dif.tsv", [yfcc_row(1), yfcc_row(2)]))

    assert (summary.imported, summary.updated) == (1, 1)
    assert f"optout_photo_dataset_{dataset.pk}" not in partitions_of_photos()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM optout_photo_default WHERE dataset_id = %s", [dataset.pk]
        )
        assert cursor.fetchone()[0] == 2


@postgresql_only
@pytest.mark.django_db
def test_a_dataset_in_a_partition_shared_with_others_is_merged_there(tmp_path: Path) -> None:
    dataset = DatasetFactory(slug="dif")
    other = DatasetFactory(slug="other")
    with connection.cursor() as cursor:  # as the migration leaves optout_photo_legacy
        cursor.execute(
            f"CREATE TABLE optout_photo_shared PARTITION OF optout_photo "
            f"FOR VALUES IN ({other.pk}, {dataset.pk})"
        )

    summary = import_file(yfcc_file(tmp_path / "dif.tsv", [yfcc_row(1), yfcc_row(2)]))

    assert summary.imported == 2
    assert f"optout_photo_dataset_{dataset.pk}" not in partitions_of_photos()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM optout_photo_shared")
        assert cursor.fetchone()[0] == 2


@postgresql_only
@pytest.mark.django_db
def test_a_first_import_that_breaks_off_leaves_no_partition(tmp_path: Path) -> None:
    whole = yfcc_file(tmp_path / "v1.tsv.gz", [yfcc_row(n) for n in range(1, 2000)], "gzip")
    truncated = write(tmp_path / "cut.tsv.gz", whole.read_bytes()[:-200])

    with pytest.raises(ManifestError, match="could not be read to the end"):
        import_file(truncated)

    assert not Dataset.objects.exists()
    assert not Photo.objects.exists()
    assert set(partitions_of_photos()) == {"optout_photo_default"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE 'optout_photo\\_d%%'"
        )
        assert cursor.fetchall() == [("optout_photo_default",)]


@postgresql_only
@pytest.mark.django_db
def test_a_database_failure_while_attaching_writes_nothing(tmp_path: Path) -> None:
    dataset = DatasetFactory(slug="dif", release="0.9")
    real_execute = CursorWrapper.execute

    def failing_attach(self: CursorWrapper, sql: str, params: SQLParams = None) -> object:
        if "ATTACH PARTITION" in sql:
            real_execute(self, sql, params)
            raise DatabaseError("server closed the connection unexpectedly")
        return real_execute(self, sql, params)

    path = yfcc_file(tmp_path / "v1.tsv", [yfcc_row(1), yfcc_row(2)])
    with (
        mock.patch.object(CursorWrapper, "execute", failing_attach),
        pytest.raises(DatabaseError),
    ):
        import_file(path, release="1.0")

    assert not Photo.objects.exists()
    assert f"optout_photo_dataset_{dataset.pk}" not in partitions_of_photos()
    assert Dataset.objects.get(pk=dataset.pk).release == "0.9"
    # And the next attempt starts from scratch, into a partition of its own.
    assert import_file(path, release="1.0").imported == 2
    assert f"optout_photo_dataset_{dataset.pk}" in partitions_of_photos()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_dataset_at_once_load_it_once_and_merge_once(
    tmp_path: Path,
) -> None:
    dataset = DatasetFactory(slug="dif")
    path = yfcc_file(tmp_path / "dif.tsv", [yfcc_row(n) for n in range(1, 301)])
    start = threading.Barrier(2)
    summaries: list[ImportSummary] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            summaries.append(import_file(path))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors
    assert sorted((s.imported, s.unchanged) for s in summaries) == [(0, 300), (300, 0)]
    assert Photo.objects.filter(dataset=dataset).count() == 300
    assert [
        name for name in partitions_of_photos() if name.startswith("optout_photo_dataset_")
    ] == [f"optout_photo_dataset_{dataset.pk}"]


# -- the migration that splits the table -------------------------------------------------

MIGRATION = ("optout", "0008_photo_partitions")


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_photo_and_id_of_an_existing_table(tmp_path: Path) -> None:
    executor = MigrationExecutor(connection)
    before = executor.loader.graph.node_map[MIGRATION].parents
    (previous,) = [parent.key for parent in before if parent.key[0] == "optout"]
    executor.migrate([previous])
    try:
        apps = executor.loader.project_state([previous]).apps
        OldDataset = apps.get_model("optout", "Dataset")
        OldPhoto = apps.get_model("optout", "Photo")
        OldRequest = apps.get_model("optout", "RemovalRequest")
        one = OldDataset.objects.create(slug="one", name="One")
        two = OldDataset.objects.create(slug="two", name="Two")
        OldDataset.objects.create(slug="empty", name="Empty")
        request = OldRequest.objects.create(
            public_id="R1", status="completed", deadline="2026-01-01T00:00Z"
        )
        made = [
            OldPhoto.objects.create(dataset=one, flickr_id=1, owner_nsid="1@N01"),
            OldPhoto.objects.create(dataset=two, flickr_id=1, state="removed", removed_by=request),
            OldPhoto.objects.create(dataset=two, flickr_id=2, owner_name="Ann"),
        ]
        apps.get_model("optout", "RequestPhoto").objects.create(request=request, photo=made[1])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    rows = Photo.objects.order_by("pk").values_list("pk", "dataset__slug", "flickr_id", "state")
    assert list(rows) == [
        (made[0].pk, "one", 1, "present"),
        (made[1].pk, "two", 1, "removed"),
        (made[2].pk, "two", 2, "present"),
    ]
    assert Photo.objects.get(pk=made[1].pk).removed_by == RemovalRequest.objects.get()
    assert RequestPhoto.objects.get().photo.pk == made[1].pk
    assert PhotoFactory().pk > made[2].pk
    if connection.vendor == "postgresql":
        bounds = partitions_of_photos()
        assert bounds == {
            "optout_photo_legacy": f"FOR VALUES IN ('{one.pk}', '{two.pk}')",
            "optout_photo_default": "DEFAULT",
        }
        # The old table's indexes were kept and attached, not built again.
        assert len(definitions("optout_photo_legacy")[0]) == len(definitions("optout_photo")[0])
        # A new dataset's first import still gets a partition of its own.
        summary = import_file(yfcc_file(tmp_path / "new.tsv", [yfcc_row(1)]), slug="new")
        assert summary.imported == 1
        new = Dataset.objects.get(slug="new")
        assert f"optout_photo_dataset_{new.pk}" in partitions_of_photos()
