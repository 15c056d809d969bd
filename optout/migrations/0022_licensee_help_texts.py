"""A licensee's language and shown name explained on its form. Options only: no SQL."""

import optout.models.licensees
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('optout', '0021_dataset_pictures_pending'),
    ]

    operations = [
        migrations.AlterField(
            model_name='licensee',
            name='language',
            field=models.CharField(choices=optout.models.licensees.language_choices, default='en', help_text='The language of its daily emails.', max_length=8, verbose_name='language'),
        ),
        migrations.AlterField(
            model_name='licensee',
            name='show_name',
            field=models.BooleanField(default=False, help_text='Owners may see this name among the organisations that confirmed their deletions.', verbose_name='show the name to owners'),
        ),
    ]
