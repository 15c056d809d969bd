"""The licensees' API (docs/licensees.md), with `Authorization: Bearer <token>`:

- GET /api/v1/datasets/<slug>/removals/feed?after=<cursor>&limit=<n>: a page of the
  copy's removal feed, {"removals": [{"flickr_id", "removed_at"}], "cursor", "has_more"}.
- POST /api/v1/datasets/<slug>/acknowledgements {"through": "<cursor>"}: everything
  through the cursor is deleted; {"confirmed", "remaining", "cursor"}.

A missing, wrong or revoked token is a 401; a dataset the token's licensee does not
hold is a 404, the same as one that does not exist; a cursor we did not hand out to
this token for this dataset is a 400. Rate limited per client IP with the other APIs.
"""

import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from optout import licensees
from optout.infra.ratelimit import rate_limit
from optout.models import Licensee, LicenseeDataset

type HoldingView = Callable[[HttpRequest, LicenseeDataset], HttpResponse]

NOT_HELD = "No such dataset."


def _error(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    add_never_cache_headers(response)
    return response


def _unauthorized() -> JsonResponse:
    response = _error("A valid licensee API token is required: Authorization: Bearer <token>.", 401)
    response["WWW-Authenticate"] = 'Bearer realm="optout"'
    return response


def _licensee(request: HttpRequest) -> Licensee | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return licensees.licensee_authenticate(token=token.strip())


def with_holding(view: HoldingView) -> Callable[[HttpRequest, str], HttpResponse]:
    """The token's licensee and its copy of dataset `slug`, or a 401 / 404."""

    @wraps(view)
    def checked(request: HttpRequest, slug: str) -> HttpResponse:
        licensee = _licensee(request)
        if licensee is None:
            return _unauthorized()
        try:
            holding = licensees.holding_find(licensee=licensee, slug=slug)
        except licensees.NotHeld:
            return _error(NOT_HELD, 404)
        return view(request, holding)

    return checked


def _stamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@require_GET
@rate_limit("api", methods=("GET", "HEAD"), json=True)
@with_holding
def feed(request: HttpRequest, holding: LicenseeDataset) -> HttpResponse:
    after = request.GET.get("after") or None
    raw_limit = request.GET.get("limit") or str(licensees.PAGE_DEFAULT)
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= licensees.PAGE_MAX:
        return _error(f"limit is a whole number from 1 to {licensees.PAGE_MAX}.", 400)
    try:
        page = licensees.feed_read(holding=holding, after=after, limit=int(raw_limit))
    except licensees.CursorInvalid as invalid:
        return _error(str(invalid), 400)
    response = JsonResponse(
        {
            "removals": [
                {"flickr_id": flickr_id, "removed_at": _stamp(removed_at)}
                for flickr_id, removed_at in page.removals
            ],
            "cursor": page.cursor,
            "has_more": page.has_more,
        }
    )
    add_never_cache_headers(response)
    return response


@csrf_exempt
@require_POST
@rate_limit("api", json=True)
@with_holding
def acknowledgements(request: HttpRequest, holding: LicenseeDataset) -> HttpResponse:
    try:
        body = json.loads(request.body or b"null")
    except RequestDataTooBig:
        return _error("The body is too large.", 413)
    except (ValueError, UnicodeDecodeError):
        body = None
    through = body.get("through") if isinstance(body, dict) else None
    if not isinstance(through, str) or not through:
        return _error('Send a JSON body like {"through": "<a cursor from the feed>"}.', 400)
    try:
        done = licensees.acknowledgement_record(holding=holding, through=through)
    except licensees.CursorInvalid as invalid:
        return _error(str(invalid), 400)
    response = JsonResponse(
        {"confirmed": done.confirmed, "remaining": done.remaining, "cursor": done.cursor}
    )
    add_never_cache_headers(response)
    return response
