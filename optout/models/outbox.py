"""Outboxes: rows written with the change that causes the work, so a lost broker
message loses nothing (a sweeper sends what is due).
"""

from django.db import models

from optout.models.registry import Dataset
from optout.models.requests import RemovalRequest


class EmailLog(models.Model):
    """Every email we send, and the outbox that sends it.

    Written in the transaction of the change that causes it (queued, due at
    once); a worker claims it with a conditional UPDATE, so it is sent at most
    once whatever number of messages the broker carries for it. A failed
    attempt waits in the row (`next_attempt_at`), not in a worker, and the
    beat sweeper sends what is due (docs/durability.md). The provider's later
    news (delivered, bounced, complained) lands here too.
    """

    class Outcome(models.TextChoices):
        QUEUED = "queued", "queued"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"
        SKIPPED = "skipped", "skipped"
        DELIVERED = "delivered", "delivered"
        BOUNCED = "bounced", "bounced"
        COMPLAINED = "complained", "complained"

    request = models.ForeignKey(
        RemovalRequest, null=True, on_delete=models.SET_NULL, related_name="emails"
    )
    kind = models.CharField(max_length=32)
    # What this message is about (kind and request), so no news is sent twice.
    dedupe_key = models.CharField(max_length=100, unique=True)
    to = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="Queued: when it may be tried (again)."
    )
    enqueued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last time a task was sent for it; empty: none since it became due.",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(
        blank=True, help_text="The last attempt's error, or why it was skipped."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweeper's question, every minute; only unsent rows are in it.
            models.Index(
                fields=["next_attempt_at"],
                name="emaillog_unsent",
                condition=models.Q(outcome__in=["queued", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.outcome})"


class DeletionJob(models.Model):
    """One dataset's share of an approved request, worked in batches by a Celery task.

    The row is the outbox: it is created when the request enters `approved`,
    enqueued after commit, and re-enqueued by the sweeper while it is still
    queued, or running with a heartbeat that stopped (a killed worker).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    request = models.ForeignKey(
        RemovalRequest, on_delete=models.CASCADE, related_name="deletion_jobs"
    )
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="deletion_jobs")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    total = models.PositiveIntegerField(default=0, help_text="Photos of the request here.")
    done = models.PositiveIntegerField(default=0, help_text="Of those, removed so far.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Who holds the job: a fresh token per claim, so a worker that lost its claim
    # (it stalled and the sweeper gave the job to another) stops at its next batch.
    claim = models.CharField(max_length=64, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(help_text="Last time a task was sent for this job.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "dataset"], name="deletion_job_unique"),
        ]

    def __str__(self) -> str:
        return f"deletion of {self.request_id} in {self.dataset_id}: {self.done}/{self.total}"
