"""Programme events through the bulk sheets, and the SYNTHETIC demonstration programmes."""

from __future__ import annotations

import pytest
from programme_world import OFFICER, WHY, programme
from sqlalchemy import Engine, select

from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import FormRefused
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.programmes import demo, outcomes, service, sheets
from harmwatch.programmes.config import load_types
from harmwatch.programmes.models import ProgrammeEvent


def test_one_sheet_per_type_with_the_head_then_the_fields() -> None:
    kinds = {s.kind: s for s in sheets.SHEETS}
    assert set(kinds) == {f"programme-event-{k}" for k in load_types()}
    checkpoint = kinds["programme-event-checkpoint"].form
    assert checkpoint.names[:5] == (
        "programme",
        "event_kind",
        "occurred_on",
        "participant",
        "operation",
    )
    assert {"eligible", "conditions", "months", "reoffended"} <= set(checkpoint.names)
    assert "participant" not in kinds["programme-event-custody-visiting"].form.names


def test_a_sheet_row_is_stored_pseudonymised_and_exported_back(records_engine: Engine) -> None:
    e = records_engine
    programme(e, "checkpoint", "Checkpoint sheet")
    sheet = {s.kind: s for s in sheets.SHEETS}["programme-event-checkpoint"]
    row = {
        "programme": "Checkpoint sheet",
        "event_kind": "reoffending-check",
        "occurred_on": "2026-02-01",
        "participant": "41/4242/25",
        "months": "24",
        "reoffended": "no",
    }
    clean, problems = sheet.form.check(row)
    assert not problems
    with unit_of_work(
        e, OFFICER, AuditAction.COLLECTION, RecordRef("programme-event", "*"), justification=None
    ) as work:
        stored = sheet.store(work, clean)
        with pytest.raises(FormRefused, match="reoffended: required"):
            sheet.store(work, {**clean, "reoffended": None})
        exported = sheet.values(
            work.db,
            work.db.scalars(
                policy.scope(
                    OFFICER,
                    select(ProgrammeEvent).where(ProgrammeEvent.id == stored.id),
                    ProgrammeEvent,
                )
            ).one(),
        )
    assert exported["participant"].startswith("P-") and "4242" not in str(exported)
    assert (exported["months"], exported["reoffended"]) == ("24", False)
    (result,) = outcomes.outcomes(e, OFFICER, justification=WHY)
    assert {m.key: m.value for m in result.measures}["checked-24"] == 1


def test_the_demo_makes_one_synthetic_programme_of_each_type(records_engine: Engine) -> None:
    e = records_engine
    ids = demo.seed_demo(e, OFFICER, seed=3)
    assert set(ids) == set(load_types())
    first = {o.programme_type: [m.value for m in o.measures] for o in outcomes.outcomes(e, OFFICER)}
    assert all(o.synthetic for o in outcomes.outcomes(e, OFFICER))
    listing = service.list_events(e, OFFICER, ids["checkpoint"], justification=WHY)
    assert listing.total > 0 and all(v.synthetic for v in listing.events)
    assert any(v.event_kind == "reoffending-check" for v in listing.events)
    # the same seed gives the same figures in another force's copy
    from programme_world import who

    from harmwatch.security.roles import Role

    other = who(Role.NEIGHBOURHOOD_OFFICER, force="bedfordshire", unit="luton-snt")
    demo.seed_demo(e, other, seed=3)
    again = {o.programme_type: [m.value for m in o.measures] for o in outcomes.outcomes(e, other)}
    assert again == first


def test_a_column_two_kinds_declare_differently_takes_text(tmp_path: object) -> None:
    from harmwatch.programmes.config import parse_types

    text = """
[[types]]
key = "two-months"
title = "Two meanings of months"
source = "a test"
[[types.events]]
key = "signed"
title = "Signed"
  [[types.events.fields]]
  name = "months"
  type = "integer"
  guidance = "contract length"
  max = 12
[[types.events]]
key = "checked"
title = "Checked"
  [[types.events.fields]]
  name = "months"
  type = "choice"
  choices = ["12", "24"]
  guidance = "period"
"""
    (ptype,) = parse_types(text, "two.toml").values()
    column = sheets.sheet_form(ptype).field("months")
    assert column.type == "text" and "signed: contract length" in column.guidance
