# Written by hand: Django cannot describe a partitioned table.

"""On PostgreSQL, optout_photo becomes a table partitioned by dataset (LIST on dataset_id).

Why: a dataset's first import then loads into a table of its own with no index,
builds each index in one sort and attaches it (optout.importers.partitions),
instead of keeping five indexes up to date row by row, which was most of an
import's time. What Django sees does not change: `id` is still the primary key
of the model; in the database the key is (id, dataset_id), since PostgreSQL
wants the partition key in every unique constraint, and `id` comes from a
sequence (a partitioned table cannot have an identity column), so it stays
unique across partitions.

An existing table with rows becomes the partition of the datasets it holds
(`optout_photo_legacy`), keeping its indexes: only the new primary key is
built, in one sort, and the table is scanned once to check the partition
bound. Photos of datasets created later outside an import (admin, demo,
tests) go to the DEFAULT partition until they are imported.

request_photo.photo_id loses its foreign key: a foreign key needs a unique
constraint on the referenced columns, and `id` alone no longer has one. Photos
are never deleted but with their dataset, by the ORM, which cascades.

SQLite keeps the plain table: nothing happens there but the foreign key.
"""

import re

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

PHOTO = "optout_photo"
LEGACY = "optout_photo_legacy"
DEFAULT = "optout_photo_default"
SEQUENCE = "optout_photo_id_seq"


def _rows(schema_editor: BaseDatabaseSchemaEditor, sql: str, params: tuple = ()) -> list[tuple]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _indexes(schema_editor: BaseDatabaseSchemaEditor, table: str) -> list[tuple[str, str, str]]:
    """(name, definition, constraint) of each index of `table`: the constraint's
    name and definition (UNIQUE (…)) for one that backs a constraint, else ''."""
    found = _rows(
        schema_editor,
        "SELECT i.relname, pg_get_indexdef(x.indexrelid), COALESCE(c.conname, ''), "
        "COALESCE(pg_get_constraintdef(c.oid), '') "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid "
        "WHERE x.indrelid = %s::regclass ORDER BY i.relname",
        (table,),
    )
    return [
        (name, f"{constraint} {condef}" if constraint else definition, constraint)
        for name, definition, constraint, condef in found
    ]


def _last_id(schema_editor: BaseDatabaseSchemaEditor) -> int:
    """The highest id handed out so far, by the sequence or in a row."""
    (last,) = _rows(
        schema_editor,
        f"SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM {PHOTO}), "
        f"COALESCE(pg_sequence_last_value(pg_get_serial_sequence('{PHOTO}', 'id')), 0))",
    )[0]
    return int(last)


def _create_indexes(
    schema_editor: BaseDatabaseSchemaEditor, indexes: list[tuple[str, str, str]]
) -> None:
    """The indexes `_indexes` read, on the table now called optout_photo."""
    for name, definition, constraint in indexes:
        if constraint:
            if not constraint.endswith("_pkey"):
                schema_editor.execute(f"ALTER TABLE {PHOTO} ADD CONSTRAINT {definition}")
        else:
            schema_editor.execute(re.sub(r" ON (ONLY )?\S+ USING ", f" ON {PHOTO} USING ", definition))


def partition(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    # Never hand out an id again: past the identity sequence and past every row.
    last = _last_id(schema_editor)
    held = [
        dataset_id
        for (dataset_id,) in _rows(
            schema_editor,
            f"SELECT d.id FROM optout_dataset d WHERE EXISTS "
            f"(SELECT 1 FROM {PHOTO} p WHERE p.dataset_id = d.id) ORDER BY d.id",
        )
    ]
    indexes = _indexes(schema_editor, PHOTO)
    foreign_keys = _rows(
        schema_editor,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        (PHOTO,),
    )
    run(f"ALTER TABLE {PHOTO} ALTER COLUMN id DROP IDENTITY")
    run(f"ALTER TABLE {PHOTO} RENAME TO {LEGACY}")
    # Index names are per schema: the parent's take the old names.
    for name, _, constraint in indexes:
        if constraint:
            run(f"ALTER TABLE {LEGACY} RENAME CONSTRAINT {constraint} TO {LEGACY}_{constraint}")
        else:
            run(f"ALTER INDEX {name} RENAME TO {LEGACY}_{name}")
    # The old key (id) cannot stay: the parent's is (id, dataset_id).
    run(f"ALTER TABLE {LEGACY} DROP CONSTRAINT {LEGACY}_{PHOTO}_pkey")

    run(f"CREATE SEQUENCE {SEQUENCE} AS bigint")
    run(f"SELECT setval('{SEQUENCE}', {last + 1}, false)")
    run(
        f"CREATE TABLE {PHOTO} (LIKE {LEGACY} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        "PARTITION BY LIST (dataset_id)"
    )
    run(f"ALTER TABLE {PHOTO} ALTER COLUMN id SET DEFAULT nextval('{SEQUENCE}')")
    run(f"ALTER SEQUENCE {SEQUENCE} OWNED BY {PHOTO}.id")
    run(f"ALTER TABLE {PHOTO} ADD CONSTRAINT {PHOTO}_pkey PRIMARY KEY (id, dataset_id)")
    _create_indexes(schema_editor, indexes)
    for name, definition in foreign_keys:
        run(f"ALTER TABLE {PHOTO} ADD CONSTRAINT {name} {definition}")

    if held:
        # Its indexes match the parent's and are attached as they are; only the
        # primary key is built, and the rows are checked against the bound.
        values = ", ".join(str(int(dataset_id)) for dataset_id in held)
        run(f"ALTER TABLE {PHOTO} ATTACH PARTITION {LEGACY} FOR VALUES IN ({values})")
    else:
        run(f"DROP TABLE {LEGACY}")
    run(f"CREATE TABLE {DEFAULT} PARTITION OF {PHOTO} DEFAULT")


def unpartition(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Back to one plain table, with the same rows, ids and indexes."""
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    plain = f"{PHOTO}_plain"
    last = _last_id(schema_editor)
    indexes = _indexes(schema_editor, PHOTO)
    foreign_keys = _rows(
        schema_editor,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' AND conparentid = 0",
        (PHOTO,),
    )
    run(f"CREATE TABLE {plain} (LIKE {PHOTO} INCLUDING CONSTRAINTS)")
    run(f"INSERT INTO {plain} SELECT * FROM {PHOTO}")
    run(f"DROP TABLE {PHOTO} CASCADE")  # its partitions and its sequence
    run(f"ALTER TABLE {plain} RENAME TO {PHOTO}")
    run(
        f"ALTER TABLE {PHOTO} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY "
        f"(START WITH {last + 1})"
    )
    run(f"ALTER TABLE {PHOTO} ADD CONSTRAINT {PHOTO}_pkey PRIMARY KEY (id)")
    _create_indexes(schema_editor, indexes)
    for name, definition in foreign_keys:
        run(f"ALTER TABLE {PHOTO} ADD CONSTRAINT {name} {definition}")


class Migration(migrations.Migration):
    dependencies = [
        ("optout", "0007_suppression_owner_key"),
    ]

    operations = [
        migrations.AlterField(
            model_name="requestphoto",
            name="photo",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                to="optout.photo",
            ),
        ),
        migrations.RunPython(partition, unpartition),
    ]
