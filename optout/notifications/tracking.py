"""Delivery news from the email provider (anymail's tracking webhooks) onto the email log.

A bounce or a complaint also goes on the request's timeline, so the requester
and the maintainers see why news stopped arriving.
"""

import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking
from django.db import transaction
from django.dispatch import receiver

from optout.models import EmailLog, RequestEvent

log = logging.getLogger(__name__)

TRACKED = {
    "delivered": EmailLog.Outcome.DELIVERED,
    "bounced": EmailLog.Outcome.BOUNCED,
    "rejected": EmailLog.Outcome.BOUNCED,
    "complained": EmailLog.Outcome.COMPLAINED,
}


def tracking_record(*, event_type: str, message_id: str | None, description: str = "") -> bool:
    """A provider's delivery news onto the email log (and a bounce onto the timeline)."""
    outcome = TRACKED.get(event_type)
    if outcome is None or not message_id:
        return False
    entry = EmailLog.objects.filter(provider_message_id=str(message_id)).first()
    if entry is None:
        log.info("tracking %s for a message we do not know: %s", event_type, message_id)
        return False
    with transaction.atomic():
        EmailLog.objects.filter(pk=entry.pk).update(outcome=outcome)
        if entry.request_id and outcome != EmailLog.Outcome.DELIVERED:
            kind = (
                RequestEvent.Kind.EMAIL_BOUNCED
                if outcome == EmailLog.Outcome.BOUNCED
                else RequestEvent.Kind.EMAIL_COMPLAINED
            )
            why = (
                f"Our email “{entry.kind}” to {entry.to} bounced"
                if outcome == EmailLog.Outcome.BOUNCED
                else f"Our email “{entry.kind}” was marked as spam"
            )
            RequestEvent.objects.create(
                request_id=entry.request_id,
                kind=kind,
                actor="email provider",
                why=f"{why}: {description}" if description else f"{why}.",
            )
    return True


@receiver(tracking, dispatch_uid="optout-email-tracking")
def email_tracked(
    sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    tracking_record(
        event_type=event.event_type,
        message_id=event.message_id,
        description=(event.description or "")[:500],
    )
