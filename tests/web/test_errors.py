"""Error pages in the reader's language, JSON under /api/, nothing internal shown."""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from config import urls as site_urls


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a secret-looking internal detail")


def _bad(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a crafted header")


class WithFailures:
    """The site's URLs and error handlers, plus views that fail."""

    urlpatterns = [*site_urls.urlpatterns, path("boom/", _boom), path("bad/", _bad)]
    urlpatterns += [path("api/v1/boom", _boom)]
    handler400 = site_urls.handler400
    handler403 = site_urls.handler403
    handler404 = site_urls.handler404
    handler500 = site_urls.handler500


@pytest.fixture
def failing(settings: object) -> None:
    settings.ROOT_URLCONF = WithFailures  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled", "failing")
@pytest.mark.parametrize(
    ("url", "status", "spanish"),
    [
        ("/no-such-page/", 404, "No hay ninguna página en esta dirección."),
        ("/r/not-a-real-link/cancel/x/", 404, "No hay ninguna página en esta dirección."),
        ("/boom/", 500, "Algo ha fallado por nuestra parte"),
        ("/bad/", 400, "No hemos podido leer esa petición"),
    ],
)
def test_error_pages_are_in_the_readers_language_and_lead_back(
    url: str, status: int, spanish: str
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="es", raise_request_exception=False)
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == status
    assert spanish in page
    assert '<html lang="es">' in page
    assert 'href="/"' in page
    assert "secret-looking" not in page and "Traceback" not in page


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled", "failing")
def test_an_expired_form_says_so_instead_of_djangos_developer_page() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="de", enforce_csrf_checks=True)
    response = client.post("/report/", {"links": "x"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "Dieses Formular ist abgelaufen" in page
    assert "CSRF" not in page and "DEBUG" not in page


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled", "failing")
def test_api_addresses_get_their_errors_as_json() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr", raise_request_exception=False)
    missing = client.get("/api/v1/no-such-thing")
    failed = client.get("/api/v1/boom")
    assert (missing.status_code, failed.status_code) == (404, 500)
    assert missing["Content-Type"] == failed["Content-Type"] == "application/json"
    assert missing.json()["error"].startswith("Il n\u2019y a aucune page à cette adresse.")
    assert "secret-looking" not in failed.content.decode()
