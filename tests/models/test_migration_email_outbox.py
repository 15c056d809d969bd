"""Migration 0012 on a database of the old email log: its rows join the outbox sensibly."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.support.migrating import migrate

BEFORE = [("optout", "0011_reject_reason_choices")]
AFTER = [("optout", "0012_email_outbox")]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def at_0011() -> Iterator[Apps]:
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_old_rows_keep_their_outcome_and_unfinished_ones_are_queued_due_now(
    at_0011: Apps,
) -> None:
    EmailLog = at_0011.get_model("optout", "EmailLog")
    now = timezone.now()
    rows: dict[str, dict[str, Any]] = {  # the fields of each row, as 0011 had them
        "never claimed": {"outcome": "sending"},
        "in flight": {"outcome": "sending", "attempts": 1, "claimed_at": now},
        "retrying": {"outcome": "failed", "attempts": 2},
        "old failure": {"outcome": "failed", "attempts": 2},
        "out of retries": {"outcome": "failed", "attempts": 9},
        "sent": {"outcome": "sent", "attempts": 1},
        "bounced": {"outcome": "bounced", "attempts": 1},
    }
    for name, fields in rows.items():
        EmailLog.objects.create(kind="approved", dedupe_key=name, to="bea@example.org", **fields)
    EmailLog.objects.filter(dedupe_key="old failure").update(created_at=now - timedelta(days=3))

    apps = migrate(AFTER)

    EmailLog = apps.get_model("optout", "EmailLog")
    outcome = dict(EmailLog.objects.values_list("dedupe_key", "outcome"))
    assert outcome == {
        "never claimed": "queued",
        "in flight": "sending",  # the sweeper takes it over once its claim is stale
        "retrying": "queued",  # the Celery retry a worker held: the outbox's now
        "old failure": "failed",
        "out of retries": "failed",
        "sent": "sent",
        "bounced": "bounced",
    }
    due = EmailLog.objects.filter(outcome="queued", next_attempt_at__lte=timezone.now())
    assert set(due.values_list("dedupe_key", flat=True)) == {"never claimed", "retrying"}
    assert not EmailLog.objects.exclude(outcome="queued").exclude(next_attempt_at=None).exists()

    apps = migrate(BEFORE)  # and back: the old code sends an unclaimed "sending" row

    EmailLog = apps.get_model("optout", "EmailLog")
    assert set(EmailLog.objects.filter(outcome="sending").values_list("dedupe_key", flat=True)) == {
        "never claimed",
        "in flight",
        "retrying",
    }
