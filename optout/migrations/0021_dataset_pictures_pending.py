"""An import's picture hashing has an outbox: a pending mark on the dataset and a
run's heartbeat, which the beat sweeper reads (optout/pictures/hashing.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('optout', '0020_admin_labels_translated'),
    ]

    operations = [
        migrations.AddField(
            model_name='dataset',
            name='pictures_heartbeat_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='dataset',
            name='pictures_pending_since',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
