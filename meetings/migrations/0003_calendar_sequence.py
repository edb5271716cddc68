import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0002_text_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="meeting",
            name="calendar_sequence",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="calendar sequence"),
        ),
        migrations.AddField(
            model_name="historicalmeeting",
            name="calendar_sequence",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="calendar sequence"),
        ),
        migrations.AddField(
            model_name="meeting",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now, verbose_name="updated"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalmeeting",
            name="updated_at",
            field=models.DateTimeField(blank=True, default=django.utils.timezone.now, editable=False, verbose_name="updated"),
            preserve_default=False,
        ),
    ]
