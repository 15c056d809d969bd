"""Downstream copies: a completed request's removals join each dataset's licensee feed,
and every licensee holding that dataset gets a `removals.available` webhook.

Called by the runner in the transaction that completes the request, so the feed
entries, the webhook outbox rows (`WebhookDelivery`) and the completion commit
together. The webhooks are sent by task name after commit; the beat sweeper
(optout.licensees.webhooks) re-sends what the broker lost. Licensees that hold
no copy with these removals get nothing, and nothing here waits on the network.

Positions: a dataset's `DatasetFeed` row is locked for the numbering and stays
locked until commit, so the entries of two requests completing at once become
visible in the order of their numbers, and a licensee that has read through
position n can never later find a removal at a position below n.
"""

import uuid
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from optout import queue
from optout.models import (
    DatasetFeed,
    FeedEntry,
    LicenseeDataset,
    Photo,
    RemovalRequest,
    WebhookDelivery,
)

BATCH = 2000
D = WebhookDelivery.Status


def removals_publish(*, removal: RemovalRequest) -> dict[int, int]:
    """Number the request's removed photos in their datasets' feeds (those not numbered
    yet: a photo shared with an earlier request keeps its place) and write a webhook
    delivery per licensee copy they concern. Returns {dataset id: new head}."""
    removed = Photo.objects.filter(requestphoto__request=removal, state=Photo.State.REMOVED)
    now = timezone.now()
    heads: dict[int, int] = {}
    with transaction.atomic():
        dataset_ids = sorted(set(removed.values_list("dataset_id", flat=True)))
        for dataset_id in dataset_ids:
            head = feed_lock(dataset_id=dataset_id)
            # Read under the lock: a request sharing these photos that completed
            # meanwhile has numbered them, and they keep that place.
            rows = list(
                removed.filter(dataset_id=dataset_id)
                .filter(~Exists(FeedEntry.objects.filter(photo_id=OuterRef("pk"))))
                .order_by("flickr_id")
                .values_list("pk", "flickr_id", "removed_at")
            )
            if not rows:
                continue
            entries = [
                FeedEntry(
                    dataset_id=dataset_id,
                    seq=head + 1 + offset,
                    photo_id=pk,
                    flickr_id=flickr_id,
                    removed_at=removed_at or now,
                    published_at=now,
                    request=removal,
                )
                for offset, (pk, flickr_id, removed_at) in enumerate(rows)
            ]
            last = head + len(entries)
            DatasetFeed.objects.filter(dataset_id=dataset_id).update(last_seq=last)
            FeedEntry.objects.bulk_create(entries, batch_size=BATCH)
            heads[dataset_id] = last
            newest = max(entry.removed_at for entry in entries)
            deliveries_write(dataset_id=dataset_id, seq=last, removed_until=newest)
    return heads


def feed_lock(*, dataset_id: int) -> int:
    """Lock the dataset's feed head until the caller's transaction ends; returns its
    last position. (SQLite runs IMMEDIATE transactions: one writer at a time anyway.)"""
    DatasetFeed.objects.get_or_create(dataset_id=dataset_id)
    return (
        DatasetFeed.objects.select_for_update()
        .values_list("last_seq", flat=True)
        .get(dataset_id=dataset_id)
    )


def deliveries_write(
    *,
    dataset_id: int,
    seq: int,
    removed_until: datetime | None = None,
    licensee_id: int | None = None,
) -> list[int]:
    """A webhook delivery announcing position `seq` to each active licensee with a
    webhook that is not paused and whose copy predates a removal (taken before
    `removed_until`; None: any copy); older pending ones for the same copy are moot.
    Sent by task name once the transaction commits."""
    holdings = LicenseeDataset.objects.filter(
        dataset_id=dataset_id,
        licensee__revoked_at__isnull=True,
        licensee__webhook_paused_at__isnull=True,
    ).exclude(licensee__webhook_url="")
    if removed_until is not None:
        holdings = holdings.filter(Q(since__isnull=True) | Q(since__lte=removed_until))
    if licensee_id is not None:
        holdings = holdings.filter(licensee_id=licensee_id)
    licensee_ids = list(holdings.values_list("licensee_id", flat=True))
    if not licensee_ids:
        return []
    now = timezone.now()
    WebhookDelivery.objects.filter(
        licensee_id__in=licensee_ids, dataset_id=dataset_id, status=D.PENDING
    ).update(status=D.SUPERSEDED)
    created = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                licensee_id=licensee,
                dataset_id=dataset_id,
                seq=seq,
                webhook_id=f"msg_{uuid.uuid4().hex}",
                next_attempt_at=now,
                queued_at=now,
                created_at=now,
            )
            for licensee in licensee_ids
        ]
    )
    ids = [delivery.pk for delivery in created]
    transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=ids), robust=True)
    return ids


def deliveries_enqueue(*, delivery_ids: list[int]) -> int:
    """Send a task per delivery; one the broker refuses waits for the sweeper."""
    sent = 0
    for delivery_id in delivery_ids:
        if queue.enqueue(queue.WEBHOOK_SEND, delivery_id):
            sent += 1
        else:
            WebhookDelivery.objects.filter(pk=delivery_id).update(queued_at=None)
    return sent
