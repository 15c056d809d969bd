from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from optout import health
from optout.models import Dataset


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    datasets = Dataset.objects.all()
    return render(request, "optout/home.html", {"datasets": datasets})


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": health.database_ok(), "broker": health.broker_ok()}
    ok = all(checks.values())
    return JsonResponse({"ok": ok, **checks}, status=200 if ok else 503)
