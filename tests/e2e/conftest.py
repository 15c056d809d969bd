"""Browser tests: the live server's threads close their database connections after each request."""

import pytest
from django.db import connections


@pytest.fixture(autouse=True)
def live_server_connections_close(monkeypatch: pytest.MonkeyPatch) -> None:
    # With CONN_MAX_AGE (production's 60 s) a live-server thread keeps its
    # connection open, and the flush after a transactional test waits for it.
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
