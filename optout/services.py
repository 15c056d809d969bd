"""Use-cases of removal requests: `<noun>_<verb>(*, ...)`, transactional.

Views, admin actions, commands and tasks all call these; they raise the small
set of domain errors below, which views turn into clear messages.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
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


def owner_photo_counts(*, nsid: str) -> QuerySet[Photo, dict[str, object]]:
    """Per dataset (name, release): how many of the owner's photos are still present."""
    return (
        Photo.objects.filter(owner_nsid=nsid, state=Photo.State.PRESENT)
        .values("dataset__name", "dataset__release")
        .annotate(count=Count("pk"))
        .order_by("dataset__name")
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
            kind=RemovalRequest.Kind.OWNER,
            status=S.VERIFIED,
            owner_nsid=identity.nsid,
            flickr_username=identity.username,
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
        else:
            workflow.request_move(
                request=request,
                to=S.NEEDS_REVIEW,
                actor="system",
                why="Waiting for a maintainer: automatic approval is off.",
            )
        return Filed(request, token, "created")


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
            if request.status == S.PENDING_EMAIL:
                # A person shown in a photo: only a confirmed request reaches the queue.
                workflow.request_move(
                    request=request,
                    to=S.NEEDS_REVIEW,
                    actor="requester",
                    why="Email address confirmed; waiting for a maintainer's review.",
                )
        return request


def confirm_reminders_queue() -> int:
    """Remind requesters who have not confirmed their address after two days, once.

    An owner's removal does not wait for the address; the reminder says so. A
    person shown in a photo gets their own: nothing happens until they confirm,
    and the request is deleted unconfirmed when its week is up (the purge below).
    """
    now = timezone.now()
    cutoff = now - timedelta(hours=settings.CONFIRM_REMINDER_AFTER_HOURS)
    reminded = EmailLog.objects.filter(
        kind__in=("confirm_reminder", "shown_confirm_reminder")
    ).values("request_id")
    due = (
        RemovalRequest.objects.filter(email_confirmed_at__isnull=True, created_at__lte=cutoff)
        # Past its week a shown-in-photo request is about to go: no link to send.
        .exclude(kind=RemovalRequest.Kind.SHOWN, created_at__lt=now - links.CONFIRM_LINK_LIFETIME)
        .exclude(email="")
        .exclude(status__in=CLOSED_STATUSES)
        .exclude(pk__in=reminded)
    )
    count = 0
    with transaction.atomic():
        for request in due.iterator():
            shown = request.kind == RemovalRequest.Kind.SHOWN
            kind = "shown_confirm_reminder" if shown else "confirm_reminder"
            emails.email_queue(request=request, kind=kind)
            count += 1
    return count


# The maintainers' queue. Admin actions call these, one request at a time, so a
# bulk action refuses per request (workflow.TransitionRefused) and changes
# nothing for a request it does not apply to.

REJECT_REASONS: dict[str, str] = {
    "not_in_dataset": "The photos are not in any dataset we maintain.",
    "not_shown": "We could not see you in the photos you named.",
    "unverifiable": "We could not verify the request from what you told us.",
    "duplicate": "These photos are already in another request.",
    "other": "",
}


class NoteEmpty(Exception):
    """An internal note with nothing in it."""


class ReasonMissing(Exception):
    """A rejection needs a reason the requester can read."""


def maintainer_actor(*, username: str) -> str:
    return f"maintainer:{username}"


def request_approve(*, request: RemovalRequest, actor: str, why: str = "") -> RemovalRequest:
    """Approve: the deletion jobs start from the approved state (workflow hook)."""
    if request.status == S.FAILED:
        # workflow allows failed → approved, but that is a retry, which shows the error first.
        raise workflow.TransitionRefused(
            request, S.APPROVED, "A failed request is retried, not approved: use “Retry”."
        )
    return workflow.request_move(
        request=request, to=S.APPROVED, actor=actor, why=why or "Approved by a maintainer."
    )


def reject_reason_text(*, code: str, text: str) -> str:
    """The reason as the requester reads it: the standard sentence, then the free text."""
    if code and code not in REJECT_REASONS:
        raise ReasonMissing(f"Unknown reason {code!r}.")
    parts = [REJECT_REASONS.get(code, ""), text.strip()]
    reason = " ".join(part for part in parts if part)
    if not reason:
        raise ReasonMissing("Pick a reason or write one: the requester reads it in our email.")
    return reason


def request_reject(
    *, request: RemovalRequest, actor: str, code: str, text: str = ""
) -> RemovalRequest:
    """Reject with a reason, which the rejected-* email carries."""
    reason = reject_reason_text(code=code, text=text)
    with transaction.atomic():
        # The email task reads the reason from the row after commit; a refused
        # move rolls this back with it.
        RemovalRequest.objects.filter(pk=request.pk).update(
            reject_reason=reason, reject_reason_code=code
        )
        request.reject_reason, request.reject_reason_code = reason, code
        return workflow.request_move(request=request, to=S.REJECTED, actor=actor, why=reason)


def request_note_add(*, request: RemovalRequest, actor: str, text: str) -> RequestEvent:
    """An internal note on the timeline, never shown to the requester."""
    text = text.strip()
    if not text:
        raise NoteEmpty("Write something in the note.")
    return RequestEvent.objects.create(
        request=request, kind=RequestEvent.Kind.NOTE, actor=actor, why=text, public=False
    )


# People shown in a photo who do not own it.

MAX_SHOWN_LINKS = 200


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
    from optout import lookup

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
            unreadable.append((item, "This names an account, not one photo."))
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
    *, email: str, links_text: str, relation: str, statement: str, contact: str = ""
) -> RemovalRequest:
    """File a request of a person shown in a photo; it waits for their email confirmation."""
    parsed = photo_links_parse(text=links_text)
    problems = [f"“{item}”: {why}" for item, why in parsed.unreadable]
    problems += [f"“{item}” is not in any dataset we cover." for item in parsed.unknown]
    if len(links_text.split()) > MAX_SHOWN_LINKS:
        problems.append(f"At most {MAX_SHOWN_LINKS} photos per request.")
    if not parsed.photo_ids and not problems:
        problems.append("Give at least one photo link or photo id.")
    if problems:
        raise ShownRequestInvalid(problems)
    with transaction.atomic():
        request = _request_insert(
            kind=RemovalRequest.Kind.SHOWN,
            status=S.PENDING_EMAIL,
            scope=RemovalRequest.Scope.SELECTED,
            email=email,
            relation=relation.strip(),
            statement=statement.strip(),
            contact=contact.strip(),
            photo_links=links_text.strip(),
        )
        photos = Photo.objects.filter(flickr_id__in=set(parsed.photo_ids.values()))
        _photos_add(request, set(photos.values_list("pk", flat=True)))
        RequestEvent.objects.create(
            request=request,
            actor="requester",
            to_status=S.PENDING_EMAIL,
            why="Filed by a person shown in the photos; waiting for email confirmation.",
        )
        emails.email_queue(request=request, kind="shown_received")
    return request


def shown_unconfirmed_purge() -> int:
    """Delete shown-in-photo requests whose email was never confirmed, once the link expired.

    Nobody proved the address was theirs, so we keep nothing they typed.
    """
    cutoff = timezone.now() - links.CONFIRM_LINK_LIFETIME
    stale = RemovalRequest.objects.filter(
        kind=RemovalRequest.Kind.SHOWN,
        status=S.PENDING_EMAIL,
        email_confirmed_at__isnull=True,
        created_at__lt=cutoff,
    )
    with transaction.atomic():
        count = stale.count()
        stale.delete()
    return count


def request_retry(*, request: RemovalRequest, actor: str) -> RemovalRequest:
    """A maintainer retries a failed removal: failed → approved, and the jobs that did
    not finish are queued again (photos already removed stay as they are).
    Raises workflow.TransitionRefused when the request is not failed."""
    from optout import deletion  # deletion imports workflow, as services does; kept lazy

    with transaction.atomic():
        return deletion.job_retry(request=request, actor=actor)
