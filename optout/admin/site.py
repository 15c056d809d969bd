"""Our admin site: only superusers and maintainers get in; the index carries the dashboard."""

from typing import Any

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse_lazy
from django.utils.translation import gettext_lazy as _

from optout.admin.group import MAINTAINERS
from optout.admin.login import ThrottledLoginForm


class QueueAdminSite(admin.AdminSite):
    site_header = _("optout maintainers")
    site_title = _("optout maintainers")
    index_title = _("The queue")
    index_template = "admin/optout_index.html"
    # The queue's columns need the width more than a second navigation does.
    enable_nav_sidebar = False
    # Counts failed logins per address and per username (optout/admin/login.py).
    login_form = ThrottledLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return user.is_superuser or user.groups.filter(name=MAINTAINERS).exists()

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # Here, not at the top: Django builds the admin site while it loads the apps,
        # before the models the dashboard queries can be imported.
        from optout.admin.dashboard import dashboard_figures  # noqa: PLC0415

        context = {"dashboard": dashboard_figures(), **(extra_context or {})}
        response = super().index(request, extra_context=context)
        assert isinstance(response, TemplateResponse)
        return response

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        response: HttpResponse = super().login(request, extra_context)
        form = (
            response.context_data.get("form")
            if isinstance(response, TemplateResponse) and response.context_data
            else None
        )
        if isinstance(form, ThrottledLoginForm) and form.locked_for:
            # The page says when; scripts read it here.
            response.status_code = 429
            response["Retry-After"] = str(form.locked_for)
        return response

    def get_urls(self) -> list[URLResolver | URLPattern]:
        # The one-time link `createmaintainer` prints: Django's password-reset
        # token (expires after PASSWORD_RESET_TIMEOUT, dies once the password is set).
        set_password = auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("admin:login"),
            extra_context={"site_header": self.site_header, "site_title": self.site_title},
        )
        return [
            path("set-password/<uidb64>/<token>/", set_password, name="maintainer_set_password"),
            *super().get_urls(),
        ]
