"""The queue's pieces: list filters, the forms of actions that ask first, read-only inlines."""

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from optout.models import (
    CLOSED_STATUSES,
    Dataset,
    DeletionJob,
    EmailLog,
    Photo,
    RejectReason,
    RemovalRequest,
    RequestEvent,
    RequestPhoto,
)
from optout.models.requests import FROM_STATE, TO_STATE
from optout.notifications import emails
from optout.notifications.wording import why_in_language
from optout.requests import review

if TYPE_CHECKING:
    # The stubs' type of one filter choice; it exists only in django-stubs.
    from django.contrib.admin.filters import _ListFilterChoices
    from django_stubs_ext import StrOrPromise

S = RemovalRequest.Status
SOON_DAYS = 5


# Filters


class StateFilter(admin.SimpleListFilter):
    """By state; the default view leaves out requests still waiting for email confirmation."""

    title = _("state")
    parameter_name = "state"
    ALL = "all"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> "list[tuple[str, StrOrPromise]]":
        return [*S.choices, (self.ALL, _("all, with unconfirmed"))]

    def choices(self, changelist: Any) -> "Iterator[_ListFilterChoices]":
        for choice in super().choices(changelist):
            # Django's own "All", in the page's language.
            if choice["display"] == gettext("All"):
                choice["display"] = _("in the queue")
            yield choice

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset.exclude(status=S.PENDING_EMAIL)
        if value == self.ALL:
            return queryset
        return queryset.filter(status=value)


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "overdue"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> "list[tuple[str, StrOrPromise]]":
        return [
            ("yes", _("overdue")),
            ("soon", str(_("due within %(days)s days")) % {"days": SOON_DAYS}),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        open_ = queryset.exclude(status__in=CLOSED_STATUSES)
        if self.value() == "yes":
            return open_.filter(deadline__lt=now)
        if self.value() == "soon":
            return open_.filter(deadline__gte=now, deadline__lt=now + timedelta(days=SOON_DAYS))
        return queryset


# An email's kind is stored as the name of its template (emails.KINDS); a maintainer
# reads what it told the requester.
EMAIL_KINDS: "dict[str, StrOrPromise]" = {
    "received": _("request received"),
    "shown_received": _("request received (shown in a photo)"),
    "confirm_reminder": _("reminder to confirm the address"),
    "shown_confirm_reminder": _("reminder to confirm the address (shown in a photo)"),
    "email_confirmed": _("address confirmed"),
    **{kind: S(status).label for status, kind in emails.STATUS_NEWS.items()},
    "downstream_done": _("every copy confirmed deleted"),
    "flickr_signal": _("signal on Flickr"),
}


def email_kind_label(kind: str) -> str:
    return str(EMAIL_KINDS.get(kind, kind))


class EmailKindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> "list[tuple[str, StrOrPromise]]":
        return list(EMAIL_KINDS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(kind=self.value()) if self.value() else queryset


class DatasetFilter(admin.SimpleListFilter):
    title = _("dataset")
    parameter_name = "dataset"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> "list[tuple[str, StrOrPromise]]":
        return [(d.slug, str(d)) for d in Dataset.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            inside = RequestPhoto.objects.filter(photo__dataset__slug=self.value())
            return queryset.filter(pk__in=inside.values("request_id"))
        return queryset


# Forms of the actions that ask for something first


class RejectForm(forms.Form):
    code = forms.ChoiceField(
        label=_("Reason"),
        choices=RejectReason.choices,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("In your words (sent to the requester)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["reason"] = review.reject_reason_text(
                code=data.get("code", ""), text=data.get("text", "")
            )
        except review.ReasonMissing as missing:
            raise forms.ValidationError(str(missing)) from None
        return data


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note (never shown to the requester)"),
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


# The timeline's codes and stored English, in the maintainer's language.

ACTORS = {
    "requester": _("requester"),
    "system": _("optout (automatic)"),
    "flickr": _("Flickr"),
    "email provider": _("email provider"),
}
MAINTAINER_PREFIX = "maintainer:"


def actor_label(actor: str) -> str:
    """Who made a move, from the code the timeline stores (RequestEvent.actor)."""
    if actor.startswith(MAINTAINER_PREFIX):
        name = actor.removeprefix(MAINTAINER_PREFIX)
        return gettext("%(name)s (maintainer)") % {"name": name}
    return str(ACTORS.get(actor, actor))


def state_label(code: str) -> str:
    """A request state's name from its code; "—" for none."""
    if not code:
        return "—"
    return str(S(code).label) if code in S.values else code


class EventColumns:
    """The columns of a timeline event that are stored as codes or English."""

    @admin.display(description=_("who"), ordering="actor")
    def who(self, event: RequestEvent) -> str:
        return actor_label(event.actor)

    @admin.display(description=FROM_STATE)
    def from_state(self, event: RequestEvent) -> str:
        return state_label(event.from_status)

    @admin.display(description=TO_STATE)
    def to_state(self, event: RequestEvent) -> str:
        return state_label(event.to_status)

    @admin.display(description=_("why"))
    def reason(self, event: RequestEvent) -> str:
        """The reasons the code writes, in the maintainer's language; a maintainer's or a
        requester's own words as written (optout/notifications/wording.py)."""
        return why_in_language(event.why) if event.why else ""


class EventInline(EventColumns, ReadOnlyInline):
    model = RequestEvent
    verbose_name = _("event")
    verbose_name_plural = _("timeline")
    fields = readonly_fields = ("at", "kind", "who", "from_state", "to_state", "reason", "public")


PHOTOS_SHOWN = 200


def _thumbnail(photo: Photo) -> str:
    """Flickr's square, or an empty square for a photo we know no picture address of
    (an <img src=""> would show a broken picture, and fetch this page again)."""
    if photo.thumbnail_url:
        return format_html(
            '<img src="{}" width="75" height="75" alt="" loading="lazy" '
            'referrerpolicy="no-referrer">',
            photo.thumbnail_url,
        )
    return mark_safe('<span class="no-thumb" aria-hidden="true"></span>')  # a constant


def photo_grid(removal: RemovalRequest) -> str:
    """The photos in scope as thumbnails with id, dataset and state; the first 200.

    Not an inline: an owner's "all my photos" can be thousands of rows, and an
    inline formset renders every one of them.
    """
    rows = (
        Photo.objects.filter(requestphoto__request=removal)
        .select_related("dataset")
        .order_by("dataset__name", "flickr_id")
    )
    total = rows.count()
    if not total:
        return gettext("None.")
    items = format_html_join(
        "",
        '<li><a href="{}">{}</a><span>{}</span><span>{}</span><span>{}</span></li>',
        (
            (
                photo.flickr_page_url,
                _thumbnail(photo),
                photo.flickr_id,
                str(photo.dataset),
                photo.get_state_display(),
            )
            for photo in rows[:PHOTOS_SHOWN]
        ),
    )
    shown = {"shown": PHOTOS_SHOWN, "total": number_format(total, force_grouping=True)}
    more = (
        gettext("Showing %(shown)s of %(total)s.") % shown
        if total > PHOTOS_SHOWN
        else gettext("%(total)s in all.") % shown
    )
    return format_html('<p>{}</p><ul class="photo-grid">{}</ul>', more, items)


class EmailColumns:
    """The columns of an email's row that are stored as codes or as our English."""

    @admin.display(description=_("kind"), ordering="kind")
    def what(self, entry: EmailLog) -> str:
        return email_kind_label(entry.kind)

    @admin.display(description=EmailLog._meta.get_field("error").verbose_name)
    def error_shown(self, entry: EmailLog) -> str:
        return emails.error_in_language(entry.error)


class EmailInline(EmailColumns, ReadOnlyInline):
    model = EmailLog
    verbose_name = _("email")
    verbose_name_plural = _("emails")
    fields = readonly_fields = (
        "created_at",
        "what",
        "to",
        "outcome",
        "sent_at",
        "attempts",
        "next_attempt_at",
        "error_shown",
    )


class DeletionJobInline(ReadOnlyInline):
    model = DeletionJob
    verbose_name = _("deletion job")
    verbose_name_plural = _("deletion jobs")
    fields = readonly_fields = (
        "dataset",
        "status",
        "progress",
        "attempts",
        "last_error",
        "started_at",
        "worker",
        "finished_at",
    )

    @admin.display(description=_("worker"))
    def worker(self, job: Any) -> str:
        """Which worker holds a running job and when it last said so: a stalled
        heartbeat is what the sweeper re-queues, so a maintainer can see it coming."""
        if job.status != DeletionJob.Status.RUNNING or not job.claimed_by:
            return "—"
        if job.heartbeat_at is None:
            return job.claimed_by
        return gettext("%(worker)s, last heartbeat %(since)s ago") % {
            "worker": job.claimed_by,
            "since": timesince(job.heartbeat_at),
        }

    @admin.display(description=_("progress"))
    def progress(self, job: Any) -> str:
        return gettext("%(done)s of %(total)s") % {"done": job.done, "total": job.total}
