"""Writing the suppression list: what no later import may bring back.

Owners appear on it only as the keyed hash of their NSID (optout/infra/owner_keys.py).
The importer reads it (optout/importers/loader.py); the deletion pipeline
writes it, a photo at a time as they are removed and, for an owner who asked,
the owner once their request completes.
"""

from datetime import datetime

from django.db import connection

from optout.infra.owner_keys import owner_key
from optout.models import Suppression


def photos_suppress(photos: list[tuple[int, int, str]], now: datetime) -> None:
    """A photo Suppression per removed (dataset, photo id, owner NSID), keyed to the
    owner's hash, in one multi-row INSERT (model instances cost more than the
    insert itself); one already there is left as it is."""
    keys: dict[str, str] = {}
    stamp = connection.ops.adapt_datetimefield_value(now)
    # The stamp is text on SQLite and the datetime itself on PostgreSQL.
    values: list[str | int | datetime | None] = []
    for dataset_id, flickr_id, nsid in photos:
        if nsid and nsid not in keys:
            keys[nsid] = owner_key(nsid)
        values += [Suppression.Kind.PHOTO, dataset_id, flickr_id, keys.get(nsid, ""), stamp]
    rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(photos))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Suppression._meta.db_table} "  # noqa: S608 (a model's table name)
            f"(kind, dataset_id, flickr_id, owner_key, created_at) VALUES {rows} "
            "ON CONFLICT DO NOTHING",
            values,
        )


def owner_suppress(nsid: str) -> None:
    """Keep this owner out of every dataset's future imports (by the key of the NSID)."""
    key = owner_key(nsid)
    if not Suppression.objects.filter(
        kind=Suppression.Kind.OWNER, owner_key=key, dataset__isnull=True
    ).exists():
        Suppression.objects.create(kind=Suppression.Kind.OWNER, owner_key=key)
