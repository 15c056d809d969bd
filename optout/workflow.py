"""The one place that knows how a removal request may move, and the one function that moves it.

    verified ──► approved ──► deleting ──► completed
       │             ▲            │
       └► needs_review            └► failed ──(retry)──► approved
    needs_review ──► approved | rejected
    any open state ──► cancelled (by the requester) | rejected (by a maintainer)
    pending_email ──► needs_review          (person shown in a photo)

Nothing else assigns `RemovalRequest.status`.
"""

from django.db import transaction
from django.utils import timezone

from optout.models import CLOSED_STATUSES, RemovalRequest, RequestEvent

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

    def __init__(self, request: RemovalRequest, to: str, message: str) -> None:
        super().__init__(message)
        self.request = request
        self.to = to
        self.message = message


def can_move(status: str, to: str) -> bool:
    return to in ALLOWED.get(status, frozenset())


def request_move(
    *,
    request: RemovalRequest,
    to: str,
    actor: str,
    why: str = "",
    expect: str | None = None,
) -> RemovalRequest:
    """Move `request` to `to` with a conditional UPDATE and one event row.

    `expect` pins the state the caller saw; without it, the state read here.
    Two workers or two maintainers racing: exactly one UPDATE matches, the
    other gets TransitionRefused. Emails for the new state go out after commit.
    """
    from optout import deletion, emails  # both import workflow's models; keep the cycle lazy

    current = expect or request.status
    if not can_move(current, to):
        now_label = RemovalRequest.Status(current).label
        to_label = RemovalRequest.Status(to).label
        raise TransitionRefused(request, to, f"A request that is {now_label} cannot be {to_label}.")
    now = timezone.now()
    changes: dict[str, object] = {"status": to, "updated_at": now}
    if to in CLOSED_STATUSES:
        changes["closed_at"] = now
    with transaction.atomic():
        moved = RemovalRequest.objects.filter(pk=request.pk, status=current).update(**changes)
        if not moved:
            request.refresh_from_db()
            raise TransitionRefused(
                request,
                to,
                f"The request changed meanwhile; it is now {request.get_status_display()}.",
            )
        RequestEvent.objects.create(
            request=request, actor=actor, from_status=current, to_status=to, why=why
        )
        for field, value in changes.items():
            setattr(request, field, value)
        if to == S.APPROVED:
            # Whatever the path into approved (policy, a maintainer, a retry),
            # the deletion jobs are created with the move and sent after commit.
            deletion.jobs_prepare(request=request)
        emails.status_news_queue(request=request)
    return request
