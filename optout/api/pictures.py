"""POST /api/v1/picture: the look-up by picture as JSON (multipart/form-data, field `picture`).

The same answer as /picture/: per dataset, "present", "removed" or "absent";
never a photo id, a title or an owner. When the picture is in a dataset,
`report_url` leads a person shown in it to the report form, with an opaque
reference to the photos found that lasts an hour. The upload is read in
memory only (optout/infra/uploads.py) and forgotten with the request.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from optout.infra.ratelimit import rate_limit
from optout.pictures import PictureProblem, TooFlat, picture_search, picture_upload_read


@csrf_exempt
@never_cache
@require_POST
@rate_limit("picture", json=True)
def picture(request: HttpRequest) -> JsonResponse:
    try:
        answer = picture_search(data=picture_upload_read(request))
    except PictureProblem as problem:
        body: dict[str, object] = {"error": problem.message, "code": problem.code}
        if isinstance(problem, TooFlat):
            body["quality"] = problem.quality
        return JsonResponse(body, status=problem.status)
    body = answer.as_json()
    if answer.ref:
        body["report_url"] = request.build_absolute_uri(f"{reverse('report')}?ref={answer.ref}")
    return JsonResponse(body)
