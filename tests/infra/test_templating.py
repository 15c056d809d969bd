"""The Jinja2 environment lives for the process; what it shows of the settings must not."""

import pytest
from django.test import Client
from pytest_django.fixtures import Settings


@pytest.mark.django_db
def test_the_switcher_offers_the_languages_of_the_moment_not_of_the_first_page(
    client: Client, settings: Settings
) -> None:
    assert 'lang="de"' in client.get("/").content.decode()  # the environment now exists

    settings.LANGUAGES = [("en", "English"), ("es", "Español")]
    page = client.get("/").content.decode()

    assert '<option value="es" lang="es"' in page
    assert 'lang="de"' not in page
