from django.db import migrations

from commitments.categories import ensure_default_categories


def seed_categories(apps, schema_editor):
    ensure_default_categories(apps.get_model("commitments", "Category"))


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial")]

    operations = [migrations.RunPython(seed_categories, migrations.RunPython.noop)]
