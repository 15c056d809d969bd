"""The bulk checks: is this photo removed, or scheduled for removal?

- POST /api/v1/check: JSON in, per photo: datasets, removed, scheduled for removal.
- POST /api/v2/query/urls/: Spawning's opt-out API shape (text/plain URLs in,
  {"urls": [{"url", "optOut", "optIn"}]} out), as its `datadiligence` client speaks it.
"""

import json
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from optout import lookup
from optout.infra.ratelimit import rate_limit, rate_take, refusal_response
from optout.models import CLOSED_STATUSES, Photo, RemovalRequest, RequestPhoto

# Requests that schedule nothing: closed ones, and those whose email nobody has
# confirmed yet (anyone can type a form; an unconfirmed one must not opt a photo out).
NOT_SCHEDULING = CLOSED_STATUSES | {RemovalRequest.Status.PENDING_EMAIL}
# A person shown in a photo proves nothing by confirming an address: their request
# schedules its photos only once a maintainer approved it (a completed one's photos
# answer "removed"). An owner's counts at once: the Flickr sign-in proved ownership.
SHOWN_SCHEDULING = frozenset(
    {RemovalRequest.Status.APPROVED, RemovalRequest.Status.DELETING, RemovalRequest.Status.FAILED}
)
SCHEDULING = Q(request__kind=RemovalRequest.Kind.SHOWN, request__status__in=SHOWN_SCHEDULING) | (
    ~Q(request__kind=RemovalRequest.Kind.SHOWN) & ~Q(request__status__in=NOT_SCHEDULING)
)
MAX_CHECK = 10_000
# Flickr's photo links are well under this; a longer item is answered as unreadable
# without being parsed, so an item's length cannot make a call cost more.
MAX_ITEM_CHARS = 300
# Ids per IN (…) query: few round trips, well under SQLite's 32,766 parameters.
CHUNK = 5000


@dataclass
class PhotoAnswer:
    datasets: list[dict[str, object]] = field(default_factory=list)
    removed: bool = False
    scheduled: bool = False


# The shape a dataset's URL column holds (Flickr's static image URLs), read
# without the full parser, which checks every character: at 10,000 lines a call
# that cost adds up (docs/performance.md). Anything else still goes through
# lookup.query_parse.
_FAST_IMAGE_URL = re.compile(
    r"https?://(?:live|farm\d{1,3}|c\d{1,3})\.staticflickr\.com/(?:\d{1,3}/)?\d{1,6}/"
    r"(\d{1,19})_[0-9a-zA-Z]{1,40}(?:_[0-9a-zA-Z]{1,10})?\.(?:jpe?g|png|gif)",
    re.ASCII | re.IGNORECASE,
)


def photo_id_of(text: str) -> int:
    """A photo id from an id or any Flickr photo link; lookup.QueryInvalid otherwise."""
    if len(text) > MAX_ITEM_CHARS:
        raise lookup.QueryInvalid(
            f"Longer than {MAX_ITEM_CHARS} characters: no Flickr photo link is that long."
        )
    text = text.strip()
    fast = _FAST_IMAGE_URL.fullmatch(text)
    if text.isascii() and text.isdigit():
        photo_id = int(text)
    elif fast:
        photo_id = int(fast[1])
    else:
        query = lookup.query_parse(text=text)
        if not isinstance(query, lookup.PhotoQuery):
            raise lookup.QueryInvalid("This names a Flickr account, not one photo.")
        photo_id = query.photo_id
    if not 0 < photo_id <= lookup.MAX_PHOTO_ID:
        raise lookup.QueryInvalid("Flickr photo ids are whole numbers from 1.")
    return photo_id


def photos_answer(photo_ids: set[int]) -> dict[int, PhotoAnswer]:
    """For each id: the datasets it is in, and whether it is removed or scheduled for removal."""
    answers: dict[int, PhotoAnswer] = {}
    ordered = sorted(photo_ids)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        scheduled = set(
            RequestPhoto.objects.filter(SCHEDULING, photo__flickr_id__in=chunk).values_list(
                "photo_id", flat=True
            )
        )
        rows = (
            Photo.objects.filter(flickr_id__in=chunk)
            .order_by("flickr_id", "dataset__slug")
            .values_list("pk", "flickr_id", "dataset__slug", "dataset__release", "state")
        )
        for pk, flickr_id, slug, release, state in rows:
            answer = answers.setdefault(flickr_id, PhotoAnswer())
            removed = state == Photo.State.REMOVED
            pending = not removed and pk in scheduled
            answer.datasets.append(
                {
                    "dataset": slug,
                    "release": release,
                    "removed": removed,
                    "scheduled_for_removal": pending,
                }
            )
            answer.removed |= removed
            answer.scheduled |= pending
    return answers


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _too_big(request: HttpRequest) -> JsonResponse | None:
    """A 413 for a body over API_CHECK_MAX_BODY_BYTES, told by its length before it is read.

    Below Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which is for every view: a check's
    cost grows with its body, and MAX_CHECK links fit in far less.
    """
    limit = settings.API_CHECK_MAX_BODY_BYTES
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    if size <= limit:
        return None
    return _error(
        f"The body is {size:,} bytes; these APIs take at most {limit:,} bytes a call. "
        "Send fewer photos per call.",
        413,
    )


def _items_refused(request: HttpRequest, items: int) -> HttpResponse | None:
    """A 429 when this call's items do not fit in what the client has left this minute."""
    refusal = rate_take(scope="api_items", request=request, units=items)
    return refusal_response(request, refusal, json=True) if refusal else None


@csrf_exempt
@require_POST
@rate_limit("api", json=True)
def check(request: HttpRequest) -> HttpResponse:
    if too_big := _too_big(request):
        return too_big
    try:
        body = json.loads(request.body or b"null")
    except RequestDataTooBig:
        return _error("The body is too large.", 413)
    except RecursionError:
        return _error(
            'The JSON is nested too deeply. Send a JSON body like {"photos": ["5123456789"]}.'
        )
    except (ValueError, UnicodeDecodeError):
        return _error(
            'Send a JSON body like {"photos": ["5123456789", "https://flic.kr/p/7Afjsu"]}.'
        )
    photos = body.get("photos") if isinstance(body, dict) else None
    if not isinstance(photos, list) or not all(isinstance(p, str | int) for p in photos):
        return _error('"photos" must be a list of photo ids or Flickr photo links.')
    if len(photos) > MAX_CHECK:
        return _error(f"At most {MAX_CHECK:,} photos per call; this one has {len(photos):,}.")
    if refused := _items_refused(request, len(photos)):
        return refused
    parsed: list[tuple[str, int | None, str]] = []
    for item in photos:
        text = str(item)
        try:
            parsed.append((text, photo_id_of(text), ""))
        except lookup.QueryInvalid as invalid:
            parsed.append((text, None, invalid.message))
    answers = photos_answer({pid for _, pid, _ in parsed if pid is not None})
    results: list[dict[str, object]] = []
    for text, pid, problem in parsed:
        if pid is None:
            results.append({"input": text, "error": problem})
            continue
        answer = answers.get(pid, PhotoAnswer())
        results.append(
            {
                "input": text,
                "photo_id": pid,
                "in_datasets": answer.datasets,
                "removed": answer.removed,
                "scheduled_for_removal": answer.scheduled,
            }
        )
    return JsonResponse({"results": results})


@csrf_exempt
@require_POST
@rate_limit("api", json=True)
def spawning_query_urls(request: HttpRequest) -> HttpResponse:
    if too_big := _too_big(request):
        return too_big
    try:
        text = request.body.decode("utf-8")
    except RequestDataTooBig:
        return _error("The body is too large.", 413)
    except UnicodeDecodeError:
        return _error("Send the URLs as UTF-8 text, one per line.")
    lines = [line.rstrip("\r") for line in text.split("\n")] if text else []
    if len(lines) > MAX_CHECK:
        return _error(f"At most {MAX_CHECK:,} URLs per call; this one has {len(lines):,}.")
    if refused := _items_refused(request, len(lines)):
        return refused
    ids: list[int | None] = []
    for line in lines:
        try:
            ids.append(photo_id_of(line) if line.strip() else None)
        except lookup.QueryInvalid:
            ids.append(None)  # not a Flickr photo: nothing of ours to opt out
    answers = photos_answer({pid for pid in ids if pid is not None})
    urls = []
    for line, pid in zip(lines, ids, strict=True):
        answer = answers.get(pid) if pid is not None else None
        opted_out = bool(answer and (answer.removed or answer.scheduled))
        urls.append({"url": line, "optOut": opted_out, "optIn": False})
    return JsonResponse({"urls": urls})
