"""Every page and email in the reader's language (issue 16).

- The catalogues are complete: no untranslated or fuzzy entry in any language.
- A pseudo-language, whose catalogue wraps every translated string in ⟦…⟧, renders
  every public page and every email: whatever visible text is left outside the
  markers must be data (names, ids, addresses, links) or a number, never English
  that skipped translation.
- A Spanish browser gets Spanish pages, the switcher keeps another language in a
  cookie, and a request's emails are written in the language it was filed in.
"""

import io
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from PIL import Image
from pytest_django.fixtures import Settings

from optout import licensees, secret_links, workflow
from optout.infra.ratelimit import Refusal
from optout.models import Dataset, FlickrSignal, Photo, RemovalRequest
from optout.notifications import emails, wording
from optout.recheck import signals
from optout.requests import filing, review
from optout.web import errors
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory
from tests.support.flickr import BEES, sign_in
from tests.support.i18n import ALWAYS, CATALOGUES, CLOSE, OPEN, untranslated, visible
from tests.support.licensees import licensee_register, removal_complete

S = RemovalRequest.Status


def test_every_language_has_a_complete_catalogue_without_fuzzy_entries() -> None:
    assert {po.parts[-3] for po in CATALOGUES} == {"es", "fr", "de", "pt_BR"}
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is missing: `make test` installs it (.ci/gettext)"
    for po in CATALOGUES:
        done = subprocess.run(
            [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(po)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        # "354 translated messages." and nothing about fuzzy or untranslated ones.
        assert re.fullmatch(r"\d+ translated messages?\.", done.stderr.strip()), (po, done.stderr)


@pytest.fixture
def site(db: None, flickr_sim: object) -> dict[str, object]:
    dif = DatasetFactory(slug="dif", name="Diversity in Faces", release="1.0", source="YFCC")
    hives = [
        PhotoFactory(dataset=dif, owner_nsid=BEES.nsid, title=f"Hive {n}", flickr_id=7_000 + n)
        for n in range(3)
    ]
    return {"dataset": dif, "photos": hives}


@pytest.mark.django_db(transaction=False)
def test_no_public_page_shows_english_that_skipped_translation(
    pseudo: str, site: dict[str, object], settings: Settings
) -> None:
    settings.PHOTOS_PER_PAGE = 2
    client = Client(HTTP_ACCEPT_LANGUAGE=pseudo)
    data = {
        "Diversity in Faces",
        "YFCC",
        "bees",
        "Bea Bees",
        BEES.nsid,
        "Hive",
        "R-T",
        "not-a-link",
    }
    data |= {name for _, name in settings.LANGUAGES} | ALWAYS
    data |= {"Português", "Brasil", "Español", "Français", "Deutsch", "English", "Pseudo"}
    pages: dict[str, str] = {}

    def get(name: str, path: str, **params: str) -> None:
        response = client.get(path, params)
        assert response.status_code < 500, (name, response.status_code)
        pages[name] = response.content.decode()

    get("home", "/")
    get("look-up, owner", "/", q="bees")
    get("look-up, nobody", "/", q="12345678@N09")
    get("look-up, photo", "/", q="https://www.flickr.com/photos/bees/7000/")
    get("look-up, unknown photo", "/", q="https://www.flickr.com/photos/bees/9999/")
    get("look-up, problem", "/", q="https://example.org/x")
    get("picture", "/picture/")
    png = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(png, format="PNG")
    png.seek(0)
    png.name = "teal.png"
    pages["picture, not found"] = client.post("/picture/", {"picture": png}).content.decode()
    get("report form", "/report/")
    pages["report form, problems"] = client.post(
        "/report/", {"links": "not-a-link", "email": "x"}
    ).content.decode()
    filed = client.post(
        "/report/",
        {
            "links": "https://www.flickr.com/photos/bees/7001/",
            "relation": "I am in it",
            "statement": "Please",
            "email": "sam@example.org",
        },
        follow=True,
    )
    pages["report filed"] = filed.content.decode()
    data |= {"sam@example.org", "I am in it", "Please"}
    get("sign-in", "/signin/flickr/")
    get("sign-in problem", "/signin/flickr/callback/", oauth_token="x", oauth_verifier="y")

    sign_in(client)
    get("your photos", "/me/photos/")
    filed_page = client.post(
        "/me/photos/", {"scope": "all", "email": "bea@example.org", "action": "file"}, follow=True
    )
    pages["status, just filed"] = filed_page.content.decode()
    data |= {"bea@example.org"}

    removal = RemovalRequest.objects.get(email="bea@example.org")
    for status_name, moves in (("approved", []), ("completed", ["deleting", "completed"])):
        token = _status_token(removal)
        if moves:
            for to in moves:
                workflow.request_move(
                    removal=removal, to=to, actor="system", why="Deletion started."
                )
            Photo.objects.filter(requestphoto__request=removal).update(state=Photo.State.REMOVED)
        get(f"status, {status_name}", f"/r/{token}/")
    shown = RemovalRequest.objects.get(email="sam@example.org")
    get("status, shown in photo", f"/r/{_status_token(shown)}/")
    rejected = RemovalRequestFactory(photos=site["photos"], status=S.NEEDS_REVIEW)
    review.request_reject(removal=rejected, actor="maintainer:m", code="not_shown")
    get("status, rejected", f"/r/{_status_token(rejected)}/")
    confirm = _confirm_token(shown)
    get("confirm", f"/confirm/{confirm}/")
    pages["confirmed"] = client.post(f"/confirm/{confirm}/").content.decode()
    get("confirm link used", f"/confirm/{confirm}/")

    request = RequestFactory().get("/")
    refusal = Refusal(limit=60, retry_after=12)
    with translation.override(pseudo):
        pages["rate limited"] = render_to_string(
            "optout/rate_limited.html", {"refusal": refusal}, request=request
        )
        pages["server error"] = errors.server_error(request).content.decode()
        pages["bad request"] = errors.bad_request(request).content.decode()
    get("not found", "/no-such-page/")
    csrf = Client(HTTP_ACCEPT_LANGUAGE=pseudo, enforce_csrf_checks=True)
    pages["form expired"] = csrf.post("/report/", {"links": "x"}).content.decode()

    data |= {p.public_id for p in RemovalRequest.objects.all()}
    problems = {name: untranslated(visible(html), data) for name, html in pages.items()}
    left = {name: sorted(words) for name, words in problems.items() if words}
    assert not left, "\n".join(f"{name}: {words}" for name, words in left.items())
    assert all(OPEN in html for html in pages.values())


def _status_token(removal: RemovalRequest) -> str:
    return secret_links.link_mint(removal=removal, purpose="status")


def _confirm_token(removal: RemovalRequest) -> str:
    return secret_links.link_mint(removal=removal, purpose="confirm")


@pytest.mark.django_db
def test_no_email_has_english_that_skipped_translation(
    pseudo: str, site: dict[str, object]
) -> None:
    photos = site["photos"]
    assert isinstance(photos, list)
    data = {"Diversity in Faces", "bees", BEES.nsid, "Demo Lab", "dif", "optout_sync.py"}
    data |= ALWAYS | {"cron", "POST", "API", "CSV"}
    rendered: dict[str, str] = {}
    for kind in emails.KINDS:
        removal = RemovalRequestFactory(
            photos=photos,
            owner_nsid=BEES.nsid,
            flickr_username="bees",
            future_releases=True,
            reject_reason="We could not see you in the photos you named. Blurry.",
            language=pseudo,
        )
        if kind.startswith("shown"):
            RemovalRequest.objects.filter(pk=removal.pk).update(kind=RemovalRequest.Kind.SHOWN)
        if kind in emails.ASKS_FOR_CONFIRMATION:
            RemovalRequest.objects.filter(pk=removal.pk).update(email_confirmed_at=None)
        if kind == "completed":
            Photo.objects.filter(pk__in=[p.pk for p in photos]).update(
                state=Photo.State.REMOVED, removed_by=removal
            )
        if kind == "flickr_signal":
            # Seven signals: five listed, each in the reader's language, then "2 more".
            findings = [signals.no_cv_finding(7_000 + n) for n in range(6)]
            findings.append(signals.gone_finding(7_100))
            for finding in findings:
                FlickrSignal.objects.create(
                    request=removal,
                    kind=finding.kind,
                    flickr_id=finding.flickr_id,
                    detail=finding.detail,
                )
        removal.refresh_from_db()
        data |= {removal.public_id, "Blurry"}
        subject, text, html = emails.render(kind, emails._context(removal, kind), pseudo)
        rendered[kind] = f"{subject}\n{text}\n{visible(html)}"
    copies = [
        {
            "dataset": "Diversity in Faces",
            "slug": "dif",
            "waiting": 1234,
            "waiting_days": 3,
            "overdue": True,
            "feed_url": "https://example.org/feed",
        }
    ]
    for kind in ("licensee_digest", "licensee_reminder"):
        context = {
            "licensee": {"name": "Demo Lab"},
            "copies": copies,
            "waiting": 1234,
            "ack_days": 14,
            "api_url": "https://example.org/api",
        }
        subject, text, html = emails.render(kind, context, pseudo)
        rendered[kind] = f"{subject}\n{text}\n{visible(html)}"
    problems = {kind: untranslated(text, data) for kind, text in rendered.items()}
    assert {kind: words for kind, words in problems.items() if words} == {}


@pytest.mark.django_db
def test_a_spanish_browser_gets_spanish_pages_with_spanish_numbers_and_dates(
    compiled: None, site: dict[str, object]
) -> None:
    Dataset.objects.filter(slug="dif").update(photo_count=1234)
    client = Client(HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5")
    home = client.get("/")
    page = home.content.decode()
    assert home["Content-Language"] == "es"
    assert '<html lang="es">' in page
    assert "¿Están tus fotos de Flickr en un conjunto de datos de reconocimiento facial?" in page
    assert "1.234 fotos" in page  # as in Spain (config/formats/es; Django's own uses a space)
    assert "Accept-Language" in home["Vary"]
    owner = client.get("/", {"q": "bees"}).content.decode()
    assert "3 de tus fotos están en Diversity in Faces (versión 1.0)" in owner

    removal = RemovalRequestFactory(photos=site["photos"], deadline=timezone.now())
    RemovalRequest.objects.filter(pk=removal.pk).update(
        deadline=datetime(2026, 12, 3, 12, tzinfo=UTC)
    )
    status = client.get(f"/r/{_status_token(removal)}/").content.decode()
    assert "3 de diciembre de 2026" in status
    assert "Fecha límite" in status


@pytest.mark.django_db
def test_the_switcher_changes_the_language_and_keeps_it_in_a_cookie(
    compiled: None, site: dict[str, object]
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    page = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in page and '<option value="de"' in page
    switched = client.post(
        "/i18n/setlang/", {"language": "de"}, HTTP_REFERER="http://testserver/report/"
    )
    assert switched.status_code == 302 and switched["Location"] == "http://testserver/report/"
    assert client.cookies["optout_language"].value == "de"
    again = client.get("/").content.decode()
    assert "Sind Ihre Flickr-Fotos in einem Datensatz für Gesichtserkennung?" in again
    assert '<option value="de" lang="de" selected>Deutsch</option>' in again


@pytest.mark.django_db
def test_a_request_remembers_its_language_and_its_emails_are_written_in_it(
    compiled: None, site: dict[str, object], run_tasks: object
) -> None:
    with translation.override("pt-br"):
        filed = filing.request_create(
            identity=filing.Identity(nsid=BEES.nsid, username="bees"),
            email="bea@example.org",
            photo_ids=None,
            future_releases=False,
            language=translation.get_language(),
        )
    removal = filed.removal
    assert removal.language == "pt-br"
    # A worker has no visitor, so the site's language is active: the email's comes
    # from the request.
    with translation.override("en"):
        emails.email_deliver(request_id=removal.pk, kind="received")
    (message,) = mail.outbox
    assert message.subject == (
        f"Recebemos o seu pedido de remoção {removal.public_id}: confirme o seu e-mail, por favor"
    )
    assert "Recebemos o seu pedido" in str(message.body)
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert '<html lang="pt-br">' in str(html)
    assert filing.language_of("es-MX") == "es"
    assert filing.language_of("xx") == "en"
    assert RemovalRequestFactory().language == "en"


@pytest.mark.django_db
def test_the_json_api_keeps_english_field_names_and_translates_only_the_error(
    compiled: None, site: dict[str, object]
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    answer = client.get("/", {"q": "https://example.org/x", "format": "json"})
    body = answer.json()
    assert set(body) >= {"error"}
    assert body["error"].startswith("C\u2019est un lien vers example.org, pas vers Flickr.")
    found = client.get("/", {"q": "bees", "format": "json"}).json()
    assert "datasets" in found


@pytest.mark.django_db
def test_a_licensee_gets_its_digest_in_its_own_language(
    compiled: None, run_tasks: Callable[[], list[str]], django_capture_on_commit_callbacks: Callable
) -> None:
    dif = DatasetFactory(slug="dif", name="Diversity in Faces")
    lab = licensee_register([dif], name="Labor", contacts=["daten@labor.example"], language="de")
    removal_complete([PhotoFactory(dataset=dif) for _ in range(2)])

    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        licensees.digests_send()
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        run_tasks()

    (digest,) = mail.outbox
    assert lab.licensee.language == "de"
    assert digest.subject == "2 Entfernungen für Ihre Kopie (Labor)"
    with pytest.raises(licensees.LicenseeInvalid, match="No language 'xx'"):
        licensee_register([dif], language="xx")


def test_every_signal_on_flickr_is_told_in_the_readers_language(pseudo: str) -> None:
    # The sentences recheck/signals.py stores, as wording.py must recognise them.
    findings = [
        signals.no_cv_finding(7001),
        signals.license_finding(7002, 2, "All Rights Reserved"),
        signals.license_finding(7003, 0, ""),
        signals.gone_finding(7004),
        signals.account_finding(),
    ]
    with translation.override(pseudo):
        shown = [wording.why_in_language(finding.detail) for finding in findings]
    assert all(text.startswith(OPEN) and text.endswith(CLOSE) for text in shown), shown
    assert "7002" in shown[1] and "All Rights Reserved" in shown[1]
