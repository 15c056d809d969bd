"""Model admins: the request queue, its read-only audit trail, and the datasets.

Every action calls the services the rest of the app uses, one request at a
time, so a request the action does not apply to is refused on its own (with
workflow's message) and the others go through.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from optout import workflow
from optout.admin.export import csv_response
from optout.admin.parts import (
    SOON_DAYS,
    DatasetFilter,
    DeletionJobInline,
    EmailColumns,
    EmailInline,
    EmailKindFilter,
    EventColumns,
    EventInline,
    NoteForm,
    OverdueFilter,
    ReadOnlyInline,
    RejectForm,
    StateFilter,
    photo_grid,
    state_label,
)
from optout.models import (
    CLOSED_STATUSES,
    Dataset,
    DatasetRelease,
    DeletionJob,
    EmailLog,
    RemovalRequest,
    RequestEvent,
)
from optout.notifications.wording import why_in_language
from optout.requests import review

S = RemovalRequest.Status
# The bulk actions' messages, by outcome: one request refused, and the ones done.
NOT_DONE = {
    "approved": _("%(id)s not approved: %(why)s"),
    "rejected": _("%(id)s not rejected: %(why)s"),
    "retried": _("%(id)s not retried: %(why)s"),
}
DONE = {
    "approved": _("Approved: %(ids)s."),
    "rejected": _("Rejected: %(ids)s."),
    "retried": _("Retried: %(ids)s."),
}
# The request page's sections; get_fieldsets picks them by these very objects.
REQUESTER = _("Requester")
SHOWN_IN_PHOTO = _("Shown in a photo")


# The queue


@admin.register(RemovalRequest)
class RemovalRequestAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "kind",
        "status",
        "owner_nsid",
        "flickr_username",
        "datasets",
        "photos_in_scope",
        "filed",
        "days_left",
        "last_event",
    )
    list_display_links = ("public_id",)
    list_filter = (StateFilter, "kind", DatasetFilter, OverdueFilter)
    search_fields = (
        "=public_id",
        "email",
        "=owner_nsid",
        "flickr_username",
        "=requestphoto__photo__flickr_id",
    )
    list_per_page = 50
    actions = ("approve", "reject", "retry", "add_note")
    inlines = (EventInline, DeletionJobInline, EmailInline)
    readonly_fields = (
        "public_id",
        "kind",
        "status",
        "owner_nsid",
        "flickr_username",
        "email",
        "email_confirmed_at",
        "scope",
        "future_releases",
        "deadline",
        "created_at",
        "closed_at",
        "relation",
        "statement",
        "contact",
        "photo_links",
        "reject_reason",
        "photos_in_scope_grid",
    )
    fieldsets = (
        (None, {"fields": ("public_id", "kind", "status", "deadline", "created_at", "closed_at")}),
        (
            REQUESTER,
            {
                "fields": (
                    "owner_nsid",
                    "flickr_username",
                    "email",
                    "email_confirmed_at",
                    "scope",
                    "future_releases",
                )
            },
        ),
        (
            SHOWN_IN_PHOTO,
            {"fields": ("relation", "statement", "contact", "photo_links")},
        ),
        (_("Outcome"), {"fields": ("reject_reason",)}),
        (_("Photos in scope"), {"fields": ("photos_in_scope_grid",)}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        # An owner's request has no statement; a shown-in-photo one has no Flickr account.
        # By identity: a title compared as text would be compared in the page's language.
        if obj is not None and obj.kind == RemovalRequest.Kind.SHOWN:
            requester = (REQUESTER, {"fields": ("email", "email_confirmed_at")})
            return [requester if fs[0] is REQUESTER else fs for fs in self.fieldsets]
        return [fs for fs in self.fieldsets if fs[0] is not SHOWN_IN_PHOTO]

    # Permissions: requests move through the actions only; nobody edits a record.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _can(self, request: HttpRequest, action: str) -> bool:
        return request.user.has_perm(f"optout.{action}_removalrequest")

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return self._can(request, "approve")

    def has_reject_permission(self, request: HttpRequest) -> bool:
        return self._can(request, "reject")

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return self._can(request, "retry")

    def has_note_permission(self, request: HttpRequest) -> bool:
        return self._can(request, "note")

    # The list

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        now = timezone.now()
        last = RequestEvent.objects.filter(request=OuterRef("pk")).order_by("-at", "-pk")
        open_q = ~Q(status__in=CLOSED_STATUSES)
        # Not super(): it orders by get_ordering() before these annotations exist.
        return (
            self.model._default_manager.get_queryset()
            .annotate(
                photo_total=Count("requestphoto", distinct=True),
                # One query for the page, not one per row.
                dataset_slugs=StringAgg(
                    "requestphoto__photo__dataset__slug", delimiter=Value(","), distinct=True
                ),
                open_first=Case(When(open_q, then=Value(1)), default=Value(0)),
                is_overdue=Case(
                    When(open_q & Q(deadline__lt=now), then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                ),
                last_at=Subquery(last.values("at")[:1]),
                last_why=Subquery(last.values("why")[:1]),
                last_to=Subquery(last.values("to_status")[:1]),
            )
            .order_by(*self.get_ordering(request))
        )

    def get_ordering(self, request: HttpRequest) -> list[str | Combinable]:
        # Overdue on top, then open ones by deadline, then the closed.
        return ["-is_overdue", "-open_first", "deadline"]

    @admin.display(description=_("datasets"))
    def datasets(self, obj: RemovalRequest) -> str:
        # ignore[attr-defined]: dataset_slugs is get_queryset's annotation, not a model field.
        slugs = sorted((obj.dataset_slugs or "").split(","))  # type: ignore[attr-defined]
        return ", ".join(slug for slug in slugs if slug) or "—"

    @admin.display(description=_("photos"), ordering="photo_total")
    def photos_in_scope(self, obj: RemovalRequest) -> int:
        return obj.photo_total  # type: ignore[attr-defined]  # get_queryset's annotation

    @admin.display(description=_("photos"))
    def photos_in_scope_grid(self, obj: RemovalRequest) -> str:
        return photo_grid(obj)

    @admin.display(description=_("filed"), ordering="created_at")
    def filed(self, obj: RemovalRequest) -> str:
        return timezone.localtime(obj.created_at).strftime("%Y-%m-%d")

    @admin.display(description=_("days left"), ordering="deadline")
    def days_left(self, obj: RemovalRequest) -> str:
        if not obj.is_open:
            return "—"
        days = days_until(obj.deadline)
        if obj.deadline < timezone.now():
            late = str(_("overdue %(days)s d")) % {"days": -days} if days else _("overdue today")
            return format_html('<strong class="deadline deadline-over">{}</strong>', late)
        if days < SOON_DAYS:
            return format_html('<strong class="deadline deadline-soon">{}</strong>', days)
        return str(days)

    @admin.display(description=_("last event"), ordering="last_at")
    def last_event(self, obj: RemovalRequest) -> str:
        # ignore[attr-defined] here and below: get_queryset annotates these, not the model.
        at = obj.last_at  # type: ignore[attr-defined]
        if at is None:
            return "—"
        last_why, last_to = obj.last_why, obj.last_to  # type: ignore[attr-defined]
        # The reasons the code writes in the maintainer's language, else the state it entered.
        why = why_in_language(last_why) if last_why else state_label(last_to or "")
        short = why if len(why) <= 48 else why[:47] + "…"
        return format_html("{}: {}", timezone.localtime(at).strftime("%Y-%m-%d"), short)

    # Actions

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        verb: str,
        act: Callable[[RemovalRequest], object],
    ) -> None:
        """`verb` names the outcome for the messages: approved, rejected or retried."""
        done: list[str] = []
        for removal in queryset.order_by("public_id"):
            try:
                act(removal)
            except workflow.TransitionRefused as refused:
                messages.warning(
                    request,
                    str(NOT_DONE[verb]) % {"id": removal.public_id, "why": refused.message},
                )
            else:
                done.append(removal.public_id)
        if done:
            messages.success(request, str(DONE[verb]) % {"ids": ", ".join(done)})

    def _actor(self, request: HttpRequest) -> str:
        return review.maintainer_actor(username=request.user.get_username())

    def _ask(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        action: str,
        title: str,
        form: forms.Form | None,
        extra: dict[str, Any] | None = None,
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "queryset": queryset.order_by("public_id"),
            "action": action,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            **(extra or {}),
        }
        return TemplateResponse(request, "admin/optout/removalrequest/action_form.html", context)

    @admin.action(description=_("Approve (queues the deletion)"), permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = self._actor(request)
        self._each(
            request,
            queryset,
            "approved",
            lambda r: review.request_approve(removal=r, actor=actor),
        )

    @admin.action(description=_("Reject with a reason…"), permissions=["reject"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            actor = self._actor(request)
            code, text = form.cleaned_data["code"], form.cleaned_data["text"]
            self._each(
                request,
                queryset,
                "rejected",
                lambda r: review.request_reject(removal=r, actor=actor, code=code, text=text),
            )
            return None
        return self._ask(request, queryset, "reject", str(_("Reject with a reason")), form)

    @admin.action(description=_("Retry the failed deletion…"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        if "apply" in request.POST:
            actor = self._actor(request)
            self._each(
                request,
                queryset,
                "retried",
                lambda r: review.request_retry(removal=r, actor=actor),
            )
            return None
        # Show each request's last error before the maintainer confirms.
        errors = {r.pk: last_error(r) for r in queryset}
        rows = [(r, errors[r.pk]) for r in queryset.order_by("public_id")]
        return self._ask(
            request, queryset, "retry", str(_("Retry the failed deletion")), None, {"errors": rows}
        )

    @admin.action(description=_("Add an internal note…"), permissions=["note"])
    def add_note(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        form = NoteForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            actor = self._actor(request)
            for removal in queryset:
                review.request_note_add(
                    removal=removal, actor=actor, text=form.cleaned_data["text"]
                )
            ids = ", ".join(r.public_id for r in queryset.order_by("public_id"))
            messages.success(request, _("Note added to %(ids)s.") % {"ids": ids})
            return None
        return self._ask(request, queryset, "add_note", str(_("Add an internal note")), form)

    # CSV export of the filtered list

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv),
            name="optout_removalrequest_export",
        )
        return [export, *super().get_urls()]

    def export_csv(self, request: HttpRequest) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        rows = changelist.get_queryset(request)
        return csv_response(rows, "optout-requests.csv")


def days_until(deadline: Any) -> int:
    """Whole days left, or whole days past as a negative number (-0 days past is 0)."""
    delta = deadline - timezone.now()
    if delta.total_seconds() >= 0:
        return delta.days
    return -(-delta).days


def last_error(removal: RemovalRequest) -> str:
    job = DeletionJob.objects.filter(request=removal).exclude(last_error="").order_by("-pk").first()
    return job.last_error if job else ""


@admin.register(RequestEvent)
class RequestEventAdmin(EventColumns, admin.ModelAdmin):
    """The audit trail: append-only, so nobody adds, edits or deletes here."""

    list_display = ("at", "request", "kind", "who", "from_state", "to_state", "reason")
    list_filter = ("kind",)
    search_fields = ("=request__public_id", "actor")
    fields = readonly_fields = (
        "request",
        "kind",
        "at",
        "who",
        "from_state",
        "to_state",
        "reason",
        "public",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EmailLog)
class EmailLogAdmin(EmailColumns, admin.ModelAdmin):
    """Every email, newest first: the ones failing for good are what the dashboard counts."""

    list_display = (
        "created_at",
        "request",
        "what",
        "to",
        "outcome",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("outcome", EmailKindFilter, "created_at")
    search_fields = ("=request__public_id", "to")
    list_select_related = ("request",)
    fields = readonly_fields = (
        "request",
        "what",
        "to",
        "outcome",
        "attempts",
        "next_attempt_at",
        "enqueued_at",
        "claimed_at",
        "sent_at",
        "provider_message_id",
        "error_shown",
        "created_at",
    )

    @admin.display(description=_("last error"))
    def last_error(self, entry: EmailLog) -> str:
        error = self.error_shown(entry)
        return error if len(error) <= 80 else error[:79] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReleaseInline(ReadOnlyInline):
    """The releases as imported (import_dataset --release), newest last."""

    model = DatasetRelease
    fields = ("seq", "label", "complete", "imported_at")
    readonly_fields = fields


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "release", "source", "photo_count", "updated_at")
    readonly_fields = ("photo_count", "created_at", "updated_at")
    inlines = [ReleaseInline]
