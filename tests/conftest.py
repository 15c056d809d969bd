"""Shared fixtures. Area-specific fixtures live in tests/fixtures_*.py, listed here."""

pytest_plugins: list[str] = ["tests.fixtures_flickr"]
