"""Programme types are configuration: every shipped type loads; a new one needs no code."""

from __future__ import annotations

from pathlib import Path

import pytest
from programme_world import OFFICER, WHY, event, programme
from sqlalchemy import Engine

from harmwatch.programmes import config, outcomes, service
from harmwatch.programmes.config import ProgrammeConfigError, load_types, parse_types

SHIPPED = {
    "treatment-referral",
    "checkpoint",
    "victim-services",
    "custody-visiting",
    "volunteers",
    "recruitment-cohort",
    "awareness-campaign",
}

NEW_TYPE = """
[[types]]
key = "needle-exchange"
title = "Needle and syringe programme"
source = "NICE public health guideline PH52 (2014)"

[[types.events]]
key = "visit"
title = "Exchange visit"
  [[types.events.fields]]
  name = "kits"
  type = "integer"
  guidance = "kits handed out"
  required = true
  min = 0
  max = 50

[[types.measures]]
key = "visits"
title = "Visits"
kind = "count"
event = "visit"

[[types.measures]]
key = "people"
title = "People"
kind = "participants"
event = "visit"

[[types.measures]]
key = "kits"
title = "Kits handed out"
kind = "sum"
event = "visit"
field = "kits"
"""


def test_every_shipped_type_loads_with_forms_and_measures() -> None:
    types = load_types()
    assert set(types) == SHIPPED
    for ptype in types.values():
        assert ptype.source and ptype.events and ptype.measures, ptype.key
        for kind in ptype.events:
            assert kind.form.kind == f"programme-event-{ptype.key}-{kind.key}"
    assert types["checkpoint"].pseudonymised and types["treatment-referral"].pseudonymised
    assert not types["volunteers"].pseudonymised and types["volunteers"].participants
    for counts_only in ("custody-visiting", "recruitment-cohort", "awareness-campaign"):
        assert not types[counts_only].participants
        assert all(k.participant == "none" for k in types[counts_only].events)
    check = types["checkpoint"].event("reoffending-check").form
    assert check.field("months").choices == ("12", "24")
    assert check.field("reoffended").type == "boolean"
    assert dict(types["checkpoint"].measure("reoffended-24").where) == {
        "months": "24",
        "reoffended": True,
    }
    assert types["treatment-referral"].treatment_referral_event == "referred"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (NEW_TYPE.replace('  name = "kits"\n', "", 1), "events[visit].fields[0].name: is missing"),
        (NEW_TYPE.replace('type = "integer"', 'type = "integr"', 1), "fields[kits].type: 'integr'"),
        (NEW_TYPE.replace("min = 0", "min = 60", 1), "fields[kits].min: 60 is more than max"),
    ],
)
def test_a_bad_field_is_refused_naming_file_type_and_field(
    tmp_path: Path, text: str, named: str
) -> None:
    path = tmp_path / "extra.toml"
    path.write_text(text)
    with pytest.raises(ProgrammeConfigError) as caught:
        load_types(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: programme type 'needle-exchange': "), message
    assert named in message, message


def test_other_mistakes_are_named() -> None:
    cases = {
        NEW_TYPE.replace('field = "kits"', 'field = "kit"'): "measures[kits].field: 'kit' is not",
        NEW_TYPE.replace('kind = "count"', 'kind = "average"'): "measures[visits].kind: 'average'",
        NEW_TYPE + '\n[[types.measures]]\nkey = "rate"\ntitle = "Rate"\nkind = "ratio"\n'
        'numerator = "kits"\ndenominator = "nobody"\n': "measures[rate].denominator: 'nobody'",
        NEW_TYPE.replace('name = "kits"', 'name = "participant"'): "is a field every event has",
        NEW_TYPE.replace('key = "needle-exchange"', 'key = "Needle Exchange"'): "types[0].key",
        NEW_TYPE.replace("[[types.events]]", '[[types.events]]\nparticipant = "maybe"'): (
            "events[visit].participant: required, optional or none"
        ),
        "not = [valid": "not valid TOML",
    }
    for text, expected in cases.items():
        with pytest.raises(ProgrammeConfigError) as caught:
            parse_types(text, "force.toml")
        assert "force.toml" in str(caught.value) and expected in str(caught.value), caught.value


def test_a_file_may_not_redefine_a_shipped_type(tmp_path: Path) -> None:
    path = tmp_path / "again.toml"
    path.write_text(NEW_TYPE.replace("needle-exchange", "checkpoint"))
    with pytest.raises(ProgrammeConfigError, match="'checkpoint' is already declared"):
        load_types(path)


def test_a_new_type_from_a_file_records_events_and_outcomes_with_no_code(
    records_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "force-programmes.toml"
    path.write_text(NEW_TYPE)
    monkeypatch.setenv(config.ENV, str(path))
    assert "needle-exchange" in config.programme_types()
    pid = programme(records_engine, "needle-exchange", "Dacorum needle exchange")
    event(records_engine, pid, "visit", "2025-02-01", "41/0001/25", kits=10)
    event(records_engine, pid, "visit", "2025-02-08", "41 0001 25", kits=5)
    event(records_engine, pid, "visit", "2025-02-09", "41/0002/25", kits=7)
    with pytest.raises(service.FormRefused, match="kits: at most 50"):
        event(records_engine, pid, "visit", "2025-02-10", "41/0003/25", kits=51)
    (result,) = outcomes.outcomes(records_engine, OFFICER, pid, justification=WHY)
    figures = {m.key: m.value for m in result.measures}
    assert figures == {"visits": 3, "people": 2, "kits": 22}
