"""Releases: a numbered list of each dataset's imported releases, and per photo the
range of release numbers that listed it (first_seq, last_seq).

Locks the photo table, briefly: adding the two columns takes an ACCESS EXCLUSIVE
lock on optout_photo and each of its partitions, but rewrites no row and scans
none. On PostgreSQL (11 and later) a column added with a constant default keeps
that default in the catalog for the rows already there, and a nullable column
with no default is NULL without writing anything; both are SmallIntegerFields,
which carry no CHECK constraint that would need a scan to validate. The time
this takes does not grow with the rows (docs/operations.md gives the figure).
It does wait for every running query on the photo table to finish, and holds
up the queries that come after it meanwhile.

Every dataset that already has photos gets release 1, labelled with its
current `release`, and its photos are in release 1 (the column's default):
nothing to update row by row.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def first_releases(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Dataset = apps.get_model("optout", "Dataset")
    Photo = apps.get_model("optout", "Photo")
    DatasetRelease = apps.get_model("optout", "DatasetRelease")
    for dataset in Dataset.objects.using(schema_editor.connection.alias).order_by("pk"):
        if Photo.objects.using(schema_editor.connection.alias).filter(dataset=dataset).exists():
            DatasetRelease.objects.using(schema_editor.connection.alias).create(
                dataset=dataset, seq=1, label=dataset.release, imported_at=dataset.updated_at
            )


class Migration(migrations.Migration):
    dependencies = [
        ("optout", "0014_picture_hashes"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="first_seq",
            field=models.SmallIntegerField(db_default=1, default=1),
        ),
        migrations.AddField(
            model_name="photo",
            name="last_seq",
            field=models.SmallIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="photo",
            name="release",
            field=models.CharField(
                blank=True,
                help_text="The release whose manifest last changed this row.",
                max_length=64,
            ),
        ),
        migrations.CreateModel(
            name="DatasetRelease",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveIntegerField()),
                ("label", models.CharField(blank=True, max_length=64)),
                (
                    "complete",
                    models.BooleanField(
                        default=False,
                        help_text="Imported as the whole release: photos it did not list "
                        "left the current one.",
                    ),
                ),
                ("imported_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "dataset",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="releases",
                        to="optout.dataset",
                    ),
                ),
            ],
            options={
                "ordering": ["dataset", "seq"],
                "constraints": [
                    models.UniqueConstraint(fields=("dataset", "seq"), name="release_seq_unique")
                ],
            },
        ),
        migrations.RunPython(first_releases, migrations.RunPython.noop),
    ]
