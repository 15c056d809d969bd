# Deletion pipeline: one job per (request, dataset), and who removed a photo.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('optout', '0002_removal_requests'),
    ]

    operations = [
        migrations.AddField(
            model_name='photo',
            name='removed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='removed_photos', to='optout.removalrequest'),
        ),
        migrations.CreateModel(
            name='DeletionJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('queued', 'queued'), ('running', 'running'), ('done', 'done'), ('failed', 'failed'), ('cancelled', 'cancelled')], db_index=True, default='queued', max_length=16)),
                ('total', models.PositiveIntegerField(default=0, help_text='Photos of the request here.')),
                ('done', models.PositiveIntegerField(default=0, help_text='Of those, removed so far.')),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('claim', models.CharField(blank=True, max_length=64)),
                ('claimed_by', models.CharField(blank=True, help_text='host:pid of the worker.', max_length=200)),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('queued_at', models.DateTimeField(help_text='Last time a task was sent for this job.')),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('dataset', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deletion_jobs', to='optout.dataset')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deletion_jobs', to='optout.removalrequest')),
            ],
            options={
                'ordering': ['created_at', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('request', 'dataset'), name='deletion_job_unique')],
            },
        ),
    ]
