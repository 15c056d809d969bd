"""The Jinja2 environment for the public pages: templates/base.html and templates/optout/.

Why Jinja2 there: the look-up is the busiest page and is measured against a
trivial view (bench/lookup_bench.py). Rendering was the largest part of its
Python time with Django's template language; Jinja2 compiles templates to
Python and renders the same HTML with much less CPU (docs/performance.md). The
admin and the emails stay on Django's template language: nothing there is hot.

The pages keep their names (views render "optout/home.html" as before); the
Jinja2 engine comes first in TEMPLATES and answers only for these names, so
"admin/..." and "emails/..." fall through to Django's engine.

Autoescaping is always on, as in Django's templates. What the pages get
besides Jinja2's own: `url(name, *args)` and `static(path)` as globals,
`url_or_empty(name)` (as `{% url ... as x %}`: empty when the route is not
there), and Django's `pluralize` and `date` filters (`date("DATE_FORMAT")` in
the current language's format).

Translation: Jinja2's i18n extension on Django's gettext, newstyle, so
`{{ _("...", name=x) }}` and `{% trans %}` blocks escape what they put in and
keep the translated text as written. In a plural, the count (`count` or `num`)
is shown with the language's digit grouping ("1.234 fotos"), and `|number`
does the same for any count shown outside one. `get_language()`, `languages()`
and `language_name()` serve the page's `lang` and the footer's switcher; they
read the settings when the page renders (the environment lives for the process). As
in Django's templates, a missing variable renders as nothing, in DEBUG too, and
a template's final newline is kept, so the HTML is byte for byte what Django's
engine made of the same page.
"""

import functools
from collections.abc import Callable, Iterable
from datetime import date as Date
from datetime import datetime
from decimal import Decimal
from typing import Any

import jinja2
import jinja2.runtime
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaultfilters
from django.templatetags.static import static as django_static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import formats, translation

# ignore[attr-defined]: Django has template_localtime; django-stubs 6.1.2 leaves it out.
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from markupsafe import Markup

PUBLIC_PAGES = "optout/"
PUBLIC_BASE = "base.html"


class PublicPagesLoader(jinja2.BaseLoader):
    """Serves base.html and optout/… only; any other name is Django's engine's to find."""

    def __init__(self, inner: jinja2.BaseLoader) -> None:
        self.inner = inner

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template != PUBLIC_BASE and not template.startswith(PUBLIC_PAGES):
            raise jinja2.TemplateNotFound(template)
        return self.inner.get_source(environment, template)


# Every page asks for the same few URLs (the home page, sign-in, the style
# sheet), and building them again on every page showed in the look-up's CPU.
# They depend only on the URLconf, the script prefix and the static files
# manifest, which are part of the key or fixed for the process (tests that
# change them clear it).
@functools.cache
def _reverse(urlconf: str | None, prefix: str, name: str, args: tuple[object, ...]) -> str:
    return reverse(name, args=args, urlconf=urlconf)


@functools.cache
def _static(prefix: str, path: str) -> str:
    return django_static(path)


def url(name: str, *args: object) -> str:
    return _reverse(get_urlconf(), get_script_prefix(), name, args)


def url_or_empty(name: str, *args: object) -> str:
    try:
        return url(name, *args)
    except NoReverseMatch:
        return ""


def static(path: str) -> str:
    return _static(get_script_prefix(), path)


@receiver(setting_changed)
def _urls_forget(**kwargs: object) -> None:
    _reverse.cache_clear()
    _static.cache_clear()


def pluralize(value: object, arg: str = "s") -> str:
    return defaultfilters.pluralize(value, arg)


def date(value: datetime | Date | None, fmt: str | None = None) -> str:
    # Django's engine shows aware datetimes in the current time zone before
    # its date filter sees them; do the same.
    return defaultfilters.date(template_localtime(value), fmt)


def number(value: object) -> str:
    """A count in the current language: 1,234 / 1.234 / 1 234."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    return formats.number_format(value, use_l10n=True, force_grouping=True)


# The names a plural's count goes by: Jinja's `num` for ngettext(), and `count` in
# `{% trans count=n %}`. Only the count is grouped: other numbers in a sentence
# may be ids ("photo 12345678901"), which must stay as they are.
COUNT_NAMES = ("num", "count")


def _render(context: jinja2.runtime.Context, text: str, variables: dict[str, Any]) -> str | Markup:
    # As Jinja2's newstyle gettext: the translation is trusted markup (the catalogue is
    # ours), the variables are escaped by Markup's %, and a literal % is written %%.
    rv: str | Markup = Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704
    return rv % variables


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str, **variables: Any) -> str | Markup:
    return _render(context, translation.gettext(message), variables)


@jinja2.pass_context
def _ngettext(
    context: jinja2.runtime.Context, singular: str, plural: str, n: int, **variables: Any
) -> str | Markup:
    variables.setdefault("num", n)
    shown = {k: number(v) if k in COUNT_NAMES else v for k, v in variables.items()}
    return _render(context, translation.ngettext(singular, plural, n), shown)


@jinja2.pass_context
def _pgettext(
    context: jinja2.runtime.Context, where: str, message: str, **variables: Any
) -> str | Markup:
    return _render(context, translation.pgettext(where, message), variables)


@jinja2.pass_context
def _npgettext(
    context: jinja2.runtime.Context,
    where: str,
    singular: str,
    plural: str,
    n: int,
    **variables: Any,
) -> str | Markup:
    variables.setdefault("num", n)
    shown = {k: number(v) if k in COUNT_NAMES else v for k, v in variables.items()}
    return _render(context, translation.npgettext(where, singular, plural, n), shown)


def dataset_label(name: str, release: str = "") -> str:
    """ "Diversity in Faces (release 1.0)", in the page's language; the name alone without one."""
    if not release:
        return name
    return translation.gettext("%(name)s (release %(release)s)") % {
        "name": name,
        "release": release,
    }


def dataset_list(datasets: Iterable[Any]) -> str:
    """Each dataset's label, comma-separated: "We cover A (release 1.0), B"."""
    labels = []
    for d in datasets:
        get = d.get if isinstance(d, dict) else functools.partial(getattr, d)
        labels.append(dataset_label(get("name", ""), get("release", "") or ""))
    return ", ".join(labels)


def language_name(code: str) -> str:
    return dict(settings.LANGUAGES).get(code, code)


def languages() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


def environment(**options: Any) -> jinja2.Environment:
    options["loader"] = PublicPagesLoader(options["loader"])
    options["undefined"] = jinja2.Undefined
    options["keep_trailing_newline"] = True
    options.pop("autoescape", None)
    extensions = [*options.pop("extensions", ()), "jinja2.ext.i18n"]
    env = jinja2.Environment(autoescape=True, extensions=extensions, **options)
    # Whitespace inside {% trans %} folds to one space, as `pybabel extract` is told too
    # (babel.cfg), so the catalogue's msgids match what the page asks for.
    env.policies["ext.i18n.trimmed"] = True
    # What install_gettext_callables(newstyle=True) installs, but with our ngettext,
    # which shows the count grouped in the page's language.
    env.globals.update(
        gettext=_gettext,
        _=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.globals.update(
        url=url,
        url_or_empty=url_or_empty,
        static=static,
        language_name=language_name,
        dataset_label=dataset_label,
        dataset_list=dataset_list,
        get_language=translation.get_language,
        languages=languages,
    )
    env.filters.update(pluralize=pluralize, date=date, number=number)
    return env
