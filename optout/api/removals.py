"""GET /datasets/<slug>/removals.csv|.json: every removed photo, streamed, with an ETag."""

from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition, require_safe

from optout.lookup.removals import FORMATS, removals_stream, removals_version
from optout.models import Dataset


def _removals_etag(request: HttpRequest, slug: str, fmt: str) -> str | None:
    dataset = Dataset.objects.filter(slug=slug).first()
    if dataset is None or fmt not in FORMATS:
        return None
    return removals_version(dataset, fmt)


@require_safe
@condition(etag_func=_removals_etag)
def removals(request: HttpRequest, slug: str, fmt: str) -> StreamingHttpResponse:
    if fmt not in FORMATS:
        raise Http404("The removal list comes as .csv or .json.")
    dataset = get_object_or_404(Dataset, slug=slug)
    response = StreamingHttpResponse(removals_stream(dataset, fmt), content_type=FORMATS[fmt])
    if fmt == "csv":
        response["Content-Disposition"] = f'inline; filename="{slug}-removals.csv"'
    patch_cache_control(response, public=True, max_age=300)
    return response
