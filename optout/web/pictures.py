"""/picture/: "Do you have the picture itself?" The look-up by upload.

The upload is read in memory only and forgotten with the request
(optout/infra/uploads.py). The view is csrf_exempt because Django's CSRF
check would read the body, with the default handlers, before the view could
swap them; the token is checked right after, by `_checked`.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from optout.infra.ratelimit import rate_limit
from optout.pictures import (
    MAX_UPLOAD_BYTES,
    PictureAnswer,
    PictureProblem,
    TooLarge,
    UploadBroken,
    picture_search,
    picture_upload_read,
)

TEMPLATE = "optout/picture.html"


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("picture")
def picture(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    try:
        data = picture_upload_read(request)
    except (TooLarge, UploadBroken) as problem:
        # Refused before the form is read (too large), or a form that does not parse:
        # no token to check, and nothing done.
        return _page(request, problem=problem)
    except PictureProblem as problem:
        return _checked(request, problem=problem)
    return _checked(request, data=data)


@csrf_protect
def _checked(
    request: HttpRequest, *, data: bytes | None = None, problem: PictureProblem | None = None
) -> HttpResponse:
    if problem is not None or data is None:
        return _page(request, problem=problem)
    try:
        answer = picture_search(data=data)
    except PictureProblem as found:
        return _page(request, problem=found)
    return _page(request, answer=answer)


def _page(
    request: HttpRequest,
    *,
    answer: PictureAnswer | None = None,
    problem: PictureProblem | None = None,
) -> HttpResponse:
    context = {
        "answer": answer,
        "problem": problem,
        "max_megabytes": MAX_UPLOAD_BYTES // (1024 * 1024),
        "report_url": f"{reverse('report')}?ref={answer.ref}" if answer and answer.ref else "",
    }
    return render(request, TEMPLATE, context, status=problem.status if problem else 200)
