"""Search on PostgreSQL: the table of words, the trigger function, and the search documents of meetings and
participants (config/postgres.py). Nothing on SQLite, and no change to the models."""

from django.db import migrations

from config.postgres import search_setup, searchable


class Migration(migrations.Migration):
    dependencies = [("meetings", "0005_plausible_dates")]

    operations = [
        search_setup(),
        *searchable("meetings", "meeting", "city", "venue", "record_reference", "outcome_summary"),
        *searchable("meetings", "participant", "name", "organisation", "title"),
    ]
