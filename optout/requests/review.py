"""The maintainers' queue: approve, reject with a reason, retry, notes.

Admin actions call these one request at a time, so a bulk action refuses per
request (workflow.TransitionRefused) and changes nothing for a request it does
not apply to. Approving is the one use case that enters `approved`, whatever
the path (the policy at filing, a maintainer, a retry): it moves the request
and prepares its deletion jobs in the same transaction.
"""

from django.db import transaction
from django.utils.translation import gettext

from optout import deletion, workflow
from optout.models import RejectReason, RemovalRequest, RequestEvent

S = RemovalRequest.Status


class NoteEmpty(Exception):
    """An internal note with nothing in it."""


class ReasonMissing(Exception):
    """A rejection needs a reason the requester can read."""


def maintainer_actor(*, username: str) -> str:
    return f"maintainer:{username}"


def request_approve(*, removal: RemovalRequest, actor: str, why: str = "") -> RemovalRequest:
    """Approve (by policy or by a maintainer): the move and the deletion jobs, together."""
    if removal.status == S.FAILED:
        # A failed request is retried, which shows the error first.
        raise workflow.TransitionRefused(
            removal,
            S.APPROVED,
            gettext("A failed request is retried, not approved: use “Retry the failed deletion”."),
        )
    return _approve(removal, actor=actor, why=why or "Approved by a maintainer.")


def _approve(
    removal: RemovalRequest, *, actor: str, why: str, expect: str | None = None
) -> RemovalRequest:
    with transaction.atomic():
        workflow.request_move(removal=removal, to=S.APPROVED, actor=actor, why=why, expect=expect)
        deletion.jobs_prepare(removal=removal)
    return removal


def reject_reason_text(*, code: str, text: str) -> str:
    """The reason as the requester reads it: the standard sentence, then the free text."""
    if code and code not in RejectReason.values:
        raise ReasonMissing(gettext("Unknown reason %(code)s.") % {"code": repr(code)})
    parts = [RejectReason.sentence(code), text.strip()]
    reason = " ".join(part for part in parts if part)
    if not reason:
        raise ReasonMissing(
            gettext("Pick a reason or write one: the requester reads it in our email.")
        )
    return reason


def request_reject(
    *, removal: RemovalRequest, actor: str, code: str, text: str = ""
) -> RemovalRequest:
    """Reject with a reason, which the rejected-* email carries."""
    reason = reject_reason_text(code=code, text=text)
    with transaction.atomic():
        # The email reads the reason from the row; a refused move rolls this back with it.
        RemovalRequest.objects.filter(pk=removal.pk).update(
            reject_reason=reason, reject_reason_code=code
        )
        removal.reject_reason, removal.reject_reason_code = reason, code
        return workflow.request_move(removal=removal, to=S.REJECTED, actor=actor, why=reason)


def request_note_add(*, removal: RemovalRequest, actor: str, text: str) -> RequestEvent:
    """An internal note on the timeline, never shown to the requester."""
    text = text.strip()
    if not text:
        raise NoteEmpty(gettext("Write something in the note."))
    return RequestEvent.objects.create(
        request=removal, kind=RequestEvent.Kind.NOTE, actor=actor, why=text, public=False
    )


def request_retry(*, removal: RemovalRequest, actor: str) -> RemovalRequest:
    """A maintainer retries a failed removal: failed → approved, and the jobs that did
    not finish are queued again (photos already removed stay as they are).
    The one way out of `failed`. Raises workflow.TransitionRefused otherwise."""
    if removal.status != S.FAILED:
        raise workflow.TransitionRefused(
            removal,
            S.APPROVED,
            gettext("Only a failed request can be retried; this one is %(state)s.")
            % {"state": removal.get_status_display()},
        )
    return _approve(removal, actor=actor, why="Retried by a maintainer.", expect=S.FAILED)
