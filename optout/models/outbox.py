"""Outboxes: rows written with the change that causes the work, so a lost broker
message loses nothing (a sweeper sends what is due).
"""

from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

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
        # A context of their own: an email's "failed" is not a request's in every language.
        QUEUED = "queued", pgettext_lazy("email state", "queued")
        SENDING = "sending", pgettext_lazy("email state", "sending")
        SENT = "sent", pgettext_lazy("email state", "sent")
        FAILED = "failed", pgettext_lazy("email state", "failed")
        SKIPPED = "skipped", pgettext_lazy("email state", "skipped")
        DELIVERED = "delivered", pgettext_lazy("email state", "delivered")
        BOUNCED = "bounced", pgettext_lazy("email state", "bounced")
        COMPLAINED = "complained", pgettext_lazy("email state", "complained")

    # The labels (verbose_name, help_text) are what the maintainers' admin shows.
    request = models.ForeignKey(
        RemovalRequest,
        null=True,
        on_delete=models.SET_NULL,
        related_name="emails",
        verbose_name=_("request"),
    )
    # The email's template (optout.notifications.emails.KINDS): a code.
    kind = models.CharField(_("kind"), max_length=32)
    # What this message is about (kind and request), so no news is sent twice.
    dedupe_key = models.CharField(max_length=100, unique=True)
    to = models.EmailField(_("to"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_message_id = models.CharField(
        _("provider's message ID"), max_length=200, blank=True, db_index=True
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt"),
        null=True,
        blank=True,
        help_text=_("Queued: when it may be tried (again)."),
    )
    enqueued_at = models.DateTimeField(
        _("handed to a worker"),
        null=True,
        blank=True,
        help_text=_("Last time a task was sent for it; empty: none since it became due."),
    )
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    error = models.TextField(
        _("error"), blank=True, help_text=_("The last attempt's error, or why it was skipped.")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        indexes = [
            # The sweeper's question, every minute; only unsent rows are in it.
            models.Index(
                fields=["next_attempt_at"],
                name="emaillog_unsent",
                condition=models.Q(outcome__in=["queued", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        # The kind is a template's name: the admin shows it by its label (admin/parts.py).
        return gettext("Email to %(to)s (%(outcome)s)") % {
            "to": self.to,
            "outcome": self.get_outcome_display(),
        }


class DeletionJob(models.Model):
    """One dataset's share of an approved request, worked in batches by a Celery task.

    The row is the outbox: it is created when the request enters `approved`,
    enqueued after commit, and re-enqueued by the sweeper while it is still
    queued, or running with a heartbeat that stopped (a killed worker).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("deletion job state", "queued")
        RUNNING = "running", pgettext_lazy("deletion job state", "running")
        DONE = "done", pgettext_lazy("deletion job state", "done")
        FAILED = "failed", pgettext_lazy("deletion job state", "failed")
        CANCELLED = "cancelled", pgettext_lazy("deletion job state", "cancelled")

    request = models.ForeignKey(
        RemovalRequest,
        on_delete=models.CASCADE,
        related_name="deletion_jobs",
        verbose_name=_("request"),
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="deletion_jobs", verbose_name=_("dataset")
    )
    status = models.CharField(
        _("state"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    total = models.PositiveIntegerField(
        _("photos"), default=0, help_text=_("Photos of the request here.")
    )
    done = models.PositiveIntegerField(
        pgettext_lazy("a count of photos", "removed"),
        default=0,
        help_text=_("Of those, removed so far."),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # Who holds the job: a fresh token per claim, so a worker that lost its claim
    # (it stalled and the sweeper gave the job to another) stops at its next batch.
    claim = models.CharField(max_length=64, blank=True)
    claimed_by = models.CharField(
        _("worker"), max_length=200, blank=True, help_text=_("host:pid of the worker.")
    )
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    queued_at = models.DateTimeField(
        _("handed to a worker"), help_text=_("Last time a task was sent for this job.")
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("deletion job")
        verbose_name_plural = _("deletion jobs")
        constraints = [
            models.UniqueConstraint(fields=["request", "dataset"], name="deletion_job_unique"),
        ]

    def __str__(self) -> str:
        return gettext("%(dataset)s: %(done)s of %(total)s") % {
            "dataset": self.dataset.slug,
            "done": self.done,
            "total": self.total,
        }
