"""Secret links into a request: random tokens, of which only a SHA-256 is kept."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from optout.models import RemovalRequest, RequestLink

CONFIRM_LINK_LIFETIME = timedelta(days=7)
# What the pages and emails tell a requester: the link works this many days.
CONFIRM_LINK_DAYS = CONFIRM_LINK_LIFETIME.days


class LinkInvalid(Exception):
    """Unknown, expired, used, or for another purpose: all look the same from outside."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_mint(*, removal: RemovalRequest, purpose: str) -> str:
    """A new link into `removal`; returns the token, which is never stored."""
    token = secrets.token_urlsafe(24)  # 192 bits
    confirm = purpose == RequestLink.Purpose.CONFIRM
    expires = timezone.now() + CONFIRM_LINK_LIFETIME if confirm else None
    RequestLink.objects.create(
        request=removal, purpose=purpose, token_hash=token_hash(token), expires_at=expires
    )
    return token


def link_find(*, token: str, purpose: str) -> RequestLink:
    """The live link for `token`, or LinkInvalid.

    The lookup is by hash (an index seek, no timing signal about the token);
    the final comparison is constant-time all the same.
    """
    if not token or len(token) > 64:
        raise LinkInvalid
    digest = token_hash(token)
    link = (
        RequestLink.objects.select_related("request")
        .filter(token_hash=digest, purpose=purpose, used_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .first()
    )
    if link is None or not hmac.compare_digest(link.token_hash, digest):
        raise LinkInvalid
    return link


def link_spend(*, link: RequestLink) -> None:
    """Spend a single-use link; a second use (or a race) gets LinkInvalid."""
    spent = RequestLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not spent:
        raise LinkInvalid


def links_expire_unused(*, removal: RemovalRequest, purpose: str) -> None:
    """Make earlier unused links of this purpose dead (e.g. confirm links once confirmed)."""
    RequestLink.objects.filter(request=removal, purpose=purpose, used_at__isnull=True).update(
        used_at=F("created_at")
    )
