"""A licensee has a language: its digests and reminders are written in it."""

import optout.models.licensees
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('optout', '0018_request_language'),
    ]

    operations = [
        migrations.AddField(
            model_name='licensee',
            name='language',
            field=models.CharField(choices=optout.models.licensees.language_choices, default='en', max_length=8),
        ),
    ]
