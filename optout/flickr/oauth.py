"""The OAuth 1.0a sign-in (Authlib): a request token, Flickr's approval page, and
the exchange that tells us who signed in. No token outlives `signin_finish`."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth1App, OAuth
from django.conf import settings
from django.utils.translation import gettext as _

from optout.flickr.limits import (
    Purpose,
    _garbled,
    _server_trouble,
    _timed_out,
    _unreachable,
    budget_spend,
)
from optout.flickr.types import (
    NSID_RE,
    FlickrIdentity,
    FlickrNotConfigured,
    FlickrRefused,
    SigninStart,
)

log = logging.getLogger(__name__)


class _NoTokenRecords(logging.Filter):
    """Authlib logs each request token, secret included, at DEBUG: drop those records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "token" not in record.getMessage().lower()


logging.getLogger("authlib.integrations.base_client.sync_app").addFilter(_NoTokenRecords())


# -- OAuth 1.0a --------------------------------------------------------------------
def _raise_on_server_trouble(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    # A requests hook sees the HTTP status that Authlib would fold into a
    # generic OAuthError; 5xx and 429 mean "try later", not "refused".
    trouble = _server_trouble(response)
    if trouble:
        raise trouble


def _oauth_client() -> DjangoOAuth1App:
    if not settings.FLICKR_API_KEY or not settings.FLICKR_API_SECRET:
        raise FlickrNotConfigured(
            _("Signing in with Flickr is not set up on this site yet. Please try again later.")
        )
    # A fresh registry per call: cheap, and it picks up the settings of the moment.
    oauth = OAuth()
    timeout = {"timeout": settings.FLICKR_TIMEOUT}
    oauth.register(
        "flickr",
        client_id=settings.FLICKR_API_KEY,
        client_secret=settings.FLICKR_API_SECRET,
        request_token_url=f"{settings.FLICKR_OAUTH_URL}/request_token",
        request_token_params=timeout,
        access_token_url=f"{settings.FLICKR_OAUTH_URL}/access_token",
        access_token_params=timeout,
        authorize_url=f"{settings.FLICKR_OAUTH_URL}/authorize",
        authorize_params={"perms": "read"},
        client_kwargs={"hooks": {"response": [_raise_on_server_trouble]}},
    )
    return oauth.create_client("flickr")


@contextmanager
def _exchange(what: str, *, refused: str, level: int) -> Iterator[None]:
    """One OAuth exchange's failures as ours: slow or unreachable is "try later",
    Flickr's refusal is FlickrRefused(refused), logged at `level` (our key being
    refused is our fault; a used verifier is the visitor's), a garbled answer
    is treated like a server error."""
    try:
        yield
    except requests.Timeout as exc:
        raise _timed_out() from exc
    except requests.RequestException as exc:
        raise _unreachable() from exc
    except OAuthError as exc:
        log.log(level, "Flickr refused %s: %s", what, exc.error)
        raise FlickrRefused(refused) from exc
    except ValueError as exc:
        raise _garbled() from exc


def signin_start(*, callback_url: str) -> SigninStart:
    """Get a request token and the Flickr page where the person approves read access.

    `callback_url` must carry no %-escapes (keep "next" in the session): Flickr
    and Authlib disagree on how to sign an escaped oauth_callback.

    Raises:
        FlickrUnavailable: Flickr down, slow, 5xx or rate-limited.
        FlickrRefused: Flickr refused our key or signature.
        FlickrNotConfigured: no FLICKR_API_KEY / FLICKR_API_SECRET.
    """
    client = _oauth_client()
    budget_spend(Purpose.SIGNIN)
    with _exchange(
        "our request token request",
        refused=_(
            "Flickr refused to start the sign-in. This is a problem on our side, not "
            "yours; please try again later."
        ),
        level=logging.ERROR,
    ):
        answer = client.create_authorization_url(callback_url)
    token = answer["request_token"]
    # OAuth 1.0a: without the confirmation, the provider ignored our callback.
    if token.get("oauth_callback_confirmed") != "true" or not token.get("oauth_token_secret"):
        raise _garbled()
    return SigninStart(
        authorize_url=answer["url"],
        request_token=token["oauth_token"],
        request_token_secret=token["oauth_token_secret"],
    )


def signin_finish(
    *, request_token: str, request_token_secret: str, verifier: str
) -> FlickrIdentity:
    """Trade the verifier for Flickr's answer and keep only who signed in.

    The access token and its secret are dropped here: we never call Flickr on
    the person's behalf, so nothing that could is ever stored or logged.

    Raises:
        FlickrUnavailable: Flickr down, slow, 5xx or rate-limited.
        FlickrRefused: Flickr refused the verifier (used, expired) or our signature.
        FlickrNotConfigured: no FLICKR_API_KEY / FLICKR_API_SECRET.
    """
    client = _oauth_client()
    budget_spend(Purpose.SIGNIN)
    with _exchange(
        "the access token exchange",
        refused=_(
            "Flickr did not confirm this sign-in: the link may have been used already "
            "or have expired. Please sign in again."
        ),
        level=logging.WARNING,
    ):
        answer = client.fetch_access_token(
            request_token={
                "oauth_token": request_token,
                "oauth_token_secret": request_token_secret,
            },
            oauth_verifier=verifier,
        )
    # Flickr sends user_nsid=12345678%40N01; one decoding gives the NSID, and
    # unquote() is a no-op on it, but rescues a proxy that escaped it twice.
    nsid = unquote(str(answer.get("user_nsid", "")))
    identity = FlickrIdentity(
        nsid=nsid,
        username=str(answer.get("username", "")),
        fullname=str(answer.get("fullname", "")),
    )
    if not NSID_RE.match(identity.nsid):
        raise _garbled()
    return identity
