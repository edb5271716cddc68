import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commitments.models import Reminder
from commitments.reminders import delivery, planning


class Command(BaseCommand):
    help = (
        "Plan the reminders due on a day and send them now, synchronously (what the hourly Celery sweep does). "
        "Run before the send hour, or with --today, acts as of that day at the send hour; notices of owner changes "
        "go once their quiet period has passed as of that moment."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="The day to act as of, YYYY-MM-DD (default: today in TIME_ZONE).")
        parser.add_argument("--dry-run", action="store_true", help="Show what is due; record and send nothing.")

    def handle(self, *args, today=None, dry_run=False, verbosity=1, **options):
        now = self.moment(today)
        today = timezone.localdate(now)
        self.verbosity = verbosity
        if dry_run:
            return self.dry_run(today)
        planned = planning.plan(today, every_group=True)  # also what was deleted from the outbox by hand
        self.say(
            f"Planned as of {today}: {planned.current} due, {planned.stale} stale (skipped), "
            f"{planned.superseded} {planning.NO_LONGER_CALLED_FOR} (skipped)."
        )
        sent = delivery.send_due(now)
        self.say(
            f"Sent {sent.digests} digest(s) with {sent.sent} reminder(s); {sent.retrying} to retry, "
            f"{sent.failed} failed; {sent.recovered} recovered from a stopped worker; "
            f"{sent.withdrawn} withdrawn since planning (the commitment was closed or changed owner, or the recipient "
            "left the group or their account was closed)."
        )
        for error in sent.errors:
            self.stderr.write(self.style.WARNING(f"  {error}"))

    def moment(self, day: str | None) -> datetime.datetime:
        """The day at the send hour; today, now if that is later."""
        send_time = datetime.time(settings.REMINDER_SEND_HOUR)
        if day is None:
            at_send_hour = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), send_time))
            return max(timezone.now(), at_send_hour)
        try:
            date = datetime.date.fromisoformat(day)
        except ValueError:
            raise CommandError(f"--today must be a date as YYYY-MM-DD, not {day!r}.") from None
        return timezone.make_aware(datetime.datetime.combine(date, send_time))

    def dry_run(self, today: datetime.date) -> None:
        due = [planned for planned in planning.due_reminders(today) if not planned.stale]
        recorded = set(
            Reminder.objects.exclude(state=Reminder.State.PENDING).values_list(
                "recipient_id", "reason", "commitment_id", "meeting_id", "anchor_date", "lead_days"
            )
        )
        to_send = [planned for planned in due if planned.key not in recorded]
        recipients = sorted({planned.recipient_id for planned in to_send})
        self.say(
            f"Dry run as of {today}: {len(to_send)} reminder(s) for {len(recipients)} recipient(s) "
            f"({len(due) - len(to_send)} already sent, failed or skipped). Nothing recorded or sent."
        )
        if self.verbosity >= 2:
            for planned in to_send:
                about = (
                    f"commitment {planned.commitment_id}" if planned.commitment_id else f"meeting {planned.meeting_id}"
                )
                self.stdout.write(
                    f"  user {planned.recipient_id}: {planned.reason} about {about}, planned for {planned.planned_for}"
                )

    def say(self, text: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(text)
