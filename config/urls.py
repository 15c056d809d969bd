from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from optout.api import checks, licensees, openapi, removals
from optout.api import pictures as picture_api
from optout.web import health, owner, policies, public, shown, signin
from optout.web import pictures as picture_pages

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # Our own pages are not training data (optout/web/policies.py).
    path("robots.txt", policies.robots_txt, name="robots_txt"),
    path(".well-known/tdmrep.json", policies.tdmrep_json, name="tdmrep_json"),
    path(".well-known/tdm-policy.json", policies.tdm_policy, name="tdm_policy"),
    path("favicon.ico", policies.favicon, name="favicon"),
    # The footer's language switcher posts here; the choice is kept in a cookie. No CSRF
    # token: at worst a forged post changes a visitor's language, and a token in every
    # page's footer would give every visitor a cookie and every page a Vary: Cookie.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("signin/flickr/", signin.flickr_signin, name="flickr_signin"),
    path("signin/flickr/callback/", signin.flickr_callback, name="flickr_callback"),
    path("signin/flickr/signout/", signin.flickr_signout, name="flickr_signout"),
    path("me/photos/", owner.my_photos, name="my_photos"),
    path("me/photos/listing.json", owner.my_photos_listing, name="my_photos_listing"),
    path("r/<str:token>/", owner.request_status, name="request_status"),
    path("r/<str:token>/cancel/", owner.request_cancel, name="request_cancel"),
    path("r/<str:token>/receipt.csv", owner.request_receipt, name="request_receipt"),
    path("confirm/<str:token>/", owner.email_confirm, name="email_confirm"),
    # Provider delivery news: /anymail/<esp>/tracking/, basic auth ANYMAIL_WEBHOOK_SECRET.
    path("anymail/", include("anymail.urls")),
    path("report/", shown.report, name="report"),
    # The look-up by picture: the upload is read in memory only (optout/pictures/).
    path("picture/", picture_pages.picture, name="picture"),
    # Downstream: removal lists and checks (optout/api/).
    path("datasets/<slug:slug>/removals.<str:fmt>", removals.removals, name="removals"),
    path("api/v1/check", checks.check, name="api_check"),
    path("api/v1/picture", picture_api.picture, name="api_picture"),
    path("api/v1/openapi.json", openapi.openapi, name="api_openapi"),
    # Licensees: their copy's removal feed and acknowledgements (optout/api/licensees.py).
    path(
        "api/v1/datasets/<slug:slug>/removals/feed",
        licensees.feed,
        name="licensee_feed",
    ),
    path(
        "api/v1/datasets/<slug:slug>/acknowledgements",
        licensees.acknowledgements,
        name="licensee_acknowledgements",
    ),
    # Spawning's opt-out API path, trailing slash included, as datadiligence calls it.
    path("api/v2/query/urls/", checks.spawning_query_urls, name="api_spawning_urls"),
    path("admin/", admin.site.urls),
]

# Error pages in the reader's language; JSON under /api/ (optout/web/errors.py).
handler400 = "optout.web.errors.bad_request"
handler403 = "optout.web.errors.forbidden"
handler404 = "optout.web.errors.not_found"
handler500 = "optout.web.errors.server_error"
