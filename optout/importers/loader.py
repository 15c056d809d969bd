"""The bulk loader: photo rows into a staging table, then a set-based merge.

The rows arrive as COPY text (see `batches`): PostgreSQL takes it through
COPY (psycopg 3), SQLite as parsed rows through executemany; both then run
the same statements: fold duplicate photo ids, drop what a Suppression keeps
out, and merge into the photo table without ever touching a removed photo.
A dataset's first import is a plain INSERT in photo id order. A later one
first works out what differs (`_diff`: one join of the staged rows with the
dataset's photos, keeping only the new rows, the changed ones and the ones a
removal keeps out), then inserts the new rows and updates the changed ones by
id; a complete release then marks the photos it did not list as in earlier
releases only (`Photo.last_seq`). A new release mostly repeats the last one,
so the writes are a few per cent of the rows, where writing every row again
cost many times the COPY (docs/performance.md). On PostgreSQL a dataset's first
import (`fresh`) skips the staging table: its rows are COPYed straight into
a new table that becomes the dataset's partition of the photo table (see
`partitions`), and are folded and filtered there, through a temporary view
that stands in for the staging table. The caller runs all of this inside one
transaction, so a failure at any step leaves nothing behind.
"""

# Only constants and model table names are spliced into SQL here; values are parameters.
# ruff: noqa: S608

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Count, Q

from optout.importers import partitions
from optout.importers.batches import parse_copy_line
from optout.infra.owner_keys import owner_keys
from optout.models import Photo, Suppression

STAGE = "optout_import_stage"
DUPS = "optout_import_dups"
MERGED_KEYS = "optout_import_keys"
DIFF = "optout_import_diff"
BATCH = 2000
# Stage columns, in PhotoRow's order.
COLUMNS = (
    "line", "flickr_id", "owner_nsid", "owner_name", "title", "page_url", "image_url",
    "farm", "server", "secret", "license", "file_keys", "extra",
)  # fmt: skip
_TYPES = {"line": "bigint", "flickr_id": "bigint", "farm": "integer"}
# One encoder, made once: json.dumps with arguments builds a new one per call.
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
# Photo columns the merge writes from the stage (all but line).
_PHOTO_FIELDS = COLUMNS[1:]


@dataclass(frozen=True)
class LoadResult:
    staged: int
    duplicates: int  # rows folded into an earlier row with the same photo id
    suppressed: int  # rows a Suppression keeps out
    kept_removed: int  # rows whose photo is already removed here, left untouched
    imported: int
    updated: int  # rows whose values changed, or that an earlier release had left out
    total: int  # photos of the dataset after the load, any state
    present: int  # present and in the current release
    stage_seconds: float  # reading the file and staging its rows (they overlap)
    merge_seconds: float
    dropped: int = 0  # photos a complete release did not list: now in earlier releases only
    earlier: int = 0  # present photos in earlier releases only, after the load


def load(
    *,
    dataset_id: int,
    chunks: Iterable[bytes],
    release: str,
    now: datetime,
    fresh: bool = False,
    seq: int = 1,
    complete: bool = False,
    previous_seq: int = 0,
) -> LoadResult:
    """Stage `chunks` (COPY text) and merge them into the dataset's photos.

    `fresh`: the dataset's first import into a partition of its own (only when
    `partitions.fresh_possible`); `chunks` then have no line column (the rows'
    ids, handed out in file order, stand for it). `seq`: the number of the
    release the rows are in (a new photo's first_seq). `complete`: the rows are
    the whole release, so the present photos they do not list leave the
    current release; `previous_seq` is then the last release that listed them.
    Call inside a transaction.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Room for the sort and the hash aggregates below, for this transaction only.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # An import lost to a crash in the last moment is simply run again; not
            # waiting for the WAL flush at commit is safe here (no corruption, only
            # the most recent commits may be lost).
            cursor.execute("SET LOCAL synchronous_commit = off")
        _drop_temporary_tables(cursor)
        if fresh:
            return _load_fresh(cursor, dataset_id, chunks, release, now, seq)
        columns = ", ".join(f"{name} {_TYPES.get(name, 'text')}" for name in COLUMNS)
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ({columns})")
        stage = _copy if connection.vendor == "postgresql" else _insert
        started = time.perf_counter()
        staged = stage(cursor, chunks)
        staged_at = time.perf_counter()
        duplicates = _key_stage(cursor)
        suppressed = _drop_suppressed(cursor, dataset_id)
        kept_removed = updated = dropped = 0
        # The caller holds the dataset row locked: no photo of it can appear meanwhile.
        first = not Photo.objects.filter(dataset_id=dataset_id).exists()
        if first:
            imported = _insert_photos(cursor, dataset_id, release, now, seq, source=STAGE)
        else:
            if connection.vendor == "postgresql":
                # A temporary table has no statistics until asked: without them the
                # planner takes the stage for a few rows and joins it row by row.
                cursor.execute(f"ANALYZE {STAGE}")
            kept_removed = _diff(cursor, dataset_id, complete=complete)
            imported = _insert_photos(cursor, dataset_id, release, now, seq, source=DIFF)
            updated = _update_photos(cursor, dataset_id, release, now)
            if complete:
                dropped = _leave_out(cursor, dataset_id, now, previous_seq)
        _drop_temporary_tables(cursor)
    # A first import's photos are all new and present; counting a million rows
    # just written would only say so again.
    total, present, earlier = (imported, imported, 0) if first else _count(dataset_id)
    return LoadResult(
        staged=staged,
        duplicates=duplicates,
        suppressed=suppressed,
        kept_removed=kept_removed,
        imported=imported,
        updated=updated,
        total=total,
        present=present,
        dropped=dropped,
        earlier=earlier,
        stage_seconds=staged_at - started,
        merge_seconds=time.perf_counter() - staged_at,
    )


def _load_fresh(
    cursor: CursorWrapper,
    dataset_id: int,
    chunks: Iterable[bytes],
    release: str,
    now: datetime,
    seq: int,
) -> LoadResult:
    started = time.perf_counter()
    table = partitions.create(cursor, dataset_id, release=release, now=now, seq=seq)
    with cursor.copy(f"COPY {table} ({', '.join(_PHOTO_FIELDS)}) FROM STDIN") as copy:
        for chunk in chunks:
            copy.write(chunk)
    staged = cursor.rowcount
    staged_at = time.perf_counter()
    # The folding and the suppression filter work on the staging table by name; a
    # view of the new table under that name (updatable: one table, plain columns)
    # lets them work there. Its ids were handed out in file order, like lines.
    cursor.execute(
        f"CREATE TEMPORARY VIEW {STAGE} AS SELECT id AS line, {', '.join(_PHOTO_FIELDS)} "
        f"FROM {table}"
    )
    try:
        with transaction.atomic():
            partitions.add_key(cursor, dataset_id)
        duplicates = 0
    except IntegrityError:
        duplicates = _fold_duplicates(cursor, keys_type="jsonb")
        partitions.add_key(cursor, dataset_id)
    suppressed = _drop_suppressed(cursor, dataset_id)
    cursor.execute(f"DROP VIEW pg_temp.{STAGE}")
    _drop_temporary_tables(cursor)
    partitions.attach(cursor, dataset_id)
    written = staged - duplicates - suppressed
    return LoadResult(
        staged=staged,
        duplicates=duplicates,
        suppressed=suppressed,
        kept_removed=0,
        imported=written,
        updated=0,
        total=written,
        present=written,
        stage_seconds=staged_at - started,
        merge_seconds=time.perf_counter() - staged_at,
    )


def _drop_temporary_tables(cursor: CursorWrapper) -> None:
    # Schema-qualified: an unqualified DROP would reach a regular table of that name.
    schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
    for table in (STAGE, DUPS, MERGED_KEYS, DIFF):
        cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")


def _copy(cursor: CursorWrapper, chunks: Iterable[bytes]) -> int:
    with cursor.copy(f"COPY {STAGE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for chunk in chunks:
            copy.write(chunk)
    return cursor.rowcount


def _insert(cursor: CursorWrapper, chunks: Iterable[bytes]) -> int:
    sql = f"INSERT INTO {STAGE} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    staged = 0
    for chunk in chunks:
        # split, not splitlines: a value may hold \x0c or \u2028, which COPY leaves as is.
        rows = [parse_copy_line(line) for line in chunk.decode("utf-8").split("\n")[:-1]]
        cursor.executemany(sql, rows)
        staged += len(rows)
    return staged


def _batches(values: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for value in values:
        batch.append(value)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _key_stage(cursor: CursorWrapper) -> int:
    """A unique index on the staged photo ids; the duplicates folded first when building
    it finds some (returns how many). Building it is a cheaper check than grouping every
    row, as manifests seldom repeat a photo, and SQLite's joins with the stage use it."""
    schema = "" if connection.vendor == "postgresql" else "temp."
    index = f"CREATE UNIQUE INDEX {schema}{STAGE}_photo ON {STAGE} (flickr_id)"
    try:
        with transaction.atomic():
            cursor.execute(index)
        return 0
    except IntegrityError:
        duplicates = _fold_duplicates(cursor)
        cursor.execute(index)
        return duplicates


def _fold_duplicates(cursor: CursorWrapper, *, keys_type: str = "text") -> int:
    """Keep the first row (lowest line) of each photo id and give it the file keys of
    all its rows: FFHQ lists one Flickr photo once per face it cropped from it, and
    every one of those files must be found again when the photo is removed.

    `keys_type`: the type of the stage's file_keys (jsonb in a new partition)."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE {DUPS} AS SELECT flickr_id, MIN(line) AS keep "
        f"FROM {STAGE} GROUP BY flickr_id HAVING COUNT(*) > 1"
    )
    cursor.execute(f"SELECT COUNT(*) FROM {DUPS}")
    if not cursor.fetchone()[0]:
        return 0
    cursor.execute(
        f"CREATE TEMPORARY TABLE {MERGED_KEYS} (line bigint PRIMARY KEY, keys {keys_type})"
    )
    insert = f"INSERT INTO {MERGED_KEYS} (line, keys) VALUES (%s, CAST(%s AS {keys_type}))"
    for batch in _batches(_merged_keys()):
        cursor.executemany(insert, batch)
    cursor.execute(
        f"UPDATE {STAGE} SET file_keys = "
        f"(SELECT keys FROM {MERGED_KEYS} m WHERE m.line = {STAGE}.line) "
        f"WHERE line IN (SELECT line FROM {MERGED_KEYS})"
    )
    cursor.execute(
        f"DELETE FROM {STAGE} WHERE flickr_id IN (SELECT flickr_id FROM {DUPS}) "
        f"AND line NOT IN (SELECT keep FROM {DUPS})"
    )
    return cursor.rowcount


def _merged_keys() -> Iterator[tuple[int, str]]:
    """(kept line, union of the group's file keys), where the union adds keys."""
    # A server-side cursor on PostgreSQL: a file of nothing but duplicates stays streamed.
    with connection.chunked_cursor() as rows:
        rows.execute(
            f"SELECT s.flickr_id, s.line, CAST(s.file_keys AS TEXT) FROM {STAGE} s "
            f"JOIN {DUPS} d ON d.flickr_id = s.flickr_id ORDER BY s.flickr_id, s.line"
        )
        group, keep = None, 0
        keys: list[str] = []
        first: list[str] = []
        while chunk := rows.fetchmany(BATCH):
            for flickr_id, line, file_keys in chunk:
                if flickr_id != group:
                    if keys != first:
                        yield keep, _json(keys)
                    group, keep = flickr_id, line
                    first = json.loads(file_keys)
                    keys = list(first)
                else:
                    keys += [key for key in json.loads(file_keys) if key not in keys]
        if keys != first:
            yield keep, _json(keys)


def _drop_suppressed(cursor: CursorWrapper, dataset_id: int) -> int:
    """Delete the staged rows a Suppression keeps out; returns how many.

    Photos match by id. Owners are kept only as a keyed hash of their NSID, so
    each distinct staged NSID is hashed here (once per owner, not per row) and the
    matching ones deleted; nothing is hashed when no owner in scope is suppressed,
    the usual case.
    """
    relevant = Suppression.objects.filter(Q(dataset__isnull=True) | Q(dataset_id=dataset_id))
    if not relevant.exists():
        return 0
    table = Suppression._meta.db_table
    cursor.execute(
        f"DELETE FROM {STAGE} WHERE flickr_id IN "
        f"(SELECT flickr_id FROM {table} WHERE kind = %s "
        "AND (dataset_id IS NULL OR dataset_id = %s))",
        [Suppression.Kind.PHOTO, dataset_id],
    )
    dropped = cursor.rowcount
    kept_out = set(relevant.filter(kind=Suppression.Kind.OWNER).values_list("owner_key", flat=True))
    if not kept_out:
        return dropped
    cursor.execute(f"SELECT DISTINCT owner_nsid FROM {STAGE} WHERE owner_nsid <> ''")
    nsids = [nsid for (nsid,) in cursor.fetchall()]
    matched = [nsid for key, nsid in owner_keys(nsids).items() if key in kept_out]
    for start in range(0, len(matched), 500):
        chunk = matched[start : start + 500]
        cursor.execute(
            f"DELETE FROM {STAGE} WHERE owner_nsid IN ({', '.join(['%s'] * len(chunk))})",
            chunk,
        )
        dropped += cursor.rowcount
    return dropped


_NEW, _CHANGED, _REMOVED, _LEFT_OUT = "new", "changed", "removed", "left out"


def _selected(prefix: str = "") -> list[str]:
    """The photo columns' values from the stage's text (`prefix`: the table's alias)."""
    postgres = connection.vendor == "postgresql"
    selected = []
    for name in _PHOTO_FIELDS:
        field = Photo._meta.get_field(name)
        limit = getattr(field, "max_length", None)
        column = f"{prefix}{name}"
        if name in ("file_keys", "extra"):
            # Text in the stage; the column's own type: jsonb, json for extra (PlainJSONField).
            selected.append(f"{column}::{field.db_type(connection)}" if postgres else column)
        elif limit:
            # Manifests carry titles of any length; the column does not.
            selected.append(f"SUBSTR({column}, 1, {int(limit)})")
        else:
            selected.append(column)
    return selected


def _differs() -> str:
    """SQL true when photo `p` holds other values than staged row `s` would write."""
    postgres = connection.vendor == "postgresql"
    distinct = "IS DISTINCT FROM" if postgres else "IS NOT"
    tests = []
    for name, value in zip(_PHOTO_FIELDS, _selected("s."), strict=True):
        if name == "flickr_id":
            continue
        if name == "extra" and postgres:
            # json has no equality; its text is kept as it was written.
            tests.append(f"p.extra::text {distinct} s.extra")
        elif name in ("file_keys", "extra") and not postgres:
            tests.append(f"json(p.{name}) {distinct} json(s.{name})")
        else:
            tests.append(f"p.{name} {distinct} {value}")
    return " OR ".join(tests)


def _diff(cursor: CursorWrapper, dataset_id: int, *, complete: bool) -> int:
    """The rows that need a write, in DIFF: staged rows of new photos, and of present
    photos whose values differ or that an earlier complete release left out; on
    PostgreSQL, for a `complete` release, the present photos of the current release the
    stage does not list (`_leave_out`); and, to count them, the staged rows of removed
    photos (never written). Returns how many of those there are.

    One join of the stage with the dataset's photos: the rows a new release merely
    repeats, most of them, end here. On PostgreSQL a full join, which finds the photos a
    release left out in the same pass (a second join cost about as much again); SQLite
    before 3.39 has no full join, and looks for those in `_leave_out`.
    """
    photos = Photo._meta.db_table
    if connection.vendor == "postgresql":
        join = (
            f"{STAGE} s FULL JOIN (SELECT * FROM {photos} WHERE dataset_id = %(dataset)s) p "
            "ON p.flickr_id = s.flickr_id"
        )
        left_out = (
            "s.flickr_id IS NULL AND %(complete)s AND p.state = %(present)s AND p.last_seq IS NULL"
        )
    else:
        join = (
            f"{STAGE} s LEFT JOIN {photos} p "
            "ON p.dataset_id = %(dataset)s AND p.flickr_id = s.flickr_id"
        )
        left_out = "0"
    cursor.execute(
        f"CREATE TEMPORARY TABLE {DIFF} AS "
        "SELECT s.*, p.id AS photo_id, "
        f"CASE WHEN s.flickr_id IS NULL THEN '{_LEFT_OUT}' WHEN p.id IS NULL THEN '{_NEW}' "
        f"WHEN p.state = %(present)s THEN '{_CHANGED}' ELSE '{_REMOVED}' END AS kind "
        f"FROM {join} "
        "WHERE (s.flickr_id IS NOT NULL AND (p.id IS NULL OR p.state <> %(present)s "
        f"OR p.last_seq IS NOT NULL OR {_differs()})) OR ({left_out})",
        {"dataset": dataset_id, "present": Photo.State.PRESENT.value, "complete": complete},
    )
    cursor.execute(f"SELECT COUNT(*) FROM {DIFF} WHERE kind = '{_REMOVED}'")
    return cursor.fetchone()[0]


def _insert_photos(
    cursor: CursorWrapper,
    dataset_id: int,
    release: str,
    now: datetime,
    seq: int,
    *,
    source: str,
) -> int:
    """INSERT the new rows of `source` (the stage, on a first import; else DIFF's new ones).

    On a dataset's first import (no photo of it yet, removed or not; the caller
    holds the dataset row locked, so none can appear) every staged row is new and
    the photo ids are already unique: a plain INSERT, without the speculative
    insertion ON CONFLICT would make for each row.
    """
    written = (*_PHOTO_FIELDS, "release", "state", "first_seq", "updated_at")
    where = f"kind = '{_NEW}'" if source == DIFF else "true"
    cursor.execute(
        f"INSERT INTO {Photo._meta.db_table} (dataset_id, {', '.join(written)}) "
        # In photo id order, the unique index (photo id first) fills page by page.
        f"SELECT %s, {', '.join(_selected())}, %s, %s, %s, %s FROM {source} WHERE {where} "
        "ORDER BY flickr_id",
        [
            dataset_id,
            release,
            Photo.State.PRESENT,
            seq,
            connection.ops.adapt_datetimefield_value(now),
        ],
    )
    return cursor.rowcount


def _update_photos(cursor: CursorWrapper, dataset_id: int, release: str, now: datetime) -> int:
    """Write DIFF's changed rows over their photos, by id; back in the current release.

    `state` is checked again: a removal that finished meanwhile keeps its tombstone.
    """
    table = Photo._meta.db_table
    values = zip(_PHOTO_FIELDS, _selected("d."), strict=True)
    assignments = [f"{name} = {value}" for name, value in values if name != "flickr_id"]
    assignments += ["release = %s", "last_seq = NULL", "updated_at = %s"]
    cursor.execute(
        f"UPDATE {table} SET {', '.join(assignments)} FROM {DIFF} d "
        f"WHERE d.kind = '{_CHANGED}' AND {table}.id = d.photo_id "
        f"AND {table}.dataset_id = %s AND {table}.state = %s",
        [release, connection.ops.adapt_datetimefield_value(now), dataset_id, Photo.State.PRESENT],
    )
    return cursor.rowcount


def _leave_out(cursor: CursorWrapper, dataset_id: int, now: datetime, previous_seq: int) -> int:
    """A complete release: the dataset's present photos in the current release that the
    stage does not list are now in earlier releases only, the last being `previous_seq`."""
    table = Photo._meta.db_table
    if connection.vendor == "postgresql":
        left_out = f"id IN (SELECT photo_id FROM {DIFF} WHERE kind = '{_LEFT_OUT}')"
    else:
        left_out = f"NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s.flickr_id = {table}.flickr_id)"
    cursor.execute(
        f"UPDATE {table} SET last_seq = %s, updated_at = %s "
        f"WHERE dataset_id = %s AND state = %s AND last_seq IS NULL AND {left_out}",
        [
            previous_seq,
            connection.ops.adapt_datetimefield_value(now),
            dataset_id,
            Photo.State.PRESENT,
        ],
    )
    return cursor.rowcount


def _count(dataset_id: int) -> tuple[int, int, int]:
    """(all photos, present in the current release, present in earlier releases only)."""
    present = Q(state=Photo.State.PRESENT)
    counts = Photo.objects.filter(dataset_id=dataset_id).aggregate(
        total=Count("id"),
        current=Count("id", filter=present & Q(last_seq__isnull=True)),
        earlier=Count("id", filter=present & Q(last_seq__isnull=False)),
    )
    return counts["total"], counts["current"], counts["earlier"]
