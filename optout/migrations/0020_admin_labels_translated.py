"""The admin's labels in the maintainer's language: the models' verbose names, help texts
and choice labels are translated strings now. Options only: no SQL on any database."""

import django.db.models.deletion
import django.utils.timezone
import optout.models.licensees
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('optout', '0019_licensee_language'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='dataset',
            options={'ordering': ['name'], 'verbose_name': 'dataset', 'verbose_name_plural': 'datasets'},
        ),
        migrations.AlterModelOptions(
            name='datasetrelease',
            options={'ordering': ['dataset', 'seq'], 'verbose_name': 'release', 'verbose_name_plural': 'releases'},
        ),
        migrations.AlterModelOptions(
            name='deletionjob',
            options={'ordering': ['created_at', 'pk'], 'verbose_name': 'deletion job', 'verbose_name_plural': 'deletion jobs'},
        ),
        migrations.AlterModelOptions(
            name='emaillog',
            options={'ordering': ['-created_at'], 'verbose_name': 'email', 'verbose_name_plural': 'emails'},
        ),
        migrations.AlterModelOptions(
            name='licensee',
            options={'ordering': ['name'], 'permissions': [('manage_licensee', 'Can register and edit licensees and the copies they hold'), ('rotate_licensee', 'Can rotate licensee API tokens and webhook secrets'), ('revoke_licensee', 'Can revoke licensees'), ('resume_licensee', "Can resume a licensee's paused webhook")], 'verbose_name': 'licensee', 'verbose_name_plural': 'licensees'},
        ),
        migrations.AlterModelOptions(
            name='licenseenotice',
            options={'ordering': ['-created_at', '-pk'], 'verbose_name': 'daily email', 'verbose_name_plural': 'daily emails'},
        ),
        migrations.AlterModelOptions(
            name='removalrequest',
            options={'ordering': ['-created_at'], 'permissions': [('approve_removalrequest', 'Can approve removal requests'), ('reject_removalrequest', 'Can reject removal requests'), ('retry_removalrequest', 'Can retry failed removal requests'), ('note_removalrequest', 'Can add internal notes to removal requests')], 'verbose_name': 'removal request', 'verbose_name_plural': 'removal requests'},
        ),
        migrations.AlterModelOptions(
            name='requestevent',
            options={'ordering': ['at', 'pk'], 'verbose_name': 'timeline event', 'verbose_name_plural': 'timeline events'},
        ),
        migrations.AlterModelOptions(
            name='webhookattempt',
            options={'ordering': ['at', 'pk'], 'verbose_name': 'attempt', 'verbose_name_plural': 'attempts'},
        ),
        migrations.AlterModelOptions(
            name='webhookdelivery',
            options={'ordering': ['-created_at', '-pk'], 'verbose_name': 'webhook delivery', 'verbose_name_plural': 'webhook deliveries'},
        ),
        migrations.AlterField(
            model_name='dataset',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='dataset',
            name='description',
            field=models.TextField(blank=True, verbose_name='description'),
        ),
        migrations.AlterField(
            model_name='dataset',
            name='name',
            field=models.CharField(max_length=200, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='dataset',
            name='photo_count',
            field=models.PositiveIntegerField(default=0, verbose_name='photos'),
        ),
        migrations.AlterField(
            model_name='dataset',
            name='release',
            field=models.CharField(blank=True, max_length=64, verbose_name='release'),
        ),
        migrations.AlterField(
            model_name='dataset',
            name='slug',
            field=models.SlugField(max_length=64, unique=True, verbose_name='short name'),
        ),
        migrations.AlterField(
            model_name='dataset',
            name='source',
            field=models.CharField(blank=True, help_text='Where the photos came from, e.g. YFCC100M (Flickr).', max_length=200, verbose_name='source'),
        ),
        migrations.AlterField(
            model_name='dataset',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, verbose_name='updated'),
        ),
        migrations.AlterField(
            model_name='datasetrelease',
            name='complete',
            field=models.BooleanField(default=False, help_text='Imported as the whole release: photos it did not list left the current one.', verbose_name='complete'),
        ),
        migrations.AlterField(
            model_name='datasetrelease',
            name='dataset',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='releases', to='optout.dataset', verbose_name='dataset'),
        ),
        migrations.AlterField(
            model_name='datasetrelease',
            name='imported_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='imported'),
        ),
        migrations.AlterField(
            model_name='datasetrelease',
            name='label',
            field=models.CharField(blank=True, max_length=64, verbose_name='label'),
        ),
        migrations.AlterField(
            model_name='datasetrelease',
            name='seq',
            field=models.PositiveIntegerField(verbose_name='number'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='attempts'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='claimed_by',
            field=models.CharField(blank=True, help_text='host:pid of the worker.', max_length=200, verbose_name='worker'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='dataset',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deletion_jobs', to='optout.dataset', verbose_name='dataset'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='done',
            field=models.PositiveIntegerField(default=0, help_text='Of those, removed so far.', verbose_name='removed'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='finished_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='finished'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last heartbeat'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='last_error',
            field=models.TextField(blank=True, verbose_name='last error'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='queued_at',
            field=models.DateTimeField(help_text='Last time a task was sent for this job.', verbose_name='handed to a worker'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='request',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deletion_jobs', to='optout.removalrequest', verbose_name='request'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='started_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='started'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='status',
            field=models.CharField(choices=[('queued', 'queued'), ('running', 'running'), ('done', 'done'), ('failed', 'failed'), ('cancelled', 'cancelled')], db_index=True, default='queued', max_length=16, verbose_name='state'),
        ),
        migrations.AlterField(
            model_name='deletionjob',
            name='total',
            field=models.PositiveIntegerField(default=0, help_text='Photos of the request here.', verbose_name='photos'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='attempts'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='claimed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='claimed'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='enqueued_at',
            field=models.DateTimeField(blank=True, help_text='Last time a task was sent for it; empty: none since it became due.', null=True, verbose_name='handed to a worker'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='error',
            field=models.TextField(blank=True, help_text="The last attempt's error, or why it was skipped.", verbose_name='error'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='kind',
            field=models.CharField(max_length=32, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='next_attempt_at',
            field=models.DateTimeField(blank=True, help_text='Queued: when it may be tried (again).', null=True, verbose_name='next attempt'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='outcome',
            field=models.CharField(choices=[('queued', 'queued'), ('sending', 'sending'), ('sent', 'sent'), ('failed', 'failed'), ('skipped', 'skipped'), ('delivered', 'delivered'), ('bounced', 'bounced'), ('complained', 'complained')], default='queued', max_length=16, verbose_name='outcome'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='provider_message_id',
            field=models.CharField(blank=True, db_index=True, max_length=200, verbose_name="provider's message ID"),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='request',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='emails', to='optout.removalrequest', verbose_name='request'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='sent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='sent'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='to',
            field=models.EmailField(blank=True, max_length=254, verbose_name='to'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='contacts',
            field=models.TextField(help_text='Email addresses for the digest and reminders, one per line.', validators=[optout.models.licensees.validate_contacts], verbose_name='contacts'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='language',
            field=models.CharField(choices=optout.models.licensees.language_choices, default='en', max_length=8, verbose_name='language'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='name',
            field=models.CharField(max_length=200, unique=True, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='revoked_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='revoked'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='show_name',
            field=models.BooleanField(default=False, help_text='Owners may see this name among the copies confirmed clean.', verbose_name='show the name to owners'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='token_created_at',
            field=models.DateTimeField(verbose_name='token created'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='token_hint',
            field=models.CharField(blank=True, help_text="The token's last characters.", max_length=8, verbose_name='token'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='webhook_paused_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='webhook paused'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='webhook_paused_why',
            field=models.CharField(blank=True, max_length=500, verbose_name='why it was paused'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='webhook_url',
            field=models.URLField(blank=True, help_text='Where `removals.available` events are posted.', max_length=500, verbose_name='webhook URL'),
        ),
        migrations.AlterField(
            model_name='licenseedataset',
            name='acked_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last acknowledgement'),
        ),
        migrations.AlterField(
            model_name='licenseedataset',
            name='acked_seq',
            field=models.BigIntegerField(default=0, verbose_name='acknowledged up to'),
        ),
        migrations.AlterField(
            model_name='licenseedataset',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='licenseedataset',
            name='dataset',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='holdings', to='optout.dataset', verbose_name='dataset'),
        ),
        migrations.AlterField(
            model_name='licenseedataset',
            name='last_read_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last feed read'),
        ),
        migrations.AlterField(
            model_name='licenseedataset',
            name='licensee',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='holdings', to='optout.licensee', verbose_name='licensee'),
        ),
        migrations.AlterField(
            model_name='licenseedataset',
            name='since',
            field=models.DateTimeField(blank=True, help_text='When the licensee took its copy. Its feed holds every removal since; empty: not known, so every removal.', null=True, verbose_name='since'),
        ),
        migrations.AlterField(
            model_name='licenseenotice',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='attempts'),
        ),
        migrations.AlterField(
            model_name='licenseenotice',
            name='claimed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='claimed'),
        ),
        migrations.AlterField(
            model_name='licenseenotice',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='licenseenotice',
            name='day',
            field=models.DateField(verbose_name='day'),
        ),
        migrations.AlterField(
            model_name='licenseenotice',
            name='error',
            field=models.TextField(blank=True, verbose_name='error'),
        ),
        migrations.AlterField(
            model_name='licenseenotice',
            name='kind',
            field=models.CharField(choices=[('licensee_digest', 'digest'), ('licensee_reminder', 'reminder')], max_length=32, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='licenseenotice',
            name='licensee',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='optout.licensee', verbose_name='licensee'),
        ),
        migrations.AlterField(
            model_name='licenseenotice',
            name='outcome',
            field=models.CharField(choices=[('sending', 'sending'), ('sent', 'sent'), ('failed', 'failed')], default='sending', max_length=16, verbose_name='outcome'),
        ),
        migrations.AlterField(
            model_name='licenseenotice',
            name='sent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='sent'),
        ),
        migrations.AlterField(
            model_name='licenseenotice',
            name='to',
            field=models.TextField(blank=True, verbose_name='to'),
        ),
        migrations.AlterField(
            model_name='licenseenotice',
            name='waiting',
            field=models.PositiveIntegerField(default=0, help_text='Removals waiting when written.', verbose_name='removals waiting'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='closed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='closed'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='contact',
            field=models.CharField(blank=True, help_text='Optional contact details besides the email.', max_length=500, verbose_name='contact'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='filed'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='deadline',
            field=models.DateTimeField(verbose_name='deadline'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='email',
            field=models.EmailField(blank=True, max_length=254, verbose_name='email'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='email_confirmed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='email confirmed'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='flickr_username',
            field=models.CharField(blank=True, help_text="At sign-in, for the maintainers' eyes only.", max_length=255, verbose_name='Flickr username'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='future_releases',
            field=models.BooleanField(default=False, help_text='Also keep this owner out of every future release.', verbose_name='future releases'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='kind',
            field=models.CharField(choices=[('owner', 'owner'), ('shown_in_photo', 'shown in photo'), ('flickr_signal', 'Flickr signal')], default='owner', max_length=16, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='owner_nsid',
            field=models.CharField(blank=True, db_index=True, max_length=32, verbose_name="owner's NSID"),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='photo_links',
            field=models.TextField(blank=True, help_text='The photo links or ids, as given.', verbose_name='photo links'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='public_id',
            field=models.CharField(max_length=16, unique=True, verbose_name='request'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='reject_reason',
            field=models.TextField(blank=True, verbose_name='reason for rejecting'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='relation',
            field=models.CharField(blank=True, help_text='How the requester relates to the photos.', max_length=200, verbose_name='relation'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='scope',
            field=models.CharField(choices=[('all', 'all my photos'), ('selected', 'the photos I chose')], default='all', max_length=16, verbose_name='scope'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='statement',
            field=models.TextField(blank=True, verbose_name='statement'),
        ),
        migrations.AlterField(
            model_name='removalrequest',
            name='status',
            field=models.CharField(choices=[('pending_email', 'waiting for email confirmation'), ('verified', 'verified'), ('needs_review', 'needs review'), ('approved', 'approved'), ('deleting', 'deleting'), ('completed', 'completed'), ('failed', 'failed'), ('cancelled', 'cancelled'), ('rejected', 'rejected')], db_index=True, max_length=16, verbose_name='state'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='actor',
            field=models.CharField(help_text='The requester, optout itself, Flickr, the email provider or a maintainer.', max_length=150, verbose_name='who'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='at',
            field=models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='when'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='from_status',
            field=models.CharField(blank=True, max_length=16, verbose_name='from'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='kind',
            field=models.CharField(choices=[('status', 'state change'), ('email_confirmed', 'email confirmed'), ('email_bounced', 'email bounced'), ('email_complained', 'spam complaint'), ('email_failed', 'email failed'), ('joined', 'photos added'), ('flickr_signal', 'signal on Flickr'), ('note', 'internal note')], default='status', max_length=20, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='public',
            field=models.BooleanField(default=True, help_text="Shown on the requester's timeline.", verbose_name='public'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='request',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='optout.removalrequest', verbose_name='request'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='to_status',
            field=models.CharField(blank=True, max_length=16, verbose_name='to'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='why',
            field=models.TextField(blank=True, verbose_name='why'),
        ),
        migrations.AlterField(
            model_name='webhookattempt',
            name='at',
            field=models.DateTimeField(verbose_name='when'),
        ),
        migrations.AlterField(
            model_name='webhookattempt',
            name='delivery',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tries', to='optout.webhookdelivery', verbose_name='webhook delivery'),
        ),
        migrations.AlterField(
            model_name='webhookattempt',
            name='duration_ms',
            field=models.PositiveIntegerField(default=0, verbose_name='time taken (ms)'),
        ),
        migrations.AlterField(
            model_name='webhookattempt',
            name='error',
            field=models.TextField(blank=True, verbose_name='error'),
        ),
        migrations.AlterField(
            model_name='webhookattempt',
            name='status_code',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='HTTP status'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='attempts'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='claimed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='claimed'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='created_at',
            field=models.DateTimeField(verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='dataset',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='optout.dataset', verbose_name='dataset'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='delivered_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='delivered'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='last_error',
            field=models.TextField(blank=True, verbose_name='last error'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='last_status_code',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='last HTTP status'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='licensee',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='optout.licensee', verbose_name='licensee'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='next_attempt_at',
            field=models.DateTimeField(verbose_name='next attempt'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='queued_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='handed to a worker'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='seq',
            field=models.BigIntegerField(help_text='The feed position the event announces.', verbose_name='feed position'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='status',
            field=models.CharField(choices=[('pending', 'pending'), ('delivered', 'delivered'), ('superseded', 'superseded'), ('paused', 'paused (410)'), ('failed', 'failed (gave up)'), ('cancelled', 'cancelled')], db_index=True, default='pending', max_length=16, verbose_name='state'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='webhook_id',
            field=models.CharField(max_length=64, unique=True, verbose_name='webhook ID'),
        ),
    ]
