"""A real Celery worker, configured like an operator's (LDAP_* variables), checks the directory accounts against
a real directory: a user disabled there loses their API token once the check has run."""

import subprocess
import sys

from django.contrib.auth import get_user_model
from django.urls import reverse
from knox.models import AuthToken

from config.tasks import check_directory_accounts
from tests.conftest import ALICE_PASSWORD, directory_environment
from tests.live.conftest import BASE_DIR, wait_for


def test_the_worker_deactivates_a_user_disabled_in_the_directory(workers, directory, directory_login, client):
    workers(**directory_environment(directory))
    response = client.post(reverse("login"), {"username": "alice", "password": ALICE_PASSWORD})
    assert response.status_code == 302
    alice = get_user_model().objects.get(username="alice")
    _, token = AuthToken.objects.create(user=alice)
    api = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get("/api/v1/me/", **api).status_code == 200

    directory.disable(directory.alice)
    check_directory_accounts.delay()
    wait_for(lambda: not get_user_model().objects.get(pk=alice.pk).is_active, what="the check to deactivate alice")
    assert client.get("/api/v1/me/", **api).status_code == 401


def test_beat_checks_the_directory_accounts_every_ldap_check_minutes(directory):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup(); "
        "from django.conf import settings as s; "
        "entry = s.CELERY_BEAT_SCHEDULE.get('check-directory-accounts'); "
        "print(entry and (entry['task'], entry['schedule'].total_seconds()))"
    )
    base = {"PATH": "/usr/bin:/bin", "ENV_FILE": "", "LOG_LEVEL": "WARNING"}

    def scheduled(**environ) -> str:
        run = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env={**base, **environ}, capture_output=True)
        assert run.returncode == 0, run.stderr.decode()
        return run.stdout.decode().strip()

    assert scheduled() == "None"  # no directory, no check
    configured = {**directory_environment(directory), "LDAP_CHECK_MINUTES": "5"}
    assert scheduled(**configured) == "('config.tasks.check_directory_accounts', 300.0)"
