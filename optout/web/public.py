from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from optout.infra.ratelimit import rate_charge, rate_limit
from optout.lookup import LookupProblem, OwnerAnswer, lookup_answer
from optout.models import Dataset


@require_safe
@rate_limit("lookup", methods=("GET", "HEAD"), when=lambda request: "q" in request.GET)
def home(request: HttpRequest) -> HttpResponse:
    """The home page, and the look-up itself at /?q=… so an answer is a link to share."""
    fmt = request.GET.get("format", "")
    if fmt not in ("", "json", "html"):
        message = _("Unknown format “%(format)s”: use json or html.") % {"format": fmt[:20]}
        return _lookup_error(request, message, 400, False)
    as_json = fmt == "json" or (
        not fmt
        and request.get_preferred_type(["text/html", "application/json"]) == "application/json"
    )
    if "q" not in request.GET:
        if as_json:
            message = _("Say what to look up: ?q=<Flickr username, NSID or link>.")
            return _lookup_error(request, message, 400, as_json)
        response = render(request, "optout/home.html", {"datasets": Dataset.objects.all()})
        patch_vary_headers(response, ["Accept"])
        return response
    query = request.GET["q"]
    try:
        answer = lookup_answer(text=query)
    except LookupProblem as problem:
        _charge_for_flickr(request, problem.needed_flickr)
        response = _lookup_error(request, problem.message, problem.status, as_json, query)
        retry_after = getattr(problem, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response
    _charge_for_flickr(request, isinstance(answer, OwnerAnswer) and answer.needed_flickr)
    if as_json:
        response = JsonResponse(answer.as_json())
    else:
        template = (
            "optout/lookup_owner.html"
            if isinstance(answer, OwnerAnswer)
            else "optout/lookup_photo.html"
        )
        response = render(request, template, {"answer": answer, "query": answer.query})
    patch_vary_headers(response, ["Accept"])
    return response


def _charge_for_flickr(request: HttpRequest, needed_flickr: bool) -> None:
    # Flickr's hourly budget is shared by everyone: a look-up that took its word
    # costs the client RATE_LIMIT_LOOKUP_FLICKR_COST units, the one already counted included.
    if needed_flickr:
        extra = settings.RATE_LIMIT_LOOKUP_FLICKR_COST - 1
        rate_charge(scope="lookup", request=request, units=extra)


def _lookup_error(
    request: HttpRequest, message: str, status: int, as_json: bool, query: str = ""
) -> HttpResponse:
    response: HttpResponse
    if as_json:
        response = JsonResponse({"error": message}, status=status)
    else:
        # Echo a bounded query back into the box, so the person can fix it.
        context = {"error": message, "query": "".join(c for c in query[:500] if c.isprintable())}
        response = render(request, "optout/lookup_error.html", context, status=status)
    patch_vary_headers(response, ["Accept"])
    return response
