"""Flickr as the source of truth (issue 14): a signed-in owner's photo listing (an
outbox row), the re-check's passes, what each owner cost to check, and the signals
it found; requests and their events gain the kind flickr_signal.

New tables only, and two changed choices (no database change): the photo table is
not touched, so nothing waits on it.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('optout', '0016_photo_releases'),
    ]

    operations = [
        migrations.CreateModel(
            name='RecheckOwner',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('nsid', models.CharField(max_length=32, unique=True)),
                ('public_photos', models.PositiveIntegerField(blank=True, null=True)),
                ('checked_at', models.DateTimeField(blank=True, null=True)),
                ('calls', models.PositiveIntegerField(default=0, help_text='Calls the last check took.')),
            ],
        ),
        migrations.CreateModel(
            name='RecheckPass',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(blank=True, max_length=100)),
                ('started_at', models.DateTimeField(auto_now_add=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('cursor', models.CharField(blank=True, help_text='The last owner checked; the next comes after it.', max_length=32)),
                ('owners_total', models.PositiveIntegerField(default=0)),
                ('photos_total', models.PositiveIntegerField(default=0)),
                ('owners_checked', models.PositiveIntegerField(default=0)),
                ('photos_checked', models.PositiveIntegerField(default=0)),
                ('calls', models.PositiveIntegerField(default=0)),
                ('signals', models.JSONField(blank=True, default=dict, help_text='Signals found, by kind.')),
                ('paused_until', models.DateTimeField(blank=True, help_text='Flickr failed: no call before then.', null=True)),
                ('last_error', models.TextField(blank=True)),
            ],
            options={
                'ordering': ['-started_at', '-pk'],
            },
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='kind',
            field=models.CharField(choices=[('owner', 'owner'), ('shown_in_photo', 'shown in photo'), ('flickr_signal', 'Flickr signal')], default='owner', max_length=16),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='kind',
            field=models.CharField(choices=[('status', 'status change'), ('email_confirmed', 'email confirmed'), ('email_bounced', 'email bounced'), ('email_complained', 'spam complaint'), ('email_failed', 'email failed'), ('joined', 'photos added'), ('flickr_signal', 'signal on Flickr'), ('note', 'internal note')], default='status', max_length=20),
        ),
        migrations.CreateModel(
            name='PhotoListing',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('nsid', models.CharField(max_length=32, unique=True)),
                ('username', models.CharField(blank=True, max_length=255)),
                ('status', models.CharField(choices=[('queued', 'queued'), ('running', 'running'), ('done', 'done'), ('failed', 'failed')], default='queued', max_length=16)),
                ('pages', models.PositiveIntegerField(blank=True, help_text='Empty until page 1.', null=True)),
                ('pages_read', models.PositiveIntegerField(default=0)),
                ('photos_listed', models.PositiveIntegerField(default=0)),
                ('matched', models.PositiveIntegerField(default=0, help_text='Dataset photos found in the list that had no owner (or another).')),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('error', models.TextField(blank=True, help_text='Why it waits or failed, for the owner.')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('queued_at', models.DateTimeField(help_text='Last time a task was sent for it.')),
                ('claim', models.CharField(blank=True, max_length=64)),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('status__in', ['queued', 'running'])), fields=['queued_at'], name='photolisting_open')],
            },
        ),
        migrations.CreateModel(
            name='FlickrSignal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('no_cv', 'tagged no_cv'), ('license', 'licence changed'), ('gone', 'private or deleted'), ('account', 'account deleted')], max_length=16)),
                ('flickr_id', models.BigIntegerField(blank=True, help_text='Empty: the account.', null=True)),
                ('detail', models.CharField(max_length=300)),
                ('found_at', models.DateTimeField(auto_now_add=True)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='flickr_signals', to='optout.removalrequest')),
            ],
            options={
                'ordering': ['found_at', 'pk'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('flickr_id__isnull', False)), fields=('flickr_id',), name='flickrsignal_photo_once')],
            },
        ),
    ]
