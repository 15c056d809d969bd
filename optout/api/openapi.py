"""GET /api/v1/openapi.json: the OpenAPI document (openapi.json beside this file)."""

import copy
import json
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

DOCUMENT: dict[str, Any] = json.loads((Path(__file__).parent / "openapi.json").read_text())


@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    document = copy.deepcopy(DOCUMENT)
    document["servers"] = [{"url": request.build_absolute_uri("/").rstrip("/")}]
    return JsonResponse(document)
