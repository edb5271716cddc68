"""How values read on a page and in an e-mail: a person's name; a recorded value, one rule for the admin's history
pages and a commitment's change log."""

from simple_history.models import DeletedObject


def person(user, nobody: str = "—") -> str:
    """A user's full name, or their username; `nobody` when there is no user."""
    if user is None:
        return nobody
    return user.get_full_name() or user.get_username()


def in_words(field, value):
    """A recorded value as a reader says it: nothing as "—", yes or no, choices (one or several) by label;
    other values as they are (dates and related objects are for the caller to spell)."""
    if value in (None, "") or (isinstance(value, DeletedObject) and value.pk is None):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field.flatchoices:
        labels = dict(field.flatchoices)
        if isinstance(value, list | tuple):  # several countries
            return ", ".join(str(labels.get(item, item)) for item in value) or "—"
        return labels.get(value, value)
    return value
