"""Tasks through the real broker: messages are sent by our code and taken off the
queue here, then run as a worker would (by name, with the decoded arguments).

Not eager mode: on-commit hooks, serialization and routing are all real; only
the worker loop is this helper. Integration tests that need a worker process
start `celery -A optout worker` instead.
"""

import queue
from collections.abc import Callable, Iterator
from typing import cast

import pytest
from kombu.transport.virtual import Channel

from config.celery import app


def _purge() -> None:
    with app.connection_for_write() as conn:
        # Both brokers we run on, Redis and the folder broker, are kombu virtual
        # transports; the stubs type default_channel as the bare base class.
        channel = cast(Channel, conn.default_channel)
        channel.queue_declare(queue="celery", durable=True, auto_delete=False)
        channel.queue_purge("celery")


def tasks_run(limit: int = 100) -> list[str]:
    """Run every task waiting on the broker (and those they enqueue); returns their names."""
    ran: list[str] = []
    with app.connection_for_read() as conn:
        simple = conn.SimpleQueue("celery")
        try:
            while len(ran) < limit:
                try:
                    message = simple.get(block=False)
                except queue.Empty:
                    break
                name = message.headers["task"]
                args, kwargs, _embed = message.decode()
                message.ack()
                app.tasks[name].apply(args=args, kwargs=kwargs, throw=True)
                ran.append(name)
        finally:
            simple.close()
    return ran


@pytest.fixture
def run_tasks() -> Iterator[Callable[[], list[str]]]:
    # The tasks by name, as a worker's start-up imports them (autodiscovery is lazy): a
    # test module run alone may import none of them.
    app.loader.import_default_modules()
    _purge()
    yield tasks_run
    _purge()
