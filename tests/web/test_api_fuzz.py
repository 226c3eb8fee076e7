"""Fuzz every API operation from its OpenAPI document: nothing may answer with a 5xx.

Schemathesis generates requests from ``/api/openapi.json`` (valid and invalid
values within the declared types) and sends them to the ASGI app with a signed-in
analyst's session and CSRF token, so the calls reach the handlers rather than
stopping at the guard. A bad filter must be a 4xx with a message, never a crash.
Bounded (a few dozen examples per operation, derandomised) to keep the suite fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from webhelpers import new_env, sign_in

from harmwatch.security.roles import Role
from harmwatch.web import create_app
from harmwatch.web.rules import ROUTE_RULES

OPERATIONS = sorted(
    (path, method)
    for (method, path), rule in ROUTE_RULES.items()
    if rule.kind == "api" and path != "/api/openapi.json"
)
MAX_EXAMPLES = 25


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> FastAPI:
    """An app of its own: the fuzzer uploads files and boundaries (refused, but still)."""
    env = new_env(tmp_path_factory.mktemp("fuzz"), sample_db, {"analyst": Role.ANALYST})
    return create_app(env.settings())


@pytest.fixture(scope="module")
def analyst_session(fuzz_app: FastAPI) -> Iterator[tuple[str, str]]:
    with TestClient(fuzz_app) as client:
        csrf = sign_in(client, "analyst")
        cookie = client.cookies.get("hw_session")
        assert cookie
        yield cookie, csrf


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_app)


def test_every_api_operation_is_fuzzed(api_schema: schemathesis.schemas.BaseSchema) -> None:
    """The list below is the OpenAPI document's: a new operation is fuzzed without a change here."""
    documented = {
        (path, method.upper())
        for path, methods in api_schema.raw_schema["paths"].items()
        for method in methods
    }
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_server_errors(
    path: str,
    method: str,
    api_schema: schemathesis.schemas.BaseSchema,
    analyst_session: tuple[str, str],
) -> None:
    cookie, csrf = analyst_session
    operation = api_schema[path][method]

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        response = case.call(headers={"X-CSRF-Token": csrf}, cookies={"hw_session": cookie})
        case.validate_response(response, checks=[not_a_server_error])

    check()
