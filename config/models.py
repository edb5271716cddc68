"""What the project itself keeps about accounts: which of them log in through the directory."""

from django.conf import settings
from django.db import models


class DirectoryAccount(models.Model):
    """A user who logs in with their directory account (LDAP, Active Directory) rather than a local password."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="directory_account",
        verbose_name="user",
    )
    dn = models.CharField("distinguished name", max_length=1000)
    entry_id = models.CharField(
        "entry id",
        max_length=64,
        blank=True,
        db_index=True,  # the account of an entry, at each login
        help_text="The directory entry's own id (entryUUID, objectGUID), which stays when it is moved or renamed.",
    )
    synced_at = models.DateTimeField("name and e-mail last read from the directory")
    checked_at = models.DateTimeField("last checked against the directory", null=True, blank=True)
    staff_with_superuser = models.BooleanField(
        "staff with the superuser group",
        default=False,
        help_text="Staff only because the directory made them a superuser (LDAP_SUPERUSER_GROUP without "
        "LDAP_STAFF_GROUP): no longer staff when they leave that group.",
    )
    disabled_in_directory = models.BooleanField(
        "disabled in the directory",
        default=False,
        help_text="Deactivated here because the directory no longer has the account, or has it disabled. "
        "A login through the directory once it is enabled there again reactivates it.",
    )

    class Meta:
        verbose_name = "directory account"

    def __str__(self) -> str:
        return self.dn
