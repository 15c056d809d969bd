"""Sign in with Flickr (OAuth 1.0a, perms=read): proof that a Flickr account is yours.

The session (database-backed) holds the request token while the person is on
Flickr, and afterwards only who they are: `flickr_identity` = nsid, username,
fullname, verified_at. No access token is ever stored anywhere. The identity is
good for FLICKR_IDENTITY_MAX_AGE_SECONDS after verified_at, and a POST to the
sign-out forgets the whole session before that.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from optout import flickr, recheck
from optout.infra.ratelimit import rate_limit

log = logging.getLogger(__name__)

PENDING_KEY = "flickr_signin_pending"
IDENTITY_KEY = "flickr_identity"
# A digest of the last completed sign-in's request token, so a second visit to
# the same callback gets "already used", not "expired" (and no token stays behind).
USED_KEY = "flickr_signin_used"


@dataclass(frozen=True)
class SignedIn:
    """Who the Flickr sign-in proved this browser to be, and until when that holds."""

    nsid: str
    username: str
    fullname: str
    until: datetime


class SignInExpired(Exception):
    """The sign-in is older than FLICKR_IDENTITY_MAX_AGE_SECONDS; it was dropped."""

    def __init__(self) -> None:
        self.message = _(
            "You signed in with Flickr more than %(duration)s ago, so we signed you out: on "
            "a shared computer, the next person could otherwise see your photos and ask for "
            "removals in your name. Sign in again to go on."
        ) % {"duration": _duration(_max_age())}
        super().__init__(self.message)


def _max_age() -> timedelta:
    return timedelta(seconds=settings.FLICKR_IDENTITY_MAX_AGE_SECONDS)


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds >= 3600 and seconds % 3600 == 0:
        n = seconds // 3600
        return ngettext("%(count)s hour", "%(count)s hours", n) % {"count": n}
    if seconds >= 60 and seconds % 60 == 0:
        n = seconds // 60
        return ngettext("%(count)s minute", "%(count)s minutes", n) % {"count": n}
    return ngettext("%(count)s second", "%(count)s seconds", seconds) % {"count": seconds}


def signed_in(request: HttpRequest) -> SignedIn | None:
    """This browser's Flickr identity while it is fresh; None if it never signed in.

    Raises SignInExpired, after dropping it from the session, once the sign-in is
    older than FLICKR_IDENTITY_MAX_AGE_SECONDS (or carries no date at all).
    """
    data = request.session.get(IDENTITY_KEY)
    if not data or not data.get("nsid"):
        return None
    try:
        verified_at = datetime.fromisoformat(data.get("verified_at") or "")
    except ValueError:
        verified_at = None
    # A sign-in without an aware date (none, or a session from before the date was kept)
    # counts as too old.
    until = verified_at + _max_age() if verified_at and verified_at.tzinfo else None
    if until is None or until <= timezone.now():
        del request.session[IDENTITY_KEY]
        raise SignInExpired
    return SignedIn(
        nsid=data["nsid"],
        username=data.get("username", ""),
        fullname=data.get("fullname", ""),
        until=until,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _default_next() -> str:
    return reverse("my_photos")


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _problem(
    request: HttpRequest,
    *,
    status: int,
    title: str,
    message: str,
    retry_after: int | None = None,
    next_url: str = "",
) -> HttpResponse:
    response = render(
        request,
        "optout/signin_problem.html",
        # "Sign in again" returns to where the person was going.
        {"title": title, "message": message, "next": next_url},
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _flickr_problem(
    request: HttpRequest, error: flickr.FlickrError, next_url: str = ""
) -> HttpResponse:
    if request.session.modified:
        # SessionMiddleware skips saving on 5xx answers; the used-up request
        # token must still leave the session, or a reload would replay it.
        request.session.save()
    if isinstance(error, flickr.FlickrUnavailable | flickr.FlickrNotConfigured):
        return _problem(
            request,
            status=503,
            title=_("Flickr cannot be reached right now"),
            message=error.message,
            retry_after=error.retry_after,
            next_url=next_url,
        )
    return _problem(
        request,
        status=502,
        title=_("Flickr did not confirm the sign-in"),
        message=error.message,
        next_url=next_url,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("signin")
def flickr_signin(request: HttpRequest) -> HttpResponse:
    """GET: the page with the button. POST: off to Flickr."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    if request.method != "POST":
        try:
            identity = signed_in(request)
        except SignInExpired:
            identity = None  # the page that sent them here said why
        return render(request, "optout/signin_start.html", {"next": next_url, "identity": identity})
    # Only a bare path here: Authlib 1.9 signs a %-escaped oauth_callback
    # differently from Flickr's (and oauthlib's) side, which then refuses it.
    callback_url = request.build_absolute_uri(reverse("flickr_callback"))
    try:
        start = flickr.signin_start(callback_url=callback_url)
    except flickr.FlickrError as error:
        log.warning("Flickr sign-in could not start: %s", error)
        return _flickr_problem(request, error, next_url)
    request.session[PENDING_KEY] = {
        "oauth_token": start.request_token,
        "oauth_token_secret": start.request_token_secret,
        "next": next_url,
    }
    return HttpResponseRedirect(start.authorize_url)


@never_cache
@require_GET  # not HEAD: a prefetching HEAD would use up the sign-in
def flickr_callback(request: HttpRequest) -> HttpResponse:
    """Flickr sends the person back here, with a verifier if they said yes."""
    token = request.GET.get("oauth_token", "")
    verifier = request.GET.get("oauth_verifier", "")
    # One callback per request token, whatever its outcome.
    pending: dict[str, Any] | None = request.session.pop(PENDING_KEY, None)

    if pending is None:
        if token and _digest(token) == request.session.get(USED_KEY):
            return _problem(
                request,
                status=400,
                title=_("This sign-in link was already used"),
                message=_(
                    "This sign-in with Flickr has already been completed. If you want "
                    "to sign in again, start from the button below."
                ),
            )
        return _problem(
            request,
            status=400,
            title=_("Your sign-in expired"),
            message=_(
                "We have no sign-in with Flickr waiting for this browser; it may have "
                "taken too long, or cookies may be blocked. Please start again."
            ),
        )
    if token and token != pending["oauth_token"]:
        log.warning("Flickr callback with a token we did not issue to this session")
        return _problem(
            request,
            status=400,
            title=_("This sign-in link is not yours"),
            message=_(
                "This link back from Flickr does not belong to the sign-in started in "
                "this browser, so we ignored it. Please start again."
            ),
            next_url=pending.get("next", ""),
        )
    if not verifier:
        return _problem(
            request,
            status=400,
            title=_("You cancelled the sign-in"),
            message=_(
                "You did not authorize optout on Flickr, so we know nothing about your "
                "account and nothing was shared. You can sign in whenever you like."
            ),
            next_url=pending.get("next", ""),
        )
    if not token:
        return _problem(
            request,
            status=400,
            title=_("This sign-in link is incomplete"),
            message=_(
                "The link back from Flickr is missing part of its address. Please start again."
            ),
            next_url=pending.get("next", ""),
        )

    try:
        identity = flickr.signin_finish(
            request_token=pending["oauth_token"],
            request_token_secret=pending["oauth_token_secret"],
            verifier=verifier,
        )
    except flickr.FlickrError as error:
        log.warning("Flickr sign-in could not finish: %s", error)
        return _flickr_problem(request, error, pending.get("next", ""))

    # A new session key on sign-in: a key planted before it (fixation) is worthless after.
    request.session.cycle_key()
    request.session[IDENTITY_KEY] = {
        "nsid": identity.nsid,
        "username": identity.username,
        "fullname": identity.fullname,
        "verified_at": timezone.now().isoformat(),
    }
    request.session[USED_KEY] = _digest(pending["oauth_token"])
    log.info("Signed in with Flickr as %s", identity.nsid)
    # Their public photos, read in the background: they find theirs in datasets of links.
    recheck.listing_start(nsid=identity.nsid, username=identity.username)
    return HttpResponseRedirect(pending.get("next") or _default_next())


@never_cache
@require_POST
def flickr_signout(request: HttpRequest) -> HttpResponse:
    """Forget this browser's sign-in and everything the session held (ticks, the email)."""
    request.session.flush()
    messages.success(
        request,
        _(
            "You are signed out of optout. On a shared computer, sign out of Flickr too "
            "(on flickr.com): while you are signed in there, anyone at this computer can "
            "sign in here as you."
        ),
    )
    return redirect("home")
