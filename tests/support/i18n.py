"""The pseudo-language and the compiled catalogues the translation tests share
(tests/test_i18n.py, tests/admin/test_admin_i18n.py, tests/web/test_errors.py).

A pseudo-language, whose catalogue wraps every translated string in ⟦…⟧, renders a
page: whatever visible text is left outside the markers must be data (names, ids,
addresses, links) or a number, never English that skipped translation.
"""

import re
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import django
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.utils import translation
from pytest_django.fixtures import Settings

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
PSEUDO = "qps"
OPEN, CLOSE = "⟦", "⟧"


@pytest.fixture(scope="session")
def compiled() -> None:
    """The real catalogues compiled, as `make test` does (the .mo files are not committed)."""
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is missing: `make test` installs it (.ci/gettext)"
    for po in CATALOGUES:
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run([msgfmt, "--check", "-o", str(mo), str(po)], check=True)
    translation.trans_real._translations = {}  # type: ignore[attr-defined]


@pytest.fixture
def pseudo(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """A language whose catalogue is every msgid of ours and of Django's, wrapped in ⟦…⟧.

    Its folder comes first in LOCALE_PATHS, so it wins over the apps' own catalogues."""
    catalog = Catalog(locale="en", domain="django", fuzzy=False)
    # Ours, Django's core, and the admin's chrome ("Log out", "Save", the filters),
    # which comes from the admin, auth and contenttypes apps' own catalogues.
    django_root = Path(django.__file__).parent
    sources = [LOCALE / "es" / "LC_MESSAGES" / "django.po"]
    sources.append(django_root / "conf/locale/en/LC_MESSAGES/django.po")
    for app in ("admin", "auth", "contenttypes"):
        sources.append(django_root / "contrib" / app / "locale/en/LC_MESSAGES/django.po")
    for source in sources:
        with open(source, "rb") as f:
            for message in read_po(f):
                if not message.id:
                    continue
                if isinstance(message.id, str):
                    wrapped: str | tuple[str, ...] = OPEN + message.id + CLOSE
                else:
                    wrapped = tuple(OPEN + s + CLOSE for s in message.id)
                catalog.add(message.id, wrapped, context=message.context)
    folder = tmp_path / "locale" / PSEUDO / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "django.mo", "wb") as out:
        write_mo(out, catalog)
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]
    settings.LANGUAGES = [*settings.LANGUAGES, (PSEUDO, "Pseudo")]
    translation.trans_real._translations = {}  # type: ignore[attr-defined]
    yield PSEUDO
    translation.trans_real._translations = {}  # type: ignore[attr-defined]


class Visible(HTMLParser):
    """The text a person sees: text nodes, and the attributes a browser shows or reads out."""

    SHOWN_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self.hidden += 1 if tag != "title" else 0
        values = dict(attrs)
        self.parts += [values[a] or "" for a in self.SHOWN_ATTRIBUTES if values.get(a)]
        if tag == "input" and values.get("type") in ("submit", "button"):
            self.parts.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def untranslated(text: str, data: set[str]) -> set[str]:
    """Words left outside the markers that are not data: English that skipped gettext."""
    while True:
        stripped = re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", text)
        if stripped == text:
            break
        text = stripped
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return set(re.findall(r"[^\W\d_]{2,}", text))


def visible(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    return " ".join(parser.parts)


# Not translated on purpose: the brand, a time zone's name, each language's own name.
ALWAYS = {"optout", "UTC"}
