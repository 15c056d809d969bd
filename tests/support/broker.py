"""The configured broker for the fault tests: which one it is, and stopping it for a while.

Stopping Redis stops whatever REDIS_URL points at: run these tests against a Redis
no one else is using. It is always started again, even when the test fails.
"""

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

# The broker this run is configured with: the same tests run on either. The port of
# REDIS_URL (6379 in CI); the server is started again exactly as .ci/run does.
BROKER = "redis" if settings.REDIS_URL else "folder"
REDIS_PORT = str(urlsplit(settings.REDIS_URL).port or 6379) if settings.REDIS_URL else ""
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", REDIS_PORT]
REDIS_START += ["--save", "", "--appendonly", "no"]


@contextmanager
def broker_down() -> Iterator[None]:
    """Stop the configured broker; always bring it back."""
    if BROKER == "redis":
        subprocess.run(["redis-cli", "-p", REDIS_PORT, "shutdown", "nosave"], check=False)
        try:
            yield
        finally:
            subprocess.run(REDIS_START, check=True)
            for _ in range(50):
                ping = subprocess.run(["redis-cli", "-p", REDIS_PORT, "ping"], capture_output=True)
                if ping.stdout.strip() == b"PONG":
                    break
                time.sleep(0.1)
    else:
        queue = settings.CELERY_QUEUE_DIR
        aside = queue.with_name("queue.down")
        queue.rename(aside)
        try:
            yield
        finally:
            aside.rename(queue)


def database_url() -> str:
    """The test database (pytest-django's test_<name>), as worker processes must reach it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
