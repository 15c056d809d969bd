"""Thin Celery tasks: take a primary key, call a service. Enqueued after commit."""

from celery import shared_task
from django.conf import settings

from optout import deletion, licensees, queue, recheck
from optout.notifications import emails
from optout.pictures import dataset_pictures_hash, pictures_due
from optout.privacy import retention
from optout.requests import confirmation


@shared_task
def email_send(request_id: int, kind: str) -> str:
    """Send one email of the outbox if it is due. No Celery retry: a failed
    attempt waits in its row, and the sweeper sends it again when it is due."""
    outcome = emails.email_deliver(request_id=request_id, kind=kind)
    return "sent" if outcome.sent else f"not sent: {outcome.reason}"


@shared_task
def email_sweep() -> int:
    return emails.emails_sweep()


@shared_task
def confirm_reminders_send() -> int:
    return confirmation.confirm_reminders_send()


@shared_task
def shown_unconfirmed_purge() -> int:
    return confirmation.shown_unconfirmed_purge()


@shared_task
def personal_data_erase() -> str:
    return str(retention.personal_data_erase())


@shared_task
def deletion_run(job_id: int) -> str:
    """Work one deletion job. Retries transient errors with backoff; after the last
    attempt, or a failed verification, the job fails and so does its request."""
    try:
        return deletion.job_run(job_id=job_id)
    except deletion.ClaimLost as lost:
        return str(lost)
    except deletion.VerificationFailed as failure:
        deletion.job_fail(job_id=job_id, error=failure)
        return f"failed: {failure}"
    except deletion.TRANSIENT_ERRORS as error:
        released = deletion.job_release(job_id=job_id, error=error)
        attempts, delay = released.attempts, released.retry_in
        if attempts >= settings.DELETION_MAX_ATTEMPTS:
            deletion.job_fail(job_id=job_id, error=error)
            return f"failed after {attempts} attempts: {error}"
        # A new message rather than self.retry(): the row is the outbox either way,
        # and a broker down right now only leaves the job to the sweeper, which
        # waits for the retry's due time first.
        deletion.jobs_enqueue(job_ids=[job_id], countdown=delay)
        return f"attempt {attempts} failed, next in {delay:.0f} s: {error}"


@shared_task
def deletion_sweep() -> int:
    return deletion.jobs_sweep()


@shared_task
def pictures_hash(dataset_id: int) -> str:
    """Hash the pictures an import brought (the photos not hashed yet)."""
    return dataset_pictures_hash(dataset_id=dataset_id)


@shared_task
def pictures_sweep() -> int:
    """Send again the hashing an import asked for, where its message was lost."""
    due = pictures_due()
    for dataset_id in due:
        queue.enqueue(queue.PICTURES_HASH, dataset_id)
    return len(due)


@shared_task
def webhook_send(delivery_id: int) -> str:
    """Send one `removals.available` event; a failure waits in its row for the sweeper."""
    return licensees.webhook_deliver(delivery_id=delivery_id)


@shared_task
def webhook_sweep() -> int:
    return licensees.webhooks_sweep()


@shared_task
def licensee_digests_send() -> int:
    return licensees.digests_send()


@shared_task
def licensee_notice_send(notice_id: int) -> str:
    return licensees.notice_deliver(notice_id=notice_id)


@shared_task
def acknowledgement_check(ack_id: int) -> int:
    return licensees.acknowledgement_check(ack_id=ack_id)


@shared_task
def acknowledgement_sweep() -> int:
    return licensees.acknowledgements_sweep()


@shared_task
def listing_run(listing_id: int) -> str:
    """Read a signed-in owner's public photos on Flickr; a failure waits in its row."""
    return recheck.listing_run(listing_id=listing_id)


@shared_task
def listing_sweep() -> int:
    return recheck.listings_sweep()


@shared_task
def flickr_recheck() -> str:
    """A slice of the background re-check of the owners' signals on Flickr."""
    return recheck.recheck_tick()
