"""Reminders, from the rules to the SMTP server.

- planning.py: the rules (pure functions over a day and the data: what is due, for whom) and the plan
  recorded in the outbox (Reminder rows), including the notices of an owner change;
- digests.py: what a message says (one digest per recipient, its sections, subject and links);
- delivery.py: claims, SMTP, outcomes, retries (the delivery guarantee);
- tasks.py: the thin Celery tasks (the hourly sweep, sending now);
- signals.py: a commitment changing owner plans its notices.
"""
