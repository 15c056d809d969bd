"""A request remembers the language it was filed in: its emails are written in it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("optout", "0017_flickr_recheck")]

    operations = [
        migrations.AddField(
            model_name="removalrequest",
            name="language",
            field=models.CharField(default="en", max_length=8),
        ),
    ]
