"""Django's PostgreSQL backend, with a health check that spends no round trip on a quiet connection.

With CONN_HEALTH_CHECKS, Django runs `SELECT 1` before the first query of
every request on a kept connection: one more round trip, and its CPU in the
web process and PostgreSQL, on every page that reads the database (the look-up
among them).

A connection that the server has ended (a restart, pg_terminate_backend, an
idle timeout) does not stay quiet: the server writes its error and closes the
socket, so there is something to read. Here an idle connection with nothing to
read is taken as alive without asking; anything else gets Django's `SELECT 1`,
which replaces a dead connection before the request uses it.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    # Set by BaseDatabaseWrapper (__init__, connect); django-stubs does not declare them.
    health_check_enabled: bool
    health_check_done: bool

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and self._quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quiet(self) -> bool:
        """Open, idle, and nothing from the server waiting to be read."""
        conn = self.connection
        if conn.closed or conn.pgconn.status != pq.ConnStatus.OK:
            return False
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            return False
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
