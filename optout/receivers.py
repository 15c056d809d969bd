"""Signal receivers: the far side telling us things (anymail tracking webhooks)."""

from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking
from django.dispatch import receiver

from optout import emails


@receiver(tracking, dispatch_uid="optout-email-tracking")
def email_tracked(
    sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    emails.tracking_record(
        event_type=event.event_type,
        message_id=event.message_id,
        description=(event.description or "")[:500],
    )
