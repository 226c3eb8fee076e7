"""The kernel's gate to bulk personal data in the analytics store: capability, justification, log."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sample_records import READ_NOTES, person
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from harmwatch.kernel.bulk import BulkAccess
from harmwatch.kernel.justification import JustificationRequired
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.analytics import AnalyticsStore, TableQuery

TABLE = "sample_calls"  # undeclared in the store's registry, so personal


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "analytics.duckdb"
    AnalyticsStore.open(path, read_only=False).close()
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE {TABLE} (a_number VARCHAR, b_number VARCHAR)")
    con.execute(
        f"INSERT INTO {TABLE} VALUES ('+447700900001', '+447700900002'), ('+447700900001', '+447700900003')"
    )
    con.close()
    return path


def _capability(table: str):  # type: ignore[no-untyped-def]
    return READ_NOTES if table == TABLE else None


def test_a_permitted_read_is_logged_with_its_rows(store_path: Path, records_engine: Engine) -> None:
    analyst = person("ann", role=Role.ANALYST)
    access = BulkAccess(
        records_engine,
        analyst,
        justification="Op Scorpion: line 'Deano'",
        capability_for=_capability,
    )
    with AnalyticsStore.open(store_path) as store:
        rows = store.read_sensitive(
            TABLE,
            TableQuery(where={"a_number": ["+447700900001"]}),
            access=access,
            purpose="contacts of one number",
        )
    assert len(rows) == 2
    with Session(records_engine) as db:
        entry = audit.query(db, limit=1)[0]
    assert (entry.action, entry.target, entry.outcome) == ("consultation", f"store:{TABLE}", "ok")
    assert entry.details["rows"] == 2 and entry.justification == "Op Scorpion: line 'Deano'"


def test_a_role_without_the_capability_reads_nothing_and_is_logged_denied(
    store_path: Path, records_engine: Engine
) -> None:
    pcc = person("pat", role=Role.PCC_VIEWER)
    access = BulkAccess(
        records_engine, pcc, justification="curious about calls", capability_for=_capability
    )
    with AnalyticsStore.open(store_path) as store, pytest.raises(PolicyDenied):
        store.read_sensitive(TABLE, TableQuery(), access=access, purpose="browsing")
    undeclared = BulkAccess(
        records_engine, person("ann", role=Role.ANALYST), justification="Op Scorpion"
    )
    with AnalyticsStore.open(store_path) as store, pytest.raises(PolicyDenied):
        store.read_sensitive(TABLE, TableQuery(), access=undeclared, purpose="no room declares it")
    with Session(records_engine) as db:
        outcomes = [e.outcome for e in audit.query(db, limit=2)]
    assert outcomes == ["denied", "denied"]


def test_a_justification_is_required(records_engine: Engine) -> None:
    with pytest.raises(JustificationRequired):
        BulkAccess(records_engine, person("ann", role=Role.ANALYST), justification=None)
