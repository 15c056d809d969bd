from django.contrib import admin
from django.urls import include, path

from optout import api, owner_views, policies, report_views, signin, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Our own pages are not training data (optout/policies.py).
    path("robots.txt", policies.robots_txt, name="robots_txt"),
    path(".well-known/tdmrep.json", policies.tdmrep_json, name="tdmrep_json"),
    path(".well-known/tdm-policy.json", policies.tdm_policy, name="tdm_policy"),
    path("favicon.ico", policies.favicon, name="favicon"),
    path("signin/flickr/", signin.flickr_signin, name="flickr_signin"),
    path("signin/flickr/callback/", signin.flickr_callback, name="flickr_callback"),
    path("me/photos/", owner_views.my_photos, name="my_photos"),
    path("r/<str:token>/", owner_views.request_status, name="request_status"),
    path("r/<str:token>/cancel/", owner_views.request_cancel, name="request_cancel"),
    path("r/<str:token>/receipt.csv", owner_views.request_receipt, name="request_receipt"),
    path("confirm/<str:token>/", owner_views.email_confirm, name="email_confirm"),
    # Provider delivery news: /anymail/<esp>/tracking/, basic auth ANYMAIL_WEBHOOK_SECRET.
    path("anymail/", include("anymail.urls")),
    path("report/", report_views.report, name="report"),
    # Downstream: removal lists and checks (optout/api.py).
    path("datasets/<slug:slug>/removals.<str:fmt>", api.removals, name="removals"),
    path("api/v1/check", api.check, name="api_check"),
    path("api/v1/openapi.json", api.openapi, name="api_openapi"),
    # Spawning's opt-out API path, trailing slash included, as datadiligence calls it.
    path("api/v2/query/urls/", api.spawning_query_urls, name="api_spawning_urls"),
    path("admin/", admin.site.urls),
]
