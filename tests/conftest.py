"""Shared fixtures. Area-specific fixtures live in tests/fixtures_*.py, listed here."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from optout.infra.ratelimit import WINDOW_SECONDS
from tests.support import flaky_mail

pytest_plugins: list[str] = ["tests.support.flickr", "tests.support.celery", "tests.support.i18n"]
E2E = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e drives a browser: marked `e2e`, left out of `make check`."""
    for item in items:
        if E2E in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def anymail_test_backend(settings: Settings) -> Iterator[None]:
    """anymail's test backend as the provider (Django's test set-up swaps in locmem)."""
    settings.MAILERS = {"default": {"BACKEND": "tests.support.flaky_mail.EmailBackend"}}
    flaky_mail.EmailBackend.failures.clear()
    yield
    flaky_mail.EmailBackend.failures.clear()


@pytest.fixture
def whole_window() -> None:
    """The limits count per clock minute: a test that makes its requests across the
    turn of a minute would see two windows. Start with at least 10 s of this one left."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < 10:
        time.sleep(left + 0.05)
