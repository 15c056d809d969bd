"""What the Flickr seam hands its callers: frozen dataclasses, and errors whose
messages can be shown to a person as they are."""

import re
from dataclasses import dataclass

NSID_RE = re.compile(r"^[0-9]+@N[0-9]{2}$")
PHOTO_ID_RE = re.compile(r"^[0-9]{1,20}$")
# Characters Flickr allows in a custom profile URL (path alias).
PATH_ALIAS_RE = re.compile(r"^[A-Za-z0-9_@-]+$")
# Flickr's stat=fail codes that mean "our key or signature is wrong", not "try later".
REFUSED_CODES = frozenset({95, 96, 97, 98, 99, 100})
UNAVAILABLE_CODES = frozenset({105, 106})
HOUR = 3600
# Without Retry-After, a rate-limited key waits this long before we try again.
DEFAULT_BACKOFF_SECONDS = 300


class FlickrError(Exception):
    """Anything that went wrong talking to Flickr. `str(error)` is fit to show."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Seconds after which trying again makes sense, when we know it.
        self.retry_after = retry_after


class FlickrNotFound(FlickrError):
    """Flickr has no such user or photo (or the photo is private)."""


class FlickrUnavailable(FlickrError):
    """Flickr is down, slow, overloaded, or we are over our hourly budget."""


class FlickrRefused(FlickrError):
    """Flickr refused our credentials (API key, signature) or the sign-in itself."""


class FlickrNotConfigured(FlickrError):
    """No Flickr API key is set on this site."""


@dataclass(frozen=True)
class FlickrUser:
    nsid: str
    username: str


@dataclass(frozen=True)
class FlickrPhoto:
    id: int
    owner_nsid: str
    owner_username: str
    title: str


@dataclass(frozen=True)
class FlickrIdentity:
    """Who signed in, as Flickr confirmed it. Holds no token."""

    nsid: str
    username: str
    fullname: str


@dataclass(frozen=True)
class SigninStart:
    """Where to send the person, and the request token to keep server-side until they return."""

    authorize_url: str
    request_token: str
    request_token_secret: str
