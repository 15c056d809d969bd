"""Use-cases of removal requests: `<noun>_<verb>(*, ...)`, transactional.

Views, admin actions, commands and tasks all call these; they raise the small
set of domain errors below, which views turn into clear messages.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from optout import emails, links, workflow
from optout.models import (
    CLOSED_STATUSES,
    EmailLog,
    Photo,
    RemovalRequest,
    RequestEvent,
    RequestLink,
    RequestPhoto,
)

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
    request: RemovalRequest
    status_token: str
    outcome: str  # "created", "joined" (photos added to an open request), "existing"


def owner_photos(*, nsid: str) -> QuerySet[Photo]:
    """The owner's photos still present in any dataset, in a stable order for paging."""
    return (
        Photo.objects.filter(owner_nsid=nsid, state=Photo.State.PRESENT)
        .select_related("dataset")
        .order_by("dataset__name", "dataset_id", "flickr_id")
    )


def _public_id() -> str:
    return "R-" + "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(8))


def request_create(
    *,
    identity: Identity,
    email: str,
    photo_ids: list[int] | None,
    future_releases: bool,
) -> Filed:
    """File an owner's removal request: `photo_ids` None means every present photo.

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
            token = links.link_mint(request=existing, purpose=RequestLink.Purpose.STATUS)
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
            token = links.link_mint(request=joinable, purpose=RequestLink.Purpose.STATUS)
            return Filed(joinable, token, "joined")

        request = _request_insert(
            identity=identity,
            email=email,
            future_releases=future_releases,
            scope=RemovalRequest.Scope.ALL if photo_ids is None else RemovalRequest.Scope.SELECTED,
        )
        _photos_add(request, new)
        RequestEvent.objects.create(
            request=request,
            actor="requester",
            to_status=S.VERIFIED,
            why=f"Filed after signing in with Flickr as {identity.username or identity.nsid}.",
        )
        token = links.link_mint(request=request, purpose=RequestLink.Purpose.STATUS)
        emails.email_queue(request=request, kind="received")
        if settings.AUTO_APPROVE_OWNER_REQUESTS:
            workflow.request_move(
                request=request,
                to=S.APPROVED,
                actor="system",
                why="Approved automatically: the owner proved the photos are theirs.",
            )
        return Filed(request, token, "created")


def _request_insert(
    *, identity: Identity, email: str, future_releases: bool, scope: str
) -> RemovalRequest:
    for _ in range(5):
        try:
            with transaction.atomic():
                return RemovalRequest.objects.create(
                    public_id=_public_id(),
                    kind=RemovalRequest.Kind.OWNER,
                    status=S.VERIFIED,
                    owner_nsid=identity.nsid,
                    flickr_username=identity.username,
                    email=email,
                    scope=scope,
                    future_releases=future_releases,
                    deadline=timezone.now() + timedelta(days=settings.REQUEST_DEADLINE_DAYS),
                )
        except IntegrityError:
            continue  # a public id collision (40 bits): draw again
    raise RuntimeError("could not draw a free public id")


def _photos_add(request: RemovalRequest, photo_ids: set[int]) -> None:
    RequestPhoto.objects.bulk_create(
        [RequestPhoto(request=request, photo_id=pk) for pk in sorted(photo_ids)],
        batch_size=2000,
        ignore_conflicts=True,
    )


def request_cancel(*, request: RemovalRequest) -> RemovalRequest:
    """The requester withdraws, while nothing has been deleted (workflow refuses after)."""
    return workflow.request_move(
        request=request, to=S.CANCELLED, actor="requester", why="Cancelled by the requester."
    )


def email_confirm(*, token: str) -> RemovalRequest:
    """Confirm the requester's address with a single-use link; raises links.LinkInvalid.

    The requester then gets the latest news they missed (the receipt, if the
    request already completed) and status news from then on.
    """
    with transaction.atomic():
        link = links.link_find(token=token, purpose=RequestLink.Purpose.CONFIRM)
        links.link_use(link=link)
        request = RemovalRequest.objects.select_for_update().get(pk=link.request_id)
        if request.email_confirmed_at is None:
            request.email_confirmed_at = timezone.now()
            request.save(update_fields=["email_confirmed_at", "updated_at"])
            RequestEvent.objects.create(
                request=request,
                kind=RequestEvent.Kind.EMAIL_CONFIRMED,
                actor="requester",
                why="Email address confirmed.",
            )
            links.links_expire_unused(request=request, purpose=RequestLink.Purpose.CONFIRM)
            emails.email_queue(request=request, kind="email_confirmed")
            emails.status_news_queue(request=request)
        return request


def confirm_reminders_queue() -> int:
    """Remind requesters who have not confirmed their address after two days, once."""
    cutoff = timezone.now() - timedelta(hours=settings.CONFIRM_REMINDER_AFTER_HOURS)
    reminded = EmailLog.objects.filter(kind="confirm_reminder").values("request_id")
    due = (
        RemovalRequest.objects.filter(email_confirmed_at__isnull=True, created_at__lte=cutoff)
        .exclude(email="")
        .exclude(status__in=CLOSED_STATUSES)
        .exclude(pk__in=reminded)
    )
    count = 0
    with transaction.atomic():
        for request in due.iterator():
            emails.email_queue(request=request, kind="confirm_reminder")
            count += 1
    return count


def request_retry(*, request: RemovalRequest, actor: str) -> RemovalRequest:
    """A maintainer retries a failed removal: failed → approved, and the jobs that did
    not finish are queued again (photos already removed stay as they are).
    Raises workflow.TransitionRefused when the request is not failed."""
    from optout import deletion  # deletion imports workflow, as services does; kept lazy

    with transaction.atomic():
        return deletion.job_retry(request=request, actor=actor)
