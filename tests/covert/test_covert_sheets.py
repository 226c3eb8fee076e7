"""Authorisations in the bulk template: a row stores one (policy first) and exports back the same."""

from __future__ import annotations

import pytest
from covert_helpers import OFFICER, Clock, form, utc, who
from sqlalchemy import Engine, select

from harmwatch.covert.models import CovertAuthorisation
from harmwatch.covert.sheets import SHEETS
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.security.roles import Role


def test_a_row_stores_an_authorisation_and_exports_as_the_same_row(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch, utc(2025, 1, 2, 9, 0))
    (sheet,) = SHEETS
    assert sheet.kind == "authorisation" and sheet.record_type.kind == "covert-authorisation"
    clean = sheet.form.checked(form(urgent_oral="no", review_interval_days="14"))
    target = RecordRef("covert-authorisation", "new")
    with unit_of_work(records_engine, OFFICER, AuditAction.COLLECTION, target) as work:
        stored = sheet.store(work, clean)
        work.target(stored.ref)
    with unit_of_work(records_engine, OFFICER, AuditAction.CONSULTATION, stored.ref) as work:
        found = work.db.scalars(
            policy.scope(OFFICER, select(CovertAuthorisation), CovertAuthorisation)
        ).one()
        row = sheet.values(work.db, found)
    again, problems = sheet.form.check(row)
    assert problems == []
    assert {k: v for k, v in again.items() if k != "first_review_on"} == {
        **{k: v for k, v in clean.items() if k != "first_review_on"},
        "urgent_oral": False,
        "unit": "dacorum-cid",
    }
    analyst = who(Role.ANALYST)
    with (
        pytest.raises(policy.PolicyDenied),
        unit_of_work(records_engine, analyst, AuditAction.COLLECTION, target) as work,
    ):
        sheet.store(work, clean)
