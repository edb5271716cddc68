"""Search on PostgreSQL: the search documents of commitments, progress updates and attachments
(config/postgres.py). Nothing on SQLite; the table of words gets a model that does not manage it."""

from django.db import migrations, models

from config.postgres import searchable


class Migration(migrations.Migration):
    dependencies = [("commitments", "0015_attachments"), ("meetings", "0006_search")]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[("word", models.TextField(primary_key=True, serialize=False, verbose_name="word"))],
            options={"verbose_name": "search word", "db_table": "search_word", "managed": False},
        ),
        *searchable("commitments", "commitment", "title", "description", "lead_agency", "partner_counterpart"),
        *searchable("commitments", "progressupdate", "text", "source"),
        *searchable("commitments", "attachment", "name", "text"),
    ]
