from django.db import migrations

CATEGORIES = [
    ("information-sharing", "Information sharing", "Exchange of intelligence and information on terrorist groups, their movements and financing."),
    ("joint-training", "Joint training and capacity building", "Training programmes, exchanges of best practices and capacity building for law enforcement and security personnel."),
    ("research", "Research", "Joint research and studies, e.g. on the drivers of radicalization."),
    ("multilateral-coordination", "Multilateral coordination", "Coordination of positions in the UN, SCO-RATS, the EAG and other multilateral fora."),
    ("other", "Other", "Anything that fits no other category."),
]


def seed_categories(apps, schema_editor):
    Category = apps.get_model("commitments", "Category")
    for order, (slug, name, description) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "description": description, "order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial")]

    operations = [migrations.RunPython(seed_categories, migrations.RunPython.noop)]
