"""A dataset's own partition of the photo table, for its first import (PostgreSQL).

On PostgreSQL optout_photo is partitioned by dataset (migration 0008). Keeping
its five indexes up to date row by row was most of the time of importing a
new release; a table with no index takes the rows at the speed of a bare COPY,
and each index is then built in one sort. So a dataset's first import goes:

    create()   a plain table shaped like optout_photo, with the dataset's
               values as column defaults and CHECK (dataset_id = N)
    (COPY)     the rows, straight in; duplicates and suppressions are then
               dropped there (the loader), duplicates only when
    add_key()  fails to build the unique (photo id, dataset) key, which spares
               a pass over the rows to look for duplicates a manifest seldom has
    attach()   its other indexes and foreign keys, built here, then ATTACH PARTITION,
               which finds them matching the parent's and attaches them as
               they are, and skips its scan thanks to the CHECK; then ANALYZE

all inside the import's transaction: a failure leaves no table behind.
ATTACH holds the DEFAULT partition (scanned, it holds only the photos of
datasets made outside an import) and blocks other attaches until commit; it
is the last step, and short. Later imports of the dataset merge into its
partition through the parent, like any other.
"""

# Only the parent's name, catalog definitions and integers are spliced into SQL here.

import re
from datetime import datetime

from django.db import connection
from django.db.backends.utils import CursorWrapper
from psycopg import sql

from optout.models import Photo

PARENT = Photo._meta.db_table
KEY = "photo_unique_per_dataset"
# For building the indexes in one sort each; this transaction only.
MAINTENANCE_WORK_MEM = "256MB"


def name(dataset_id: int) -> str:
    return f"{PARENT}_dataset_{int(dataset_id)}"


def fresh_possible(dataset_id: int) -> bool:
    """Whether the dataset's photos can go into a new partition of their own: on
    PostgreSQL, with the photo table partitioned, no partition but the DEFAULT one
    for the dataset (such as `optout_photo_legacy`, which holds every dataset that
    had photos when the table was split), and no photo of it in the DEFAULT one.

    The caller holds the dataset row locked, so no photo of it can appear meanwhile.
    """
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
        found = cursor.fetchone()
        if not found or not found[0]:
            return False
        cursor.execute(
            "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        # LIST bounds read "FOR VALUES IN ('1', '7')"; the DEFAULT one, "DEFAULT".
        bounds = [re.findall(r"'(\d+)'", bound) for (bound,) in cursor.fetchall()]
    if any(str(int(dataset_id)) in values for values in bounds):
        return False
    return not Photo.objects.filter(dataset_id=dataset_id).exists()


def create(
    cursor: CursorWrapper, dataset_id: int, *, release: str, now: datetime, seq: int = 1
) -> str:
    """The dataset's new partition-to-be, empty and unindexed; its name."""
    table = name(dataset_id)
    raw = connection.connection
    cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
    cursor.execute(f"CREATE TABLE {table} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    # What COPY leaves out comes from defaults (dropped again once attached), and
    # the CHECK lets ATTACH trust the rows without reading them again.
    cursor.execute(
        f"ALTER TABLE {table} "
        f"ALTER COLUMN dataset_id SET DEFAULT {int(dataset_id)}, "
        f"ALTER COLUMN release SET DEFAULT {sql.Literal(release).as_string(raw)}, "
        f"ALTER COLUMN state SET DEFAULT {sql.Literal(Photo.State.PRESENT.value).as_string(raw)}, "
        f"ALTER COLUMN updated_at SET DEFAULT {sql.Literal(now).as_string(raw)}, "
        f"ALTER COLUMN first_seq SET DEFAULT {int(seq)}, "
        f"ADD CONSTRAINT {table}_bound CHECK (dataset_id = {int(dataset_id)})"
    )
    return table


def add_key(cursor: CursorWrapper, dataset_id: int) -> None:
    """The unique (photo id, dataset) key, defined as the parent's is; raises
    IntegrityError on a duplicate photo id (call in a savepoint)."""
    table = name(dataset_id)
    cursor.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND conname = %s",
        [PARENT, KEY],
    )
    (definition,) = cursor.fetchone()
    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_{KEY} {definition}")


def attach(cursor: CursorWrapper, dataset_id: int) -> None:
    """Index the loaded table as the parent is indexed, and make it the dataset's partition."""
    table = name(dataset_id)
    for statement in _index_statements(cursor, table):
        cursor.execute(statement)
    cursor.execute(
        f"ALTER TABLE {PARENT} ATTACH PARTITION {table} FOR VALUES IN ({int(dataset_id)})"
    )
    cursor.execute(
        f"ALTER TABLE {table} DROP CONSTRAINT {table}_bound, "
        "ALTER COLUMN dataset_id DROP DEFAULT, ALTER COLUMN release DROP DEFAULT, "
        "ALTER COLUMN state DROP DEFAULT, ALTER COLUMN updated_at DROP DEFAULT, "
        "ALTER COLUMN first_seq DROP DEFAULT"
    )
    # Statistics now, not when autovacuum comes round: without them the planner guesses
    # a new partition's rows by a default selectivity, and took the next release's
    # anti-join with it for a few rows, run as a nested loop over the whole stage.
    cursor.execute(f"ANALYZE {table}")


def _index_statements(cursor: CursorWrapper, table: str) -> list[str]:
    """The parent's indexes, constraints behind indexes, and foreign keys, for `table`.

    Read from the catalog, so that an index a later migration adds is built too (an
    index ATTACH did not find would be built by ATTACH itself, while it holds its locks).
    """
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid), c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid "
        "WHERE x.indrelid = %s::regclass ORDER BY i.relname",
        [PARENT],
    )
    found = cursor.fetchall()
    cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass", [table])
    built = {constraint for (constraint,) in cursor.fetchall()}
    statements = []
    for index, definition, constraint, constraint_definition in found:
        if constraint:
            local = f"{table}_{constraint.removeprefix(f'{PARENT}_')}"
            if local not in built:
                statements.append(
                    f"ALTER TABLE {table} ADD CONSTRAINT {local} {constraint_definition}"
                )
        else:
            head, _, using = definition.partition(" USING ")
            unique = "UNIQUE " if head.startswith("CREATE UNIQUE ") else ""
            statements.append(f"CREATE {unique}INDEX {table}_{index} ON {table} USING {using}")
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [PARENT],
    )
    statements += [
        f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {constraint_definition}"
        for constraint, constraint_definition in cursor.fetchall()
    ]
    return statements
