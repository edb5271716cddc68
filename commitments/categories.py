"""The default categories: created by a data migration, restored by `seed_demo`, editable in the admin."""

DEFAULT_CATEGORIES = [
    (
        "information-sharing",
        "Information sharing",
        "Exchange of intelligence and information on terrorist groups, their movements and financing.",
    ),
    (
        "joint-training",
        "Joint training and capacity building",
        "Training programmes, exchanges of best practices and capacity building for law enforcement and "
        "security personnel.",
    ),
    ("research", "Research", "Joint research and studies, e.g. on the drivers of radicalization."),
    (
        "multilateral-coordination",
        "Multilateral coordination",
        "Coordination of positions in the UN, SCO-RATS, the EAG and other multilateral fora.",
    ),
    ("other", "Other", "Anything that fits no other category."),
]


def ensure_default_categories(category_model) -> None:
    """Create the default categories that are missing; existing ones are left as edited.

    Takes the model class so that the data migration can pass its historical model.
    """
    for order, (slug, name, description) in enumerate(DEFAULT_CATEGORIES, start=1):
        category_model.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order * 10}
        )
