"""Licensees for the tests: registered through the service (the token is only ever
known at minting), removals completed as the deletion pipeline completes them, and
the API called with a Bearer token."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from optout import licensees
from optout.deletion import downstream
from optout.models import Dataset, Photo, RemovalRequest
from tests.support.factories import RemovalRequestFactory

_names = iter(range(1, 1_000_000))


def licensee_register(
    datasets: Iterable[Dataset],
    *,
    name: str = "",
    since: datetime | None = None,
    webhook_url: str = "",
    show_name: bool = False,
    contacts: list[str] | None = None,
    language: str = "",
) -> licensees.Credentials:
    n = next(_names)
    return licensees.licensee_create(
        name=name or f"Lab {n}",
        contacts=contacts or [f"data{n}@lab.example"],
        datasets=[(dataset.slug, since) for dataset in datasets],
        webhook_url=webhook_url,
        show_name=show_name,
        language=language,
    )


def removal_complete(
    photos: list[Photo], *, at: datetime | None = None, **fields: Any
) -> RemovalRequest:
    """A request whose photos were removed (at `at`) and which completed: its removals
    are numbered in the feeds, as the runner's last step does."""
    at = at or timezone.now()
    removal = RemovalRequestFactory(
        photos=photos,
        status=RemovalRequest.Status.COMPLETED,
        closed_at=at,
        **({"owner_nsid": photos[0].owner_nsid} if photos else {}) | fields,
    )
    Photo.objects.filter(pk__in=[p.pk for p in photos]).update(
        state=Photo.State.REMOVED, removed_at=at, removed_by=removal
    )
    downstream.removals_publish(removal=removal)
    return removal


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def feed_get(client: Client, token: str, slug: str, **params: str | int | None) -> Any:
    url = reverse("licensee_feed", args=[slug])
    query = {key: value for key, value in params.items() if value is not None}
    return client.get(url, query, headers=auth(token))


def ack_post(client: Client, token: str, slug: str, through: object) -> Any:
    url = reverse("licensee_acknowledgements", args=[slug])
    body = {"through": through}
    return client.post(url, body, content_type="application/json", headers=auth(token))
