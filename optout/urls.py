from django.contrib import admin
from django.urls import include, path

from optout import owner_views, signin, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("signin/flickr/", signin.flickr_signin, name="flickr_signin"),
    path("signin/flickr/callback/", signin.flickr_callback, name="flickr_callback"),
    path("me/photos/", owner_views.my_photos, name="my_photos"),
    path("r/<str:token>/", owner_views.request_status, name="request_status"),
    path("r/<str:token>/cancel/", owner_views.request_cancel, name="request_cancel"),
    path("r/<str:token>/receipt.csv", owner_views.request_receipt, name="request_receipt"),
    path("confirm/<str:token>/", owner_views.email_confirm, name="email_confirm"),
    # Provider delivery news: /anymail/<esp>/tracking/, basic auth ANYMAIL_WEBHOOK_SECRET.
    path("anymail/", include("anymail.urls")),
    path("admin/", admin.site.urls),
]
