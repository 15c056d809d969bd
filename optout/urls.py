from django.contrib import admin
from django.urls import path

from optout import signin, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("signin/flickr/", signin.flickr_signin, name="flickr_signin"),
    path("signin/flickr/callback/", signin.flickr_callback, name="flickr_callback"),
    path("admin/", admin.site.urls),
]
