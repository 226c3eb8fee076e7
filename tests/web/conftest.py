"""Fixtures for the web tests: the bundled sample in DuckDB, one user per role, signed-in clients.

The sample (Hertfordshire, Bedfordshire, Cambridgeshire street crimes, 2025) is
loaded once per session (``sample_db``, tests/conftest.py); records databases are
SQLite files in temp folders, so the tests need no server and no internet.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from webhelpers import SignedIn, WebEnv, new_env, sign_in

from harmwatch.security.roles import Role
from harmwatch.web import create_app


@pytest.fixture(scope="session")
def web_env(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> WebEnv:
    return new_env(tmp_path_factory.mktemp("web"), sample_db)


@pytest.fixture(scope="session")
def app(web_env: WebEnv) -> FastAPI:
    return create_app(web_env.settings())


@pytest.fixture(scope="session")
def clients(app: FastAPI) -> Iterator[dict[str, SignedIn]]:
    """One signed-in client per role, keyed by role name."""
    out = {}
    for role in Role:
        client = TestClient(app)
        csrf = sign_in(client, role.value)
        out[role.value] = SignedIn(client, csrf, role.value)
    yield out
    for signed in out.values():
        signed.client.close()


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
