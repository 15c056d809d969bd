"""The form for a person shown in a photo they do not own."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from optout import secret_links
from optout.infra.ratelimit import rate_limit
from optout.pictures import ref_forget, ref_photos
from optout.requests import filing


class ReportForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        error_messages={
            "required": gettext_lazy("Give an email address: we confirm it before anything else."),
            "invalid": gettext_lazy("Enter an email address like name@example.org."),
        },
    )
    links = forms.CharField(
        max_length=20_000,
        error_messages={"required": gettext_lazy("Give at least one photo link or photo id.")},
    )
    relation = forms.CharField(
        max_length=200,
        error_messages={
            "required": gettext_lazy(
                "Tell us how you relate to the photos (for example: I am in them)."
            )
        },
    )
    statement = forms.CharField(
        max_length=5000,
        error_messages={
            "required": gettext_lazy("Tell us, in a few words, why these photos should go.")
        },
    )
    contact = forms.CharField(max_length=500, required=False)
    # The look-up by picture's opaque reference to the photos it found (optout/pictures/).
    ref = forms.CharField(max_length=100, required=False)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("forms")
def report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST or None)
    problems: list[str] = []
    pending = ""
    ref, matched = _picture_ref(request)
    if matched:
        form.fields["links"].required = False
    if request.method == "POST" and form.is_valid() and not (ref and matched is None):
        data = form.cleaned_data
        try:
            removal = filing.shown_request_create(
                email=data["email"],
                links_text=data["links"],
                relation=data["relation"],
                statement=data["statement"],
                contact=data["contact"],
                photo_pks=matched or (),
                language=translation.get_language(),
            )
        except filing.ShownRequestInvalid as invalid:
            problems = invalid.problems
        except filing.ConfirmationPending as waiting:
            # Not an error in what they typed: the form comes back as it was, to send
            # again once the first report is confirmed.
            pending = waiting.email
        else:
            if matched:
                ref_forget(token=ref)
            context = {"removal": removal, "confirm_days": secret_links.CONFIRM_LINK_DAYS}
            return render(request, "optout/report_filed.html", context)
    status = 400 if request.method == "POST" and not pending else 200
    context = {"form": form, "problems": problems, "pending": pending}
    # How long the confirmation link works, and so how long an unconfirmed report is kept.
    context["confirm_days"] = secret_links.CONFIRM_LINK_DAYS
    context |= {"ref": ref if matched else "", "ref_matched": len(matched or ())}
    context["ref_expired"] = bool(ref) and matched is None
    return render(request, "optout/report_form.html", context, status=status)


def _picture_ref(request: HttpRequest) -> tuple[str, list[int] | None]:
    """The reference a look-up by picture sent here (?ref=, then the form's hidden field),
    and the photos it holds: None once expired or unknown."""
    source = request.POST if request.method == "POST" else request.GET
    ref = source.get("ref", "").strip()[:100]
    return ref, ref_photos(token=ref) if ref else None
