"""The error pages, in the reader's language (Django's own are English only).

Wired in config/urls.py (handler400/403/404/500) and by CSRF_FAILURE_VIEW. An
address under /api/ gets the JSON APIs' shape, `{"error": "…"}`, so a client
never has to read HTML. The pages are rendered without the request: no session,
no database, nothing that could fail again for the same reason, and no message
meant for the next page used up by an error.
"""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


def _answer(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"error": message}, status=status)
    # Rendered without the request: its context processors would read the session
    # and show (and use up) messages meant for the next real page.
    context = {"title": title, "message": message, "status": status}
    return HttpResponse(render_to_string("optout/error.html", context), status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(
        request,
        400,
        _("We could not read that request"),
        _("Your browser sent something we could not understand. Please go back and try again."),
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(
        request,
        403,
        _("This page is not open to you"),
        _("You do not have access to this page."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # The reason (a missing cookie, a bad token) is for the log, not for the page.
    log.info("CSRF check failed for %s: %s", request.path, reason)
    return _answer(
        request,
        403,
        _("This form has expired"),
        _(
            "For your safety, a form works only for a while and only with cookies allowed. "
            "Please go back, reload the page and send the form again."
        ),
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(
        request,
        404,
        _("Page not found"),
        _(
            "There is no page at this address. If you followed a link from one of our "
            "emails, please check that the whole link was copied."
        ),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _answer(
        request,
        500,
        _("Something went wrong on our side"),
        _(
            "We could not finish this page, and we have logged the error. Please try "
            "again in a few minutes."
        ),
    )
