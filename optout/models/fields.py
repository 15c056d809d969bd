"""Model fields and index expressions that differ by database where it pays on PostgreSQL."""

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression
from django.db.models.sql.compiler import SQLCompiler


class PlainJSONField(models.JSONField):
    """A JSONField stored as PostgreSQL `json` (the text, checked) instead of `jsonb`.

    For a value only ever written and read whole: `json` checks the text and keeps
    it as given, while `jsonb` parses it into a binary form made for looking inside,
    which costs an import's COPY far more (docs/performance.md). What `json` cannot
    do: `=`, DISTINCT, GROUP BY, containment and key comparisons in SQL; fine for a
    value nobody queries. SQLite stores text either way.
    """

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def from_db_value(
        self, value: Any, expression: Expression, connection: BaseDatabaseWrapper
    ) -> Any:
        # psycopg hands a `json` value over already decoded (Django swaps in a text
        # loader for jsonb only, to decode it here itself); loading it again would
        # fail on a dict, or turn a JSON string that looks like JSON into something else.
        if connection.vendor == "postgresql":
            return value
        return super().from_db_value(value, expression, connection)


class ByteOrder(models.Func):
    """`expression COLLATE "C"` on PostgreSQL; the expression as it is on SQLite.

    For an index of text compared only for equality: deterministic collations all
    call two strings equal only when their bytes are, so "C" changes no answer,
    and builds the index with plain byte comparisons instead of the locale's
    (strcoll, even under C.UTF-8). SQLite has no collation named "C"; its default,
    BINARY, already compares bytes. A query uses such an index on PostgreSQL only
    when it compares under the same collation: `(expression COLLATE "C") = …`.
    """

    template = '%(expressions)s COLLATE "C"'
    arity = 1

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[str | int, ...]]:
        return compiler.compile(self.source_expressions[0])
