"""A defect in a route answers with a reference, never its text; the server's log has both."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from webhelpers import new_env, sign_in

from harmwatch.errors import INTERNAL_LOG
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine
from harmwatch.web import create_app
from harmwatch.web.analysis import Analyses

SECRET_TEXT = "internal detail: /srv/harmwatch/secret.duckdb row 42"


@pytest.mark.internal_error_expected
def test_an_internal_error_shows_a_reference_and_logs_it(
    tmp_path: Path,
    sample_db: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = new_env(tmp_path / "env", sample_db, {"analyst": Role.ANALYST})
    app = create_app(env.settings())

    def broken(self: Analyses) -> None:
        raise ZeroDivisionError(SECRET_TEXT)

    with TestClient(app) as client:
        sign_in(client, "analyst")
        monkeypatch.setattr(Analyses, "meta", broken)
        records: list[logging.LogRecord] = []
        handler = logging.Handler(logging.ERROR)
        handler.emit = records.append  # type: ignore[method-assign]
        INTERNAL_LOG.addHandler(handler)
        try:
            api = client.get("/api/meta")
            page = client.get("/")
        finally:
            INTERNAL_LOG.removeHandler(handler)
    assert api.status_code == 500 and page.status_code == 500
    body = api.json()
    reference = body["reference"]
    assert body["detail"] == f"internal error, reference {reference}"
    assert SECRET_TEXT not in api.text and SECRET_TEXT not in page.text
    assert "internal error, reference" in page.text and "text/html" in page.headers["content-type"]
    assert page.headers["x-content-type-options"] == "nosniff"  # still every security header
    logged = [r for r in records if reference in r.getMessage()]
    assert logged and SECRET_TEXT in logged[0].getMessage() and logged[0].exc_info
    # The access log records the failed request with the same reference.
    engine = make_engine(env.database_url)
    with Session(engine) as db:
        entry = next(e for e in audit.query(db, limit=None) if e.target == "route:/api/meta")
    engine.dispose()
    details = json.loads(entry.details_json)
    assert entry.outcome == "error" and details["internal_error"] == reference
