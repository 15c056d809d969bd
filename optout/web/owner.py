"""The owner's pages after sign-in: choose photos, file, follow the request, confirm email."""

from collections.abc import Iterable, Iterator
from typing import Any, TypedDict, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from optout import licensees, recheck, secret_links, workflow
from optout.infra.csvfile import csv_lines
from optout.infra.ratelimit import rate_limit
from optout.lookup import base58_encode
from optout.models import Photo, RemovalRequest, RequestEvent, RequestLink
from optout.notifications import wording
from optout.requests import confirmation, filing, selectors
from optout.web.signin import SignedIn, SignInExpired, signed_in

SELECTION_KEY = "photo_selection"
STATUS_PHOTOS = 60  # photos listed on a status page; the receipt lists all
S = RemovalRequest.Status
STEPS = [
    (S.VERIFIED, gettext_lazy("Filed and verified")),
    (S.APPROVED, gettext_lazy("Approved")),
    (S.DELETING, gettext_lazy("Deleting")),
    (S.COMPLETED, gettext_lazy("Completed")),
]
# A person shown in a photo: their request is read by a maintainer first.
SHOWN_STEPS = [
    (S.PENDING_EMAIL, gettext_lazy("Filed")),
    (S.NEEDS_REVIEW, gettext_lazy("Under review")),
    (S.APPROVED, gettext_lazy("Approved")),
    (S.DELETING, gettext_lazy("Deleting")),
    (S.COMPLETED, gettext_lazy("Completed")),
]


class FileForm(forms.Form):
    scope = forms.ChoiceField(
        choices=[("all", "all"), ("selected", "selected")], initial="all", required=False
    )
    photo = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    shown = forms.CharField(required=False)
    future_releases = forms.BooleanField(required=False)
    email = forms.EmailField(
        required=False,
        max_length=254,
        error_messages={"invalid": gettext_lazy("Enter an email address like name@example.org.")},
    )

    def __init__(self, *args: Any, page_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        photo = cast(forms.TypedMultipleChoiceField, self.fields["photo"])
        photo.choices = [(pk, pk) for pk in page_ids]


class Selection(TypedDict):
    """What the owner chose on the photo pages, kept in the session from page to page."""

    nsid: str
    ids: list[int]
    scope: str
    email: str
    future: bool


def _selection(request: HttpRequest, nsid: str) -> Selection:
    saved: Selection | None = request.session.get(SELECTION_KEY)
    if not saved or saved.get("nsid") != nsid:
        saved = {"nsid": nsid, "ids": [], "scope": "all", "email": "", "future": False}
    return saved


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("forms")
def my_photos(request: HttpRequest) -> HttpResponse:
    try:
        signin = signed_in(request)
    except SignInExpired as expired:
        messages.info(request, expired.message)
        signin = None
    else:
        if signin is None:
            messages.info(
                request, _("Sign in with Flickr first, so we know which photos are yours.")
            )
    if signin is None:
        return redirect(f"{reverse('flickr_signin')}?next={reverse('my_photos')}")
    photos = selectors.owner_photos(nsid=signin.nsid)
    paginator = Paginator(photos, settings.PHOTOS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page") or request.POST.get("page"))
    page_photos = list(page.object_list)
    page_ids = [p.pk for p in page_photos]
    selection = _selection(request, signin.nsid)
    form = FileForm(request.POST or None, page_ids=page_ids)

    if request.method == "POST" and form.is_valid():
        # Ticks on this page replace what was saved for this page; others stay.
        ids = (set(selection["ids"]) - set(page_ids)) | set(form.cleaned_data["photo"])
        selection.update(
            {
                "ids": sorted(ids),
                "scope": form.cleaned_data["scope"] or "all",
                "email": form.cleaned_data["email"],
                "future": form.cleaned_data["future_releases"],
            }
        )
        request.session[SELECTION_KEY] = selection
        action = request.POST.get("action", "file")
        if action.startswith("page:"):
            target = action.removeprefix("page:")
            return redirect(f"{reverse('my_photos')}?page={target}")
        return _file(request, signin, selection, form, paginator, page)

    return _photos_page(request, signin, selection, form, paginator, page)


def _file(
    request: HttpRequest,
    signin: SignedIn,
    selection: Selection,
    form: FileForm,
    # Generic in the stubs only: quoted, as at run time neither class takes [Photo].
    paginator: "Paginator[Photo]",
    page: "Page[Photo]",
) -> HttpResponse:
    if not selection["email"]:
        form.add_error("email", _("Give an email address, so we can send you your request's link."))
    if selection["scope"] == "selected" and not selection["ids"]:
        form.add_error("photo", _("Tick at least one photo, or choose to remove all of them."))
    ticked = len(form.cleaned_data.get("photo") or ())
    if selection["scope"] == "all" and ticked:
        # Ticks with "all" chosen: removing everything would be more than the
        # person may have meant, so ask rather than guess.
        form.add_error(
            "scope",
            ngettext(
                "You ticked %(count)s photo but chose to remove all your photos. Choose "
                "“Only the photos I tick below” to remove just that one, or untick it to "
                "remove all.",
                "You ticked %(count)s photos but chose to remove all your photos. Choose "
                "“Only the photos I tick below” to remove just those, or untick them to "
                "remove all.",
                ticked,
            )
            % {"count": number_format(ticked, force_grouping=True)},
        )
    if form.errors:
        return _photos_page(request, signin, selection, form, paginator, page, status=400)
    try:
        filed = filing.request_create(
            identity=filing.Identity(nsid=signin.nsid, username=signin.username),
            email=str(selection["email"]),
            photo_ids=None if selection["scope"] == "all" else list(selection["ids"]),
            future_releases=bool(selection["future"]),
            language=translation.get_language(),
        )
    except filing.NothingToRemove:
        form.add_error("photo", _("None of the photos you chose is still in a dataset."))
        return _photos_page(request, signin, selection, form, paginator, page, status=400)
    request.session.pop(SELECTION_KEY, None)
    if filed.outcome == "created":
        messages.success(
            request,
            _(
                "Request %(id)s is filed. We sent a confirmation link to %(email)s. Keep "
                "this page's address: it is your private link."
            )
            % {"id": filed.removal.public_id, "email": filed.removal.email},
        )
    elif filed.outcome == "joined":
        messages.success(
            request,
            _("Your photos were added to your open request %(id)s.")
            % {"id": filed.removal.public_id},
        )
    else:
        messages.info(
            request,
            _("These photos are already in your open request %(id)s.")
            % {"id": filed.removal.public_id},
        )
    return redirect("request_status", token=filed.status_token)


def _photos_page(
    request: HttpRequest,
    signin: SignedIn,
    selection: Selection,
    form: FileForm,
    paginator: "Paginator[Photo]",
    page: "Page[Photo]",
    status: int = 200,
) -> HttpResponse:
    per_dataset = selectors.owner_photo_counts(nsid=signin.nsid)
    groups: dict[str, list[Photo]] = {}
    for photo in page.object_list:
        groups.setdefault(str(photo.dataset), []).append(photo)
    context = {
        "identity": signin,
        "per_dataset": per_dataset,
        "total": paginator.count,
        "page": page,
        "groups": groups,
        "selected": set(selection["ids"]),
        "selection": selection,
        "form": form,
        # Their public photos on Flickr, read since sign-in (datasets of links).
        "listing": recheck.listing_progress(nsid=signin.nsid),
    }
    return render(request, "optout/my_photos.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD"])
def my_photos_listing(request: HttpRequest) -> JsonResponse:
    """How far the reading of the owner's public photos on Flickr has come, for the
    page's script (static/optout/listing.js); without it, a refresh shows the same."""
    try:
        signin = signed_in(request)
    except SignInExpired as expired:
        return JsonResponse({"error": expired.message}, status=403)
    if signin is None:
        return JsonResponse({"error": _("Sign in with Flickr first.")}, status=403)
    progress = recheck.listing_progress(nsid=signin.nsid)
    total = selectors.owner_photos(nsid=signin.nsid).count()
    body = progress.as_json() if progress else {"status": "none", "done": True}
    return JsonResponse({**body, "total": total})


def _status_link(token: str) -> RequestLink:
    try:
        return secret_links.link_find(token=token, purpose=RequestLink.Purpose.STATUS)
    except secret_links.LinkInvalid:
        raise Http404("No such request.") from None


@never_cache
@require_http_methods(["GET", "HEAD"])
def request_status(request: HttpRequest, token: str) -> HttpResponse:
    removal = _status_link(token).request
    total = removal.photos.count()
    removed = removal.photos.filter(state=Photo.State.REMOVED).count()
    shown = removal.kind == RemovalRequest.Kind.SHOWN
    steps = SHOWN_STEPS if shown else STEPS
    reached: list[str] = [step for step, _ in steps]
    current = reached.index(removal.status) if removal.status in reached else -1
    if removal.status == S.FAILED:
        current = reached.index(S.DELETING)
    finished = removal.status == S.COMPLETED
    context = {
        "removal": removal,
        "token": token,
        "total": total,
        "removed": removed,
        "steps": [
            {
                "status": status,
                "label": label,
                "done": i < current or finished,
                "now": i == current and not finished,
            }
            for i, (status, label) in enumerate(steps)
        ],
        "events": _labelled(removal.events.filter(public=True)),
        "reject_reason": wording.reason_in_language(removal.reject_reason),
        "photos": [] if shown else _photos_shown(removal),
        "photo_links": _photo_links(removal) if shown else [],
        "can_cancel": workflow.can_move(removal.status, S.CANCELLED),
        # The copies organisations hold, and how many confirmed deleting (licensees).
        "copies": licensees.request_copies(removal=removal) if finished else None,
    }
    return render(request, "optout/request_status.html", context)


def _photos_shown(removal: RemovalRequest) -> list[Photo]:
    """An owner's photos as they chose them: thumbnails and titles are theirs to see."""
    photos = removal.photos.select_related("dataset").order_by("dataset__name", "flickr_id")
    return list(photos[:STATUS_PHOTOS])


def _photo_links(removal: RemovalRequest) -> list[dict[str, object]]:
    """A shown-in-photo request's photos as links and states, nothing more.

    Anyone can name any photo ids in the report form and read this page before
    confirming anything: no title, owner or thumbnail (its URL holds the photo's
    secret), and a flic.kr link, which names no owner.
    """
    rows = removal.photos.order_by("dataset__name", "flickr_id").values_list(
        "flickr_id", "dataset__name", "state"
    )
    return [
        {
            "flickr_id": flickr_id,
            "url": f"https://flic.kr/p/{base58_encode(flickr_id)}",
            "dataset": dataset,
            "removed": state == Photo.State.REMOVED,
        }
        for flickr_id, dataset, state in rows[:STATUS_PHOTOS]
    ]


def _labelled(events: Iterable[RequestEvent]) -> list[RequestEvent]:
    """Events with the state they moved to in words ("needs review", not needs_review)."""
    labels = dict(S.choices)
    labelled = list(events)
    for event in labelled:
        # ignore[attr-defined]: a label for the template, not a field of the model.
        event.to_label = labels.get(event.to_status, event.to_status)  # type: ignore[attr-defined]
        event.why_shown = wording.why_in_language(event.why)  # type: ignore[attr-defined]
    return labelled


@require_POST
@rate_limit("forms")
def request_cancel(request: HttpRequest, token: str) -> HttpResponse:
    removal = _status_link(token).request
    try:
        filing.request_cancel(removal=removal)
        messages.success(
            request,
            _("Request %(id)s is cancelled. Nothing was deleted.") % {"id": removal.public_id},
        )
    except workflow.TransitionRefused as refused:
        messages.error(
            request,
            _("This request can no longer be cancelled: %(why)s") % {"why": refused.message},
        )
    return redirect("request_status", token=token)


@never_cache
def request_receipt(request: HttpRequest, token: str) -> StreamingHttpResponse:
    removal = _status_link(token).request
    if removal.status != S.COMPLETED:
        raise Http404("The receipt exists once the request is completed.")
    rows = (
        removal.photos.filter(state=Photo.State.REMOVED)
        .values_list(
            "dataset__slug",
            "dataset__release",
            "flickr_id",
            "removed_at",
            "dataset_id",
            "feed_entry__seq",
            "feed_entry__removed_at",
        )
        .order_by("dataset__slug", "flickr_id")
    )
    # Per photo: the copies organisations hold of it, and how many confirmed deleting it.
    copies = licensees.receipt_counter(removal=removal)

    def values() -> Iterator[list[object]]:
        for slug, release, flickr_id, removed_at, dataset_id, seq, in_feed in rows.iterator():
            stamp = removed_at.isoformat() if removed_at else ""
            confirmed, known = copies(dataset_id, seq, in_feed)
            yield [removal.public_id, slug, release, flickr_id, stamp, confirmed, known]

    header = ["request", "dataset", "release", "photo_id", "removed_at"]
    header += ["copies_confirmed", "copies_known"]
    lines = csv_lines(values(), header=header)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    filename = f"optout-receipt-{removal.public_id}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("forms")
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: a mail scanner that prefetches the link confirms nothing.
    if request.method != "POST":
        try:
            link = secret_links.link_find(token=token, purpose=RequestLink.Purpose.CONFIRM)
        except secret_links.LinkInvalid:
            return _confirm_invalid(request)
        return render(request, "optout/email_confirm.html", {"removal": link.request})
    try:
        removal = confirmation.email_confirm(token=token)
    except secret_links.LinkInvalid:
        return _confirm_invalid(request)
    return render(request, "optout/email_confirmed.html", {"removal": removal})


def _confirm_invalid(request: HttpRequest) -> HttpResponse:
    context = {"confirm_days": secret_links.CONFIRM_LINK_DAYS}
    return render(request, "optout/email_confirm_invalid.html", context, status=404)
