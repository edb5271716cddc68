"""The project's own periodic work: directory accounts checked against the directory."""

import logging

from celery import shared_task
from django.conf import settings

from config import directory

logger = logging.getLogger(__name__)


@shared_task
def check_directory_accounts() -> None:
    """Deactivates the accounts disabled or removed in the directory (config/directory.py), every
    LDAP_CHECK_MINUTES; when the directory cannot be reached, nothing changes until the next run."""
    if not settings.DIRECTORY_LOGIN:
        return
    try:
        report = directory.check_accounts()
    except directory.DirectoryUnavailable as error:
        logger.error("Directory accounts not checked: the directory cannot be used (%s)", error)
        return
    logger.info("Directory accounts checked: %d, deactivated: %d", report.checked, len(report.deactivated))
