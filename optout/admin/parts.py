"""The queue's pieces: list filters, the forms of actions that ask first, read-only inlines."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from optout import services
from optout.models import (
    CLOSED_STATUSES,
    Dataset,
    DeletionJob,
    EmailLog,
    RemovalRequest,
    RequestEvent,
    RequestPhoto,
)

S = RemovalRequest.Status
SOON_DAYS = 5


# Filters


class StateFilter(admin.SimpleListFilter):
    """By state; the default view leaves out requests still waiting for email confirmation."""

    title = "state"
    parameter_name = "state"
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [*S.choices, (self.ALL, "all, with unconfirmed")]

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        for choice in super().choices(changelist):
            if choice["display"] == "All":
                choice["display"] = "in the queue"
            yield choice

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset.exclude(status=S.PENDING_EMAIL)
        if value == self.ALL:
            return queryset
        return queryset.filter(status=value)


class OverdueFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "overdue"), ("soon", f"due within {SOON_DAYS} days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        open_ = queryset.exclude(status__in=CLOSED_STATUSES)
        if self.value() == "yes":
            return open_.filter(deadline__lt=now)
        if self.value() == "soon":
            return open_.filter(deadline__gte=now, deadline__lt=now + timedelta(days=SOON_DAYS))
        return queryset


class DatasetFilter(admin.SimpleListFilter):
    title = "dataset"
    parameter_name = "dataset"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(d.slug, str(d)) for d in Dataset.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            inside = RequestPhoto.objects.filter(photo__dataset__slug=self.value())
            return queryset.filter(pk__in=inside.values("request_id"))
        return queryset


# Forms of the actions that ask for something first


class RejectForm(forms.Form):
    code = forms.ChoiceField(
        label="Reason",
        choices=[
            (code, text or "Other (write it below)")
            for code, text in services.REJECT_REASONS.items()
        ],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label="In your words (sent to the requester)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["reason"] = services.reject_reason_text(
                code=data.get("code", ""), text=data.get("text", "")
            )
        except services.ReasonMissing as missing:
            raise forms.ValidationError(str(missing)) from None
        return data


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Internal note (never shown to the requester)",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=5000,
    )


# Inlines: the audit trail and what the request covers, all read-only


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = RequestEvent
    verbose_name = "event"
    verbose_name_plural = "timeline"
    fields = readonly_fields = ("at", "kind", "actor", "from_status", "to_status", "why", "public")


class PhotoInline(ReadOnlyInline):
    model = RequestPhoto
    verbose_name = "photo"
    verbose_name_plural = "photos in scope"
    fields = readonly_fields = ("thumbnail", "flickr_id", "dataset", "state")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("photo__dataset")

    @admin.display(description="")
    def thumbnail(self, row: RequestPhoto) -> str:
        url = row.photo.thumbnail_url
        if not url:
            return "—"
        return format_html(
            '<a href="{}"><img src="{}" width="75" height="75" alt="photo {}" loading="lazy"></a>',
            row.photo.flickr_page_url,
            url,
            row.photo.flickr_id,
        )

    @admin.display(description="photo id")
    def flickr_id(self, row: RequestPhoto) -> int:
        return row.photo.flickr_id

    @admin.display(description="dataset")
    def dataset(self, row: RequestPhoto) -> str:
        return str(row.photo.dataset)

    @admin.display(description="state")
    def state(self, row: RequestPhoto) -> str:
        return row.photo.get_state_display()


class EmailInline(ReadOnlyInline):
    model = EmailLog
    verbose_name = "email"
    verbose_name_plural = "emails"
    fields = readonly_fields = (
        "created_at",
        "kind",
        "to",
        "outcome",
        "sent_at",
        "attempts",
        "error",
    )


class DeletionJobInline(ReadOnlyInline):
    model = DeletionJob
    verbose_name = "deletion job"
    verbose_name_plural = "deletion jobs"
    fields = readonly_fields = (
        "dataset",
        "status",
        "progress",
        "attempts",
        "last_error",
        "started_at",
        "finished_at",
    )

    @admin.display(description="progress")
    def progress(self, job: Any) -> str:
        return f"{job.done} of {job.total}"
