"""Property-based tests of every API operation against its OpenAPI schema, in-process, as a coordinator.

Checks: no server error, every status code documented, every response body matching its schema.
"""

import io

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def coordinator_token(db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    return Token.objects.create(user_id=_coordinator_id()).key


def _coordinator_id() -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="coordinator").pk


@pytest.fixture
def api_schema(coordinator_token):
    # As Django's test client does: the WSGI handler must not close the test's database connection.
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", get_wsgi_application(), headers={"Authorization": f"Token {coordinator_token}"}
    )
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


def test_every_operation_conforms_to_the_schema(api_schema, coordinator_token):
    headers = {"Authorization": f"Token {coordinator_token}"}
    operations, cases, failures = 0, 0, []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
        )
        def run(case):
            nonlocal cases
            cases += 1
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as error:
            failures.append(f"{operation.label}: {str(error)[:2000]}")
    for failure in failures:
        print("FAILURE", failure[:1500])
    print(f"\nschemathesis: {operations} operations, {cases} test cases, {len(failures)} failures")
    assert failures == []
