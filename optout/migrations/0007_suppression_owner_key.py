"""Suppressed owners kept as a keyed hash of the NSID, never the NSID in clear.

Owner suppressions get `owner_key` = HMAC(OWNER_KEY_SECRET, NSID); photo
suppressions get the key of whose photo it was, taken from the tombstone, whose
own `owner_nsid` is then cleared. One-way on purpose: the NSIDs cannot be had
back from their hashes, so going back is refused while any key is stored.
"""

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.migrations.exceptions import IrreversibleError
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Exists, OuterRef

from optout.infra.owner_keys import owner_key


def nsids_to_keys(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Suppression = apps.get_model("optout", "Suppression")
    Photo = apps.get_model("optout", "Photo")
    db = schema_editor.connection.alias
    owners = Suppression.objects.using(db).filter(kind="owner")
    for nsid in owners.values_list("owner_nsid", flat=True).distinct():
        owners.filter(owner_nsid=nsid).update(owner_key=owner_key(nsid))
    tombstones = Photo.objects.using(db).filter(state="removed").exclude(owner_nsid="")
    for nsid in tombstones.values_list("owner_nsid", flat=True).distinct().iterator():
        theirs = tombstones.filter(
            owner_nsid=nsid, dataset_id=OuterRef("dataset_id"), flickr_id=OuterRef("flickr_id")
        )
        Suppression.objects.using(db).filter(kind="photo", owner_key="").filter(
            Exists(theirs)
        ).update(owner_key=owner_key(nsid))
    tombstones.update(owner_nsid="")


def refuse_with_keys(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Suppression = apps.get_model("optout", "Suppression")
    if Suppression.objects.using(schema_editor.connection.alias).exclude(owner_key="").exists():
        raise IrreversibleError(
            "Suppressions hold keyed hashes of NSIDs, which cannot be turned back into "
            "NSIDs; migrating back past 0007 would lose who asked to be left out."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("optout", "0006_retention"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="suppression",
            name="suppression_has_its_key",
        ),
        migrations.RemoveIndex(
            model_name="suppression",
            name="suppression_owner_idx",
        ),
        migrations.AddField(
            model_name="suppression",
            name="owner_key",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(nsids_to_keys, refuse_with_keys, elidable=False),
        migrations.AddIndex(
            model_name="suppression",
            index=models.Index(fields=["owner_key", "dataset"], name="suppression_owner_key_idx"),
        ),
        migrations.AddConstraint(
            model_name="suppression",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("flickr_id__isnull", False), ("kind", "photo")),
                    models.Q(
                        ("flickr_id__isnull", True),
                        ("kind", "owner"),
                        models.Q(("owner_key", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="suppression_has_its_key",
            ),
        ),
        migrations.RemoveField(
            model_name="suppression",
            name="owner_nsid",
        ),
    ]
