"""Thin Celery tasks: take a primary key, call a service. Enqueued after commit."""

from celery import shared_task

from optout import emails, services


@shared_task(
    autoretry_for=(emails.EmailTransientError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def email_send(request_id: int, kind: str) -> str:
    outcome = emails.email_deliver(request_id=request_id, kind=kind)
    return "sent" if outcome.sent else f"not sent: {outcome.reason}"


@shared_task
def confirm_reminders_send() -> int:
    return services.confirm_reminders_queue()
