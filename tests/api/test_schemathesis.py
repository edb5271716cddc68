"""Property-based tests of every API operation against its OpenAPI schema, in-process, as a coordinator.

Valid data: no server error, every status code and content type documented, every response body and header
matching its schema (a commitment's ETag among them).
Invalid data (schemathesis's negative mode: wrong types, out-of-range values, missing or extra
fields): no server error, refused with a 4xx, and nothing saved by a refused request.
"""

import io

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from commitments.models import Commitment, ProgressUpdate
from meetings.models import AgendaTopic, Meeting, Membership, Participant, WorkingGroup
from tests.factories import api_token

CHECKS = {
    GenerationMode.POSITIVE: [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,  # the ETag of a commitment read, edited or found stale
    ],
    GenerationMode.NEGATIVE: [not_a_server_error, negative_data_rejection],
}


def saved_state() -> tuple:
    """Changes leave a trace here: a history record for each save of an audited row, and row counts."""
    audited = [WorkingGroup, Membership, Meeting, Commitment, ProgressUpdate]
    return (
        *(model.history.count() for model in audited),
        *(model.objects.count() for model in [Participant, AgendaTopic]),
    )


@pytest.fixture
def coordinator_token(db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    return api_token(get_user_model().objects.get(username="coordinator"))


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


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
def test_every_operation_conforms_to_the_schema(api_schema, coordinator_token, mode):
    # Its WSGI transport does not undo a content coding as an HTTP client does: JSON is asked for as is
    # (tests/test_security.py reads the gzipped answers).
    headers = {"Authorization": f"Token {coordinator_token}", "Accept-Encoding": "identity"}
    operations, cases, failures, partial_saves, no_input = 0, 0, [], [], []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
        )
        def run(case):
            nonlocal cases
            cases += 1
            before = saved_state()
            response = case.call(headers=headers)
            if 400 <= response.status_code < 500 and saved_state() != before:
                partial_saves.append(f"{case.operation.label}: {response.status_code} yet something was saved")
            case.validate_response(response, checks=CHECKS[mode])

        try:
            run()
        except Unsatisfiable:
            no_input.append(operation.label)  # no parameters or body: nothing to make invalid
        except Exception as error:
            failures.append(f"{operation.label}: {str(error)[:2000]}")
    for failure in failures + partial_saves:
        print("FAILURE", failure[:1500])
    print(
        f"\nschemathesis ({mode.value} data): {operations} operations, {cases} test cases, "
        f"{len(failures)} failures, {len(partial_saves)} partial saves"
        + (f" ({len(no_input)} operations take no input to make invalid)" if no_input else "")
    )
    assert mode == GenerationMode.NEGATIVE or no_input == []
    assert failures == []
    assert partial_saves == []
