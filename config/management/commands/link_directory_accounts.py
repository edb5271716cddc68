"""Hands local accounts over to the directory: `manage.py link_directory_accounts alice bob`."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from config import directory


class Command(BaseCommand):
    help = (
        "Local accounts whose usernames the directory also has log in with their directory account from now on "
        "(their local password stops working; their memberships, commitments and history stay theirs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", metavar="username")

    def handle(self, *args, usernames: list[str], **options):
        if not settings.DIRECTORY_LOGIN:
            raise CommandError("Directory login is off: set LDAP_SERVER_URI and the other LDAP_* settings first.")
        missing = []
        for username in usernames:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                missing.append(username)
                self.stderr.write(f"{username}: no such account here")
            elif directory.is_directory_user(user):
                self.stdout.write(f"{username}: already logs in with the directory ({user.directory_account.dn})")
            else:
                try:
                    account = directory.link(user)
                except directory.DirectoryLoginRefused as refusal:
                    missing.append(username)
                    self.stderr.write(f"{username}: not linked: {refusal.reason}; still a local account")
                    continue
                if account is None:
                    missing.append(username)
                    self.stderr.write(f"{username}: not found in the directory; still a local account")
                else:
                    self.stdout.write(f"{username}: logs in with the directory from now on ({account.dn})")
        if missing:
            raise CommandError(f"Not linked: {', '.join(missing)}.")
