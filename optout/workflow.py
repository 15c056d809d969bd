"""The one place that knows how a removal request may move, and the one function that moves it.

    verified ──► approved ──► deleting ──► completed
       │             ▲            │
       └► needs_review            └► failed ──(retry)──► approved
    needs_review ──► approved | rejected
    any open state ──► cancelled (by the requester) | rejected (by a maintainer)
    pending_email ──► needs_review          (person shown in a photo)

Nothing else assigns `RemovalRequest.status`. The machine knows nothing of what
reacts to a move: the use case that approves (optout.requests.review) prepares
the deletion jobs in the same transaction. The one thing every move brings is
the requester's news, written to the email outbox with the move, so that no
path into a state can forget to tell them.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from optout.models import CLOSED_STATUSES, RemovalRequest, RequestEvent
from optout.notifications import emails

S = RemovalRequest.Status

ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING_EMAIL: frozenset({S.NEEDS_REVIEW, S.CANCELLED, S.REJECTED}),
    S.VERIFIED: frozenset({S.APPROVED, S.NEEDS_REVIEW, S.CANCELLED, S.REJECTED}),
    S.NEEDS_REVIEW: frozenset({S.APPROVED, S.CANCELLED, S.REJECTED}),
    # Cancel stays possible until the first photo is deleted (approved, not deleting).
    S.APPROVED: frozenset({S.DELETING, S.CANCELLED, S.REJECTED}),
    S.DELETING: frozenset({S.COMPLETED, S.FAILED}),
    S.FAILED: frozenset({S.APPROVED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
}


class TransitionRefused(Exception):
    """The move is not allowed from the request's state, or someone else moved it first."""

    def __init__(self, removal: RemovalRequest, to: str, message: str) -> None:
        super().__init__(message)
        self.removal = removal
        self.to = to
        self.message = message


def can_move(status: str, to: str) -> bool:
    return to in ALLOWED.get(status, frozenset())


def request_move(
    *,
    removal: RemovalRequest,
    to: str,
    actor: str,
    why: str = "",
    expect: str | None = None,
) -> RemovalRequest:
    """Move `removal` to `to` with a conditional UPDATE and one event row.

    `expect` pins the state the caller saw; without it, the state read here.
    Two workers or two maintainers racing: exactly one UPDATE matches, the
    other gets TransitionRefused. Emails for the new state go out after commit.
    """
    current = expect or removal.status
    if not can_move(current, to):
        now_label = RemovalRequest.Status(current).label
        to_label = RemovalRequest.Status(to).label
        # In the language of whoever asked (a maintainer's admin, a requester's page).
        raise TransitionRefused(
            removal,
            to,
            gettext("A request that is %(now)s cannot be %(to)s.")
            % {"now": now_label, "to": to_label},
        )
    now = timezone.now()
    changes: dict[str, object] = {"status": to, "updated_at": now}
    if to in CLOSED_STATUSES:
        changes["closed_at"] = now
    with transaction.atomic():
        moved = RemovalRequest.objects.filter(pk=removal.pk, status=current).update(**changes)
        if not moved:
            removal.refresh_from_db()
            raise TransitionRefused(
                removal,
                to,
                gettext("The request changed meanwhile; it is now %(state)s.")
                % {"state": removal.get_status_display()},
            )
        RequestEvent.objects.create(
            request=removal, actor=actor, from_status=current, to_status=to, why=why
        )
        for field, value in changes.items():
            setattr(removal, field, value)
        emails.status_news_enqueue(removal=removal)
    return removal
