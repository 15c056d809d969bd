"""The PostgreSQL backend's cheap health check (optout/postgres/base.py)."""

import select
from collections.abc import Iterator

import pytest
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

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
