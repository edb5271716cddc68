"""The Celery application: `celery -A config worker` and `celery -A config beat`."""

import functools
import logging
import os
import sys

from celery import Celery
from celery.signals import worker_init
from kombu.transport import redis

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # <app>.tasks
app.autodiscover_tasks(["commitments.reminders"])  # the reminders package's tasks


def _keep_held_tasks_when_the_broker_is_gone(restore_unacked):
    """kombu 5.7.0: when the connection to Redis is lost, the worker closes its channel, which puts back the tasks
    it holds unacknowledged (one queued with a delay: the sending after an owner change's quiet period) through the
    connection just lost; the AttributeError this raises stops the worker ("Unrecoverable error"), and nothing
    restarts it. With nothing to put them back through, they are left where they are: in Redis's record of tasks
    handed out, which hands them out again after the visibility timeout; beat's periodic tasks do their work
    before then (the reminders are in the database's outbox)."""

    @functools.wraps(restore_unacked)
    def restore_unless_disconnected(qos, client=None):
        if client is None and getattr(qos.channel.connection, "client", None) is None:
            logger.warning("The broker connection is lost: the tasks held are left to the broker to hand out again")
            return None
        return restore_unacked(qos, client)

    return restore_unless_disconnected


redis.QoS.restore_unacked = _keep_held_tasks_when_the_broker_is_gone(redis.QoS.restore_unacked)


@worker_init.connect
def _require_secret_key(**kwargs) -> None:
    """A worker without SECRET_KEY stops at once with the reason (Celery would only log an exception)."""
    from django.core.exceptions import ImproperlyConfigured

    from config.startup import require_secret_key

    try:
        require_secret_key()
    except ImproperlyConfigured as error:
        print(f"Cannot start the worker: {error}", file=sys.stderr)
        raise SystemExit(1) from None
