"""Shared fixtures. Area-specific fixtures live in tests/fixtures_*.py, listed here."""

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings

from tests import flaky_mail

pytest_plugins: list[str] = ["tests.fixtures_flickr", "tests.fixtures_celery"]


@pytest.fixture(autouse=True)
def anymail_test_backend(settings: Settings) -> Iterator[None]:
    """anymail's test backend as the provider (Django's test set-up swaps in locmem)."""
    settings.MAILERS = {"default": {"BACKEND": "tests.flaky_mail.EmailBackend"}}
    flaky_mail.EmailBackend.failures.clear()
    yield
    flaky_mail.EmailBackend.failures.clear()
