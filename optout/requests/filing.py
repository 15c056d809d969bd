"""Filing removal requests: an owner after the Flickr sign-in, or a person shown in a photo."""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from optout import lookup, secret_links, workflow
from optout.models import (
    CLOSED_STATUSES,
    Photo,
    RemovalRequest,
    RequestEvent,
    RequestLink,
    RequestPhoto,
)
from optout.notifications import emails
from optout.requests import review
from optout.requests.selectors import owner_photos

S = RemovalRequest.Status
# Crockford's base32 without I, L, O, U: easy to read out on the phone.
PUBLIC_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
JOINABLE = frozenset({S.VERIFIED, S.NEEDS_REVIEW})


class NothingToRemove(Exception):
    """The owner has no photo in scope in any dataset we cover."""


@dataclass(frozen=True)
class Identity:
    """Who the Flickr sign-in proved the person to be."""

    nsid: str
    username: str


@dataclass(frozen=True)
class Filed:
    removal: RemovalRequest
    status_token: str
    outcome: str  # "created", "joined" (photos added to an open request), "existing"


def _public_id() -> str:
    return "R-" + "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(8))


def request_create(
    *,
    identity: Identity,
    email: str,
    photo_ids: list[int] | None,
    future_releases: bool,
    language: str = "",
) -> Filed:
    """File an owner's removal request: `photo_ids` None means every present photo.
    `language`: the page's, which every email about it is written in.

    Photos already in an open request of the same owner are not filed twice:
    new photos join an open request that has not been approved yet, and a
    request whose photos are all already in one points to that request.
    """
    with transaction.atomic():
        photos = owner_photos(nsid=identity.nsid)
        if photo_ids is not None:
            photos = photos.filter(pk__in=photo_ids)
        chosen = set(photos.values_list("pk", flat=True))
        if not chosen:
            raise NothingToRemove
        open_requests = RemovalRequest.objects.filter(
            kind=RemovalRequest.Kind.OWNER, owner_nsid=identity.nsid
        ).exclude(status__in=CLOSED_STATUSES)
        already = set(
            RequestPhoto.objects.filter(request__in=open_requests, photo_id__in=chosen).values_list(
                "photo_id", flat=True
            )
        )
        new = chosen - already
        if not new:
            existing = open_requests.filter(requestphoto__photo_id__in=chosen).first()
            assert existing is not None
            token = secret_links.link_mint(removal=existing, purpose=RequestLink.Purpose.STATUS)
            return Filed(existing, token, "existing")
        joinable = open_requests.filter(status__in=JOINABLE).order_by("-created_at").first()
        if joinable is not None:
            _photos_add(joinable, new)
            if future_releases and not joinable.future_releases:
                joinable.future_releases = True
                joinable.save(update_fields=["future_releases", "updated_at"])
            RequestEvent.objects.create(
                request=joinable,
                kind=RequestEvent.Kind.JOINED,
                actor="requester",
                why=f"{len(new)} more photo{'s' if len(new) != 1 else ''} added to this request.",
            )
            token = secret_links.link_mint(removal=joinable, purpose=RequestLink.Purpose.STATUS)
            return Filed(joinable, token, "joined")

        removal = _request_insert(
            kind=RemovalRequest.Kind.OWNER,
            status=S.VERIFIED,
            owner_nsid=identity.nsid,
            flickr_username=identity.username,
            email=email,
            future_releases=future_releases,
            scope=RemovalRequest.Scope.ALL if photo_ids is None else RemovalRequest.Scope.SELECTED,
            language=language_of(language),
        )
        _photos_add(removal, new)
        RequestEvent.objects.create(
            request=removal,
            actor="requester",
            to_status=S.VERIFIED,
            why=f"Filed after signing in with Flickr as {identity.username or identity.nsid}.",
        )
        token = secret_links.link_mint(removal=removal, purpose=RequestLink.Purpose.STATUS)
        emails.email_enqueue(removal=removal, kind="received")
        if settings.AUTO_APPROVE_OWNER_REQUESTS:
            review.request_approve(
                removal=removal,
                actor="system",
                why="Approved automatically: the owner proved the photos are theirs.",
            )
        else:
            workflow.request_move(
                removal=removal,
                to=S.NEEDS_REVIEW,
                actor="system",
                why="Waiting for a maintainer: automatic approval is off.",
            )
        return Filed(removal, token, "created")


def language_of(code: str) -> str:
    """One of settings.LANGUAGES for `code` ("es-MX" → "es"); the default for none or another."""
    try:
        return translation.get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def _request_insert(**fields: object) -> RemovalRequest:
    """A new request with a freshly drawn public id and the deadline from policy."""
    deadline = timezone.now() + timedelta(days=settings.REQUEST_DEADLINE_DAYS)
    for _ in range(5):
        try:
            with transaction.atomic():
                return RemovalRequest.objects.create(
                    public_id=_public_id(), deadline=deadline, **fields
                )
        except IntegrityError:
            continue  # a public id collision (40 bits): draw again
    raise RuntimeError("could not draw a free public id")


def _photos_add(removal: RemovalRequest, photo_ids: set[int]) -> None:
    RequestPhoto.objects.bulk_create(
        [RequestPhoto(request=removal, photo_id=pk) for pk in sorted(photo_ids)],
        batch_size=2000,
        ignore_conflicts=True,
    )


def request_cancel(*, removal: RemovalRequest) -> RemovalRequest:
    """The requester withdraws, while nothing has been deleted (workflow refuses after)."""
    return workflow.request_move(
        removal=removal, to=S.CANCELLED, actor="requester", why="Cancelled by the requester."
    )


MAX_SHOWN_LINKS = 200


class ConfirmationPending(Exception):
    """The address has a report still waiting for its confirmation: we send it nothing more."""

    def __init__(self, email: str) -> None:
        super().__init__(email)
        self.email = email


class ShownRequestInvalid(Exception):
    """Links we cannot read or photos in no dataset: the form shows `problems`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ParsedLinks:
    photo_ids: dict[str, int]  # the line as given → the photo id it names
    unreadable: list[tuple[str, str]]  # the line, and why we could not read it
    unknown: list[str]  # lines naming a photo that is in no dataset we cover


def photo_links_parse(*, text: str) -> ParsedLinks:
    """Read one photo link or id per line (or separated by spaces or commas)."""
    items = [item for item in text.replace(",", " ").split() if item]
    photo_ids: dict[str, int] = {}
    unreadable: list[tuple[str, str]] = []
    for item in items[: MAX_SHOWN_LINKS + 1]:
        try:
            query = (
                lookup.PhotoQuery(int(item))
                if item.isascii() and item.isdigit()
                else lookup.query_parse(text=item)
            )
        except lookup.QueryInvalid as problem:
            unreadable.append((item, problem.message))
            continue
        if not isinstance(query, lookup.PhotoQuery) or not 0 < query.photo_id <= 2**63 - 1:
            unreadable.append((item, gettext("This names an account, not one photo.")))
            continue
        photo_ids[item] = query.photo_id
    known = set(
        Photo.objects.filter(flickr_id__in=set(photo_ids.values())).values_list(
            "flickr_id", flat=True
        )
    )
    unknown = [item for item, photo_id in photo_ids.items() if photo_id not in known]
    return ParsedLinks(photo_ids, unreadable, unknown)


def shown_request_create(
    *,
    email: str,
    links_text: str,
    relation: str,
    statement: str,
    contact: str = "",
    photo_pks: Iterable[int] = (),
    language: str = "",
) -> RemovalRequest:
    """File a request of a person shown in a photo; it waits for their email confirmation.

    `photo_pks`: photos the look-up by picture found for them (they never saw which),
    filed with those their links name."""
    parsed = photo_links_parse(text=links_text)
    matched = set(
        Photo.objects.filter(pk__in=list(photo_pks), state=Photo.State.PRESENT).values_list(
            "pk", flat=True
        )
    )
    problems = [f"“{item}”: {why}" for item, why in parsed.unreadable]
    problems += [
        gettext("“%(item)s” is not in any dataset we cover.") % {"item": item}
        for item in parsed.unknown
    ]
    if len(links_text.split()) > MAX_SHOWN_LINKS:
        problems.append(gettext("At most %(most)s photos per request.") % {"most": MAX_SHOWN_LINKS})
    if not parsed.photo_ids and not matched and not problems:
        problems.append(gettext("Give at least one photo link or photo id."))
    if problems:
        raise ShownRequestInvalid(problems)
    with transaction.atomic():
        _confirmation_pending_check(email)
        removal = _request_insert(
            kind=RemovalRequest.Kind.SHOWN,
            status=S.PENDING_EMAIL,
            scope=RemovalRequest.Scope.SELECTED,
            email=email,
            relation=relation.strip(),
            statement=statement.strip(),
            contact=contact.strip(),
            photo_links=links_text.strip(),
            language=language_of(language),
        )
        photos = Photo.objects.filter(flickr_id__in=set(parsed.photo_ids.values()))
        _photos_add(removal, set(photos.values_list("pk", flat=True)) | matched)
        by_picture = (
            f" {len(matched)} of the photos were found by the picture they uploaded."
            if matched
            else ""
        )
        RequestEvent.objects.create(
            request=removal,
            actor="requester",
            to_status=S.PENDING_EMAIL,
            why="Filed by a person shown in the photos; waiting for email confirmation."
            + by_picture,
        )
        emails.email_enqueue(removal=removal, kind="shown_received")
    return removal


def _confirmation_pending_check(email: str) -> None:
    """Raise ConfirmationPending if `email` has a report whose confirmation link still works.

    Anyone can type any address into the form, and each report mails it (and
    reminds it later): one unconfirmed report at a time per address bounds that
    to one email and one reminder a week. A confirmed, cancelled or expired one
    does not count. Two posts at the same moment queue on a lock per address
    (PostgreSQL; SQLite runs one writer at a time anyway).
    """
    address = email.strip().lower()
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(address.encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    pending = RemovalRequest.objects.filter(
        kind=RemovalRequest.Kind.SHOWN,
        status=S.PENDING_EMAIL,
        email_confirmed_at__isnull=True,
        email__iexact=address,
        created_at__gt=timezone.now() - secret_links.CONFIRM_LINK_LIFETIME,
    )
    if pending.exists():
        raise ConfirmationPending(email)
