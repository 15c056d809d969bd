"""What PostgreSQL's catalog says of the photo table: its partitions, indexes, constraints."""

from django.db import connection


def partitions_of_photos() -> dict[str, str]:
    """{partition: its bound} of optout_photo."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'optout_photo'::regclass"
        )
        return dict(cursor.fetchall())


def definitions(table: str) -> tuple[list[str], list[str]]:
    """(its indexes' definitions with the table's name taken out, its constraints)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass",
            [table],
        )
        indexes = sorted(definition.split(" USING ", 1)[1] for (definition,) in cursor.fetchall())
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
            [table],
        )
        constraints = sorted(definition for (definition,) in cursor.fetchall())
    return indexes, constraints
