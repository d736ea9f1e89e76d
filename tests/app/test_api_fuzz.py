"""Property-based requests from the OpenAPI schema: no input makes the API answer 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.app.support import new_user

EXAMPLES_PER_OPERATION = 10


# tests/reliability/test_fuzz.py runs the same idea as an admin over HTTP on PostgreSQL;
# this one covers the embedded backend with a participant's token.
@pytest.mark.parametrize("service", ["embedded"], indirect=True)
def test_no_input_makes_a_server_error(service: Settings) -> None:
    app = create_app(service)
    headers = new_user(service)
    with TestClient(app):
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 10
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def answers_without_server_error(case: schemathesis.Case) -> None:
                given_auth = "Authorization" in (case.headers or {})
                response = case.call(headers=None if given_auth else headers)
                assert response.status_code < 500, f"{case.method} {case.path}: {response.text}"
                if response.status_code >= 400 and "json" in response.headers.get(
                    "content-type", ""
                ):
                    assert "detail" in response.json()

            answers_without_server_error()
