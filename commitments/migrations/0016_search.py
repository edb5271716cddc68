"""Search on PostgreSQL: the search documents of commitments, progress updates and attachments
(config/postgres.py). Nothing on SQLite, and no change to the models."""

from django.db import migrations

from config.postgres import searchable


class Migration(migrations.Migration):
    dependencies = [("commitments", "0015_attachments"), ("meetings", "0006_search")]

    operations = [
        searchable("commitments_commitment", "title", "description", "lead_agency", "partner_counterpart"),
        searchable("commitments_progressupdate", "text", "source"),
        searchable("commitments_attachment", "name", "text"),
    ]
