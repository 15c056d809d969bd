"""A browser whose first language is Spanish: every page it meets is in Spanish, the
emails of the request it files are too, and the footer's switcher changes the
language and keeps it. Screenshots land in artifacts/."""

import re
from collections.abc import Callable

import pytest
from django.core import mail
from playwright.sync_api import expect
from pytest_django.fixtures import Settings

from config.settings import csp_config
from devtools.flickr_simulator import FlickrSimulator, RunningSimulator
from optout.models import RemovalRequest
from tests.support.browser import ARTIFACTS, axe_problems, chromium, csp_errors
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.flickr import BEES

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def spanish_setup(
    settings: Settings,
    flickr_sim: FlickrSimulator,
    flickr_server: RunningSimulator,
    compiled: None,
) -> None:
    static_url = f"http://{flickr_server.host}:{flickr_server.port}/static"
    settings.FLICKR_STATIC_URL = static_url
    settings.SECURE_CSP = csp_config(static_url=static_url, oauth_url=flickr_server.oauth_url)
    dif = DatasetFactory(slug="dif", name="Diversity in Faces", release="1.0")
    for n in range(3):
        PhotoFactory(dataset=dif, owner_nsid=BEES.nsid, title=f"Colmena {n}")


def test_a_spanish_browser_sees_spanish_pages_and_gets_spanish_emails(
    live_server: object, spanish_setup: None, run_tasks: Callable[[], list[str]]
) -> None:
    url = str(live_server)
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as browser:
        page = browser.new_context(locale="es-ES").new_page()
        blocked = csp_errors(page)
        page.goto(f"{url}/")
        expect(page.locator("h1")).to_have_text(
            "¿Están tus fotos de Flickr en un conjunto de datos de reconocimiento facial?"
        )
        expect(page.locator("html")).to_have_attribute("lang", "es")
        page.get_by_label(
            "Tu nombre de usuario de Flickr, NSID, enlace a tu perfil o a una foto"
        ).fill("bees")
        page.get_by_role("button", name="Buscar").click()
        expect(page.locator(".result")).to_contain_text(
            "3 de tus fotos están en Diversity in Faces (versión 1.0)"
        )
        page.screenshot(path=str(ARTIFACTS / "spanish-lookup.png"), full_page=True)
        page.get_by_role(
            "button", name="Inicia sesión con Flickr para verlas y pedir que las retiren"
        ).click()
        page.get_by_label("Type a Flickr username or NSID").fill("bees")
        page.get_by_role("button", name="OK, I'll authorize it").click()
        expect(page.get_by_role("heading", name="Tus fotos, bees")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "spanish-my-photos.png"), full_page=True)
        axe = axe_problems(page)
        page.get_by_label("Tu dirección de correo").fill("bea@example.org")
        page.get_by_role("button", name="Pedir la retirada").click()
        expect(page.locator("h1")).to_contain_text(
            re.compile(r"Solicitud \S+: (aprobada|en revisión)")
        )
        expect(page.locator(".facts")).to_contain_text("Fecha límite")
        page.screenshot(path=str(ARTIFACTS / "spanish-status.png"), full_page=True)

        # The footer's switcher: no JavaScript, and the choice stays.
        page.get_by_label("Idioma").select_option("de")
        page.get_by_role("button", name="Cambiar").click()
        expect(page.locator("h1")).to_contain_text(re.compile(r"Antrag \S+:"))
        page.goto(f"{url}/report/")
        expect(page.locator("h1")).to_have_text(
            "Sie sind auf einem Foto, das jemand anderes auf Flickr gestellt hat"
        )
        page.screenshot(path=str(ARTIFACTS / "german-after-switch.png"), full_page=True)
        assert blocked == []
    assert axe == []

    removal = RemovalRequest.objects.get()
    assert removal.language == "es"
    while run_tasks():
        pass
    received = next(m for m in mail.outbox if removal.public_id in m.subject)
    assert received.subject == (
        f"Tenemos tu solicitud de retirada {removal.public_id}: confirma tu correo, por favor"
    )
    assert "Confirma esta dirección de correo" in str(received.body)
