import pytest
from django.db import IntegrityError, connection, transaction


def assert_violates(constraint_name: str, save) -> None:
    """Saving fails in the database on the named constraint, and the transaction goes on."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        save()
    message = str(excinfo.value)
    if connection.vendor == "sqlite" and message.startswith("UNIQUE constraint failed"):
        return  # SQLite names the columns of a unique constraint, not the constraint
    assert constraint_name in message
