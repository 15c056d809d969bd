"""The downstream API: public removal lists per dataset, and bulk checks.

- GET /datasets/<slug>/removals.csv|.json: every removed photo, streamed, with an ETag.
- POST /api/v1/check: JSON in, per photo: datasets, removed, scheduled for removal.
- POST /api/v2/query/urls/: Spawning's opt-out API shape (text/plain URLs in,
  {"urls": [{"url", "optOut", "optIn"}]} out), as its `datadiligence` client speaks it.
"""

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import RequestDataTooBig
from django.db.models import Count, Max
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import condition, require_GET, require_POST, require_safe

from optout import lookup
from optout.models import CLOSED_STATUSES, Dataset, Photo, RemovalRequest, RequestPhoto
from optout.ratelimit import rate_limit

# Requests that schedule nothing: closed ones, and those whose email nobody has
# confirmed yet (anyone can type a form; an unconfirmed one must not opt a photo out).
NOT_SCHEDULING = CLOSED_STATUSES | {RemovalRequest.Status.PENDING_EMAIL}
MAX_CHECK = 10_000
# Ids per IN (…) query: few round trips, well under SQLite's 32,766 parameters.
CHUNK = 5000
STREAM_CHUNK = 5000
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


# Removal lists


def removals_rows(dataset: Dataset) -> Iterator[tuple[int, str, str]]:
    """(photo id, removal date, release) of every removed photo, in id order, in constant memory."""
    rows = (
        Photo.objects.filter(dataset=dataset, state=Photo.State.REMOVED)
        .order_by("flickr_id")
        .values_list("flickr_id", "removed_at", "release")
    )
    for flickr_id, removed_at, release in rows.iterator(chunk_size=STREAM_CHUNK):
        day = removed_at.date().isoformat() if removed_at else ""
        yield flickr_id, day, release or dataset.release


def _batches(lines: Iterator[str], size: int = 1000) -> Iterator[str]:
    """Lines joined into blocks: one write per block, not per row, on the socket."""
    block: list[str] = []
    for line in lines:
        block.append(line)
        if len(block) >= size:
            yield "".join(block)
            block = []
    if block:
        yield "".join(block)


def removals_csv(dataset: Dataset) -> Iterator[str]:
    # Ids and ISO dates need no CSV quoting; a release might.
    def lines() -> Iterator[str]:
        yield "photo_id,removed_on,release\r\n"
        for flickr_id, day, release in removals_rows(dataset):
            yield f"{flickr_id},{day},{_csv_field(release)}\r\n"

    return _batches(lines())


def _csv_field(value: str) -> str:
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def removals_json(dataset: Dataset) -> Iterator[str]:
    def lines() -> Iterator[str]:
        head = {"dataset": dataset.slug, "name": dataset.name, "release": dataset.release}
        yield json.dumps(head)[:-1] + ', "removals": ['
        separator = ""
        releases: dict[str, str] = {}
        for flickr_id, day, release in removals_rows(dataset):
            quoted = releases.get(release) or releases.setdefault(release, json.dumps(release))
            yield (
                f'{separator}{{"photo_id": {flickr_id}, "removed_on": "{day}", '
                f'"release": {quoted}}}'
            )
            separator = ","
        yield "]}\n"

    return _batches(lines())


def removals_stream(dataset: Dataset, fmt: str) -> Iterable[str]:
    return removals_csv(dataset) if fmt == "csv" else removals_json(dataset)


def _removals_etag(request: HttpRequest, slug: str, fmt: str) -> str | None:
    dataset = Dataset.objects.filter(slug=slug).first()
    if dataset is None or fmt not in FORMATS:
        return None
    # Removing a photo sets removed_at and the row's updated_at; a re-import
    # touches updated_at too. Count + latest stamps move whenever the list does.
    figures = Photo.objects.filter(dataset=dataset, state=Photo.State.REMOVED).aggregate(
        n=Count("pk"), last_removed=Max("removed_at"), last_touched=Max("updated_at")
    )
    basis = f"{slug}:{fmt}:{dataset.release}:{figures['n']}:{figures['last_removed']}:"
    basis += str(figures["last_touched"])
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


@require_safe
@condition(etag_func=_removals_etag)
def removals(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("The removal list comes as .csv or .json.")
    dataset = get_object_or_404(Dataset, slug=slug)
    response = StreamingHttpResponse(removals_stream(dataset, fmt), content_type=FORMATS[fmt])
    if fmt == "csv":
        response["Content-Disposition"] = f'inline; filename="{slug}-removals.csv"'
    patch_cache_control(response, public=True, max_age=300)
    return response


# Checks


@dataclass
class PhotoAnswer:
    datasets: list[dict[str, object]] = field(default_factory=list)
    removed: bool = False
    scheduled: bool = False


# The shape a dataset's URL column holds (Flickr's static image URLs), read
# without the full parser, which checks every character and costs ~0.1 ms a
# line at 10,000 lines. Anything else still goes through lookup.query_parse.
_FAST_IMAGE_URL = re.compile(
    r"https?://(?:live|farm\d{1,3}|c\d{1,3})\.staticflickr\.com/(?:\d{1,3}/)?\d{1,6}/"
    r"(\d{1,19})_[0-9a-zA-Z]{1,40}(?:_[0-9a-zA-Z]{1,10})?\.(?:jpe?g|png|gif)",
    re.ASCII | re.IGNORECASE,
)


def photo_id_of(text: str) -> int:
    """A photo id from an id or any Flickr photo link; lookup.QueryInvalid otherwise."""
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
            RequestPhoto.objects.filter(photo__flickr_id__in=chunk)
            .exclude(request__status__in=NOT_SCHEDULING)
            .values_list("photo_id", flat=True)
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


@csrf_exempt
@require_POST
@rate_limit("api", json=True)
def check(request: HttpRequest) -> HttpResponse:
    try:
        body = json.loads(request.body or b"null")
    except RequestDataTooBig:
        return _error("The body is too large.", 413)
    except (ValueError, UnicodeDecodeError):
        return _error(
            'Send a JSON body like {"photos": ["5123456789", "https://flic.kr/p/7Afjsu"]}.'
        )
    photos = body.get("photos") if isinstance(body, dict) else None
    if not isinstance(photos, list) or not all(isinstance(p, str | int) for p in photos):
        return _error('"photos" must be a list of photo ids or Flickr photo links.')
    if len(photos) > MAX_CHECK:
        return _error(f"At most {MAX_CHECK:,} photos per call; this one has {len(photos):,}.")
    parsed: list[tuple[str, int | None, str]] = []
    for item in photos:
        text = str(item)
        try:
            parsed.append((text, photo_id_of(text), ""))
        except lookup.QueryInvalid as invalid:
            parsed.append((text, None, invalid.message))
    answers = photos_answer({pid for _, pid, _ in parsed if pid is not None})
    results = []
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
    try:
        text = request.body.decode("utf-8")
    except RequestDataTooBig:
        return _error("The body is too large.", 413)
    except UnicodeDecodeError:
        return _error("Send the URLs as UTF-8 text, one per line.")
    lines = [line.rstrip("\r") for line in text.split("\n")] if text else []
    if len(lines) > MAX_CHECK:
        return _error(f"At most {MAX_CHECK:,} URLs per call; this one has {len(lines):,}.")
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


@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(openapi_document(request.build_absolute_uri("/").rstrip("/")))


def openapi_document(server: str) -> dict[str, object]:
    photo_list = {"type": "array", "items": {"type": "string"}, "maxItems": MAX_CHECK}
    too_many = {
        "description": "Over the per-IP rate limit; see the Retry-After header.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    }
    dataset_entry = {
        "type": "object",
        "properties": {
            "dataset": {"type": "string"},
            "release": {"type": "string"},
            "removed": {"type": "boolean"},
            "scheduled_for_removal": {"type": "boolean"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "optout downstream API",
            "version": "1",
            "description": "Which Flickr photos were removed from the datasets we cover.",
        },
        "servers": [{"url": server}],
        "paths": {
            "/datasets/{slug}/removals.{format}": {
                "get": {
                    "summary": "Every photo removed from a dataset, streamed (ETag for caching).",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "format",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": ["csv", "json"]},
                        },
                    ],
                    "responses": {
                        "200": {"description": "photo_id, removed_on, release per removed photo."},
                        "304": {"description": "Not modified since the ETag you sent."},
                        "404": {"description": "No such dataset."},
                    },
                }
            },
            reverse("api_check"): {
                "post": {
                    "summary": "Check photo ids or Flickr photo links.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["photos"],
                                    "properties": {"photos": photo_list},
                                },
                                "example": {"photos": ["5123456789", "https://flic.kr/p/7Afjsu"]},
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "One result per input, in input order.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "results": {
                                                "type": "array",
                                                "items": {
                                                    "type": "object",
                                                    "properties": {
                                                        "input": {"type": "string"},
                                                        "photo_id": {"type": "integer"},
                                                        "in_datasets": {
                                                            "type": "array",
                                                            "items": dataset_entry,
                                                        },
                                                        "removed": {"type": "boolean"},
                                                        "scheduled_for_removal": {
                                                            "type": "boolean"
                                                        },
                                                        "error": {"type": "string"},
                                                    },
                                                },
                                            }
                                        },
                                    }
                                }
                            },
                        },
                        "400": {"description": "Not JSON, or more than 10,000 photos."},
                        "429": too_many,
                    },
                }
            },
            reverse("api_spawning_urls"): {
                "post": {
                    "summary": "Spawning-compatible: newline-separated URLs in, opt-outs out.",
                    "requestBody": {
                        "required": True,
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "One entry per input line, in input order.",
                            "content": {
                                "application/json": {
                                    "example": {
                                        "urls": [
                                            {
                                                "url": "https://flic.kr/p/7Afjsu",
                                                "optOut": True,
                                                "optIn": False,
                                            }
                                        ]
                                    }
                                }
                            },
                        },
                        "400": {"description": "More than 10,000 lines, or not UTF-8."},
                        "429": too_many,
                    },
                }
            },
        },
    }
