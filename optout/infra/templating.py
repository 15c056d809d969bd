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
there), and Django's `pluralize` and `date` filters. As
in Django's templates, a missing variable renders as nothing, in DEBUG too, and
a template's final newline is kept, so the HTML is byte for byte what Django's
engine made of the same page.
"""

import functools
from collections.abc import Callable
from datetime import date as Date
from datetime import datetime
from typing import Any

import jinja2
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaultfilters
from django.templatetags.static import static as django_static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# ignore[attr-defined]: Django has template_localtime; django-stubs 6.1.2 leaves it out.
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

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


def environment(**options: Any) -> jinja2.Environment:
    options["loader"] = PublicPagesLoader(options["loader"])
    options["undefined"] = jinja2.Undefined
    options["keep_trailing_newline"] = True
    options.pop("autoescape", None)
    env = jinja2.Environment(autoescape=True, **options)
    env.globals.update(url=url, url_or_empty=url_or_empty, static=static)
    env.filters.update(pluralize=pluralize, date=date)
    return env
