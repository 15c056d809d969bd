"""Signal receivers: the far side telling us things (anymail tracking webhooks), and migrate."""

from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking
from django.apps import AppConfig
from django.db.models.signals import post_migrate
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


@receiver(post_migrate, dispatch_uid="optout-maintainers-group")
def maintainers_group_refresh(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After optout's migrations (and its permissions): the group has exactly its permissions."""
    if sender.name != "optout":
        return
    from optout.admin.group import maintainers_group_ensure

    maintainers_group_ensure()
