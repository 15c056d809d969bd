"""The licensees in the admin: who holds a copy, how far behind each copy is (overdue
first), their webhook deliveries with every attempt, and the actions on their
credentials. The actions call optout.licensees, as `createlicensee` and `licensee` do.

A new token or secret is shown once, on a page of its own (never in a message,
which would sit in the session until read).
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import F, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from optout import licensees
from optout.admin.parts import ReadOnlyInline
from optout.licensees import overview, registry
from optout.models import (
    Licensee,
    LicenseeDataset,
    LicenseeNotice,
    WebhookAttempt,
    WebhookDelivery,
)


def _ago(when: Any) -> str:
    if when is None:
        return gettext("never")
    days = (timezone.now() - when).days
    time = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
    if not days:
        return time
    return gettext("%(time)s (%(days)s d ago)") % {"time": time, "days": days}


def _waiting_text(waiting: int, since: Any) -> str:
    if not waiting:
        return gettext("up to date")
    days = (timezone.now() - since).days if since else 0
    return ngettext(
        "%(count)s waiting, oldest %(days)s d", "%(count)s waiting, oldest %(days)s d", waiting
    ) % {"count": waiting, "days": days}


def _days_behind(since: Any) -> str:
    """How long the oldest unacknowledged removal has waited, in red once overdue."""
    if since is None:
        return "—"
    days = (timezone.now() - since).days
    if since < overview.overdue_before():
        return format_html(
            '<strong class="deadline deadline-over">{}</strong>',
            gettext("%(days)s d (overdue)") % {"days": days},
        )
    return gettext("%(days)s d") % {"days": days}


def can_manage(request: HttpRequest) -> bool:
    return request.user.has_perm("optout.manage_licensee")


class HoldingInline(admin.TabularInline):
    model = LicenseeDataset
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("optout.view_licensee")

    verbose_name = _("copy held")
    verbose_name_plural = _("copies held")
    fields = ("dataset", "since", "waiting", "last_read_at", "acked_at")
    readonly_fields = ("waiting", "last_read_at", "acked_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return overview.holdings_annotated(super().get_queryset(request))

    @admin.display(description=_("unacknowledged removals"))
    def waiting(self, holding: LicenseeDataset) -> str:
        if holding.pk is None:
            return "—"
        return _waiting_text(
            getattr(holding, "waiting", 0), getattr(holding, "waiting_since", None)
        )


class NoticeInline(ReadOnlyInline):
    model = LicenseeNotice
    verbose_name = _("daily email")
    verbose_name_plural = _("daily emails")
    fields = readonly_fields = ("day", "kind", "waiting", "outcome", "to", "sent_at", "error")


class DeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    verbose_name_plural = _("webhook deliveries (latest first)")
    fields = readonly_fields = (
        "created_at",
        "dataset",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
    )
    show_change_link = True
    max_num = 0


@admin.register(Licensee)
class LicenseeAdmin(admin.ModelAdmin):
    list_display = ("name", "state", "copies", "oldest_waiting", "webhook", "token")
    search_fields = ("name", "contacts")
    inlines = (HoldingInline, DeliveryInline, NoticeInline)
    actions = ("rotate_token", "rotate_secret", "revoke", "resume_webhook")
    fields = (
        "name",
        "contacts",
        "language",
        "show_name",
        "webhook_url",
        "webhook_paused_at",
        "webhook_paused_why",
        "token_hint",
        "token_created_at",
        "revoked_at",
        "created_at",
    )
    readonly_fields = (
        "webhook_paused_at",
        "webhook_paused_why",
        "token_hint",
        "token_created_at",
        "revoked_at",
        "created_at",
    )

    # Permissions: registering and editing is `manage_licensee` (the maintainers group
    # has no generic add or change anywhere); revoke, never delete.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_manage(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_rotate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("optout.rotate_licensee")

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("optout.revoke_licensee")

    def has_resume_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("optout.resume_licensee")

    # The list: overdue first, then the others behind, then those up to date.

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return overview.licensees_annotated(self.model._default_manager.get_queryset())

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return [
            F("revoked_at").desc(nulls_first=True),
            F("waiting_since").asc(nulls_last=True),
            "name",
        ]

    @admin.display(description=_("state"))
    def state(self, obj: Licensee) -> str:
        if obj.is_active:
            return gettext("active")
        return gettext("revoked %(date)s") % {"date": f"{obj.revoked_at:%Y-%m-%d}"}

    @admin.display(
        description=_("per dataset: unacknowledged, last feed read, last acknowledgement")
    )
    def copies(self, obj: Licensee) -> str:
        # A query per licensee on the page: licensees are few, and the list pages by 100.
        states = overview.copy_states(licensee=obj)
        rows = []
        for s in states:
            waiting = _waiting_text(s.waiting, s.waiting_since)
            if s.overdue:
                waiting = gettext("%(waiting)s (overdue)") % {"waiting": waiting}
            text = gettext("%(waiting)s; read %(read)s; acknowledged %(acked)s") % {
                "waiting": waiting,
                "read": _ago(s.holding.last_read_at),
                "acked": _ago(s.holding.acked_at),
            }
            rows.append(("copy-overdue" if s.overdue else "copy", s.holding.dataset.slug, text))
        return format_html_join("", '<div class="{}"><strong>{}</strong>: {}</div>', rows)

    @admin.display(description=_("oldest waiting"), ordering="waiting_since")
    def oldest_waiting(self, obj: Licensee) -> str:
        return _days_behind(getattr(obj, "waiting_since", None))

    @admin.display(description=_("webhook"))
    def webhook(self, obj: Licensee) -> str:
        if not obj.webhook_url:
            return "—"
        if obj.webhook_paused_at:
            return format_html(
                "<strong>{}</strong> ({})", gettext("paused"), obj.webhook_paused_why
            )
        return obj.webhook_url

    @admin.display(description=_("token"))
    def token(self, obj: Licensee) -> str:
        return f"…{obj.token_hint}" if obj.token_hint else "—"

    # Adding: the token and the secret are minted here and shown once.

    def save_model(
        self, request: HttpRequest, obj: Licensee, form: ModelForm, change: bool
    ) -> None:
        shown: dict[str, str] = {}
        if not change:
            token = registry.token_mint()
            obj.token_hash = registry.token_hash(token)
            obj.token_hint = token[-4:]
            obj.token_created_at = timezone.now()
            shown[gettext("API token")] = token
        if obj.webhook_url and not obj.webhook_secret:
            secret = registry.webhook_secret_mint()
            obj.webhook_secret = shown[gettext("Webhook signing secret")] = secret
        super().save_model(request, obj, form, change)
        # ignore[attr-defined]: the new credentials ride on the request to the response
        # that shows them once; HttpRequest declares no such attribute.
        request._licensee_credentials = shown  # type: ignore[attr-defined]

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            registry.webhooks_catch_up(licensee=form.instance)

    def response_add(
        self, request: HttpRequest, obj: Licensee, post_url_continue: str | None = None
    ) -> HttpResponse:
        shown = getattr(request, "_licensee_credentials", {})
        if shown:
            return self._credentials(request, obj, shown)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: Licensee) -> HttpResponse:
        shown = getattr(request, "_licensee_credentials", {})
        if shown:
            return self._credentials(request, obj, shown)
        return super().response_change(request, obj)

    def _credentials(
        self, request: HttpRequest, obj: Licensee, shown: dict[str, str]
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Credentials of %(name)s") % {"name": obj.name},
            "opts": self.model._meta,
            "licensee": obj,
            "shown": sorted(shown.items()),
        }
        return TemplateResponse(request, "admin/optout/licensee/credentials.html", context)

    # Actions

    def _confirm(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        action: str,
        title: str,
        act: Callable[[Licensee], str],
    ) -> TemplateResponse | None:
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "queryset": queryset.order_by("name"),
                "action": action,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/optout/licensee/action_form.html", context)
        shown: dict[str, str] = {}
        for licensee in queryset.order_by("name"):
            try:
                value = act(licensee)
            except licensees.LicenseeInvalid as invalid:
                messages.warning(request, invalid.message)
                continue
            if value:
                shown[licensee.name] = value
        if shown:
            context = {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "shown": sorted(shown.items()),
            }
            return TemplateResponse(request, "admin/optout/licensee/credentials.html", context)
        return None

    @admin.action(description=_("Rotate the API token…"), permissions=["rotate"])
    def rotate_token(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        return self._confirm(
            request,
            queryset,
            "rotate_token",
            gettext("Rotate the API token (the old one stops working at once)"),
            lambda licensee: licensees.token_rotate(licensee=licensee),
        )

    @admin.action(description=_("Rotate the webhook signing secret…"), permissions=["rotate"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        return self._confirm(
            request,
            queryset,
            "rotate_secret",
            gettext(
                "Rotate the webhook signing secret (events are signed with the new one at once)"
            ),
            lambda licensee: licensees.webhook_secret_rotate(licensee=licensee),
        )

    @admin.action(description=_("Revoke…"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        def act(licensee: Licensee) -> str:
            if licensees.licensee_revoke(licensee=licensee):
                messages.success(request, gettext("Revoked %(name)s.") % {"name": licensee.name})
            return ""

        return self._confirm(
            request,
            queryset,
            "revoke",
            gettext(
                "Revoke (the token gets 401, no more events or emails, owners no longer count it)"
            ),
            act,
        )

    @admin.action(description=_("Resume the paused webhook"), permissions=["resume"])
    def resume_webhook(self, request: HttpRequest, queryset: QuerySet) -> None:
        for licensee in queryset.order_by("name"):
            sent = len(licensees.webhook_resume(licensee=licensee))
            messages.success(
                request,
                ngettext(
                    "Webhook of %(name)s resumed; %(count)s event queued.",
                    "Webhook of %(name)s resumed; %(count)s events queued.",
                    sent,
                )
                % {"name": licensee.name, "count": sent},
            )


@admin.register(LicenseeDataset)
class CopyHeldAdmin(admin.ModelAdmin):
    """Every copy with how far it is behind: overdue first."""

    list_display = ("licensee", "dataset", "unacknowledged", "waiting_for", "read", "acknowledged")
    list_filter = ("dataset",)
    search_fields = ("licensee__name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        base = self.model._default_manager.get_queryset().select_related("licensee", "dataset")
        return overview.holdings_annotated(base.filter(licensee__revoked_at__isnull=True))

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return [F("waiting_since").asc(nulls_last=True), "licensee__name", "dataset__slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("unacknowledged removals"), ordering="waiting")
    def unacknowledged(self, obj: LicenseeDataset) -> int:
        return obj.waiting  # type: ignore[attr-defined]  # get_queryset's annotation

    @admin.display(description=_("oldest waiting"), ordering="waiting_since")
    def waiting_for(self, obj: LicenseeDataset) -> str:
        return _days_behind(obj.waiting_since)  # type: ignore[attr-defined]  # an annotation

    @admin.display(description=_("last feed read"), ordering="last_read_at")
    def read(self, obj: LicenseeDataset) -> str:
        return _ago(obj.last_read_at)

    @admin.display(description=_("last acknowledgement"), ordering="acked_at")
    def acknowledged(self, obj: LicenseeDataset) -> str:
        return _ago(obj.acked_at)


class LicenseeFilter(admin.SimpleListFilter):
    """By licensee, named in order (the licensee list's own ordering needs its annotations)."""

    title = _("licensee")
    parameter_name = "licensee"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Licensee.objects.values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(licensee_id=value) if value and value.isdigit() else queryset


class AttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    verbose_name_plural = _("attempts")
    fields = readonly_fields = ("at", "status_code", "error", "duration_ms")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Every `removals.available` event and each of its attempts (status, time, error)."""

    list_display = (
        "created_at",
        "licensee",
        "dataset",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", LicenseeFilter)
    search_fields = ("=webhook_id", "licensee__name")
    inlines = (AttemptInline,)
    readonly_fields = (
        "licensee",
        "dataset",
        "seq",
        "webhook_id",
        "status",
        "attempts",
        "next_attempt_at",
        "queued_at",
        "claimed_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
    )
    exclude = ("claim",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
