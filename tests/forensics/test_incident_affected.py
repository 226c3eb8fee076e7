"""An incident's affected cases and samples, per force and in total, equal an independent count."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date, timedelta

import pytest
from incidentworld import FORCES, LEAD, WHY, Clock, Sample, case, labs, pcc, reviewer
from sqlalchemy import Engine, text

from harmwatch.forensics import incidents
from harmwatch.kernel.forms import FormRefused
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.security import audit
from harmwatch.storage.records import session_scope

WINDOW = (date(2014, 1, 1), date(2016, 12, 31))
STATUSES = ("under-investigation", "charged", "awaiting-trial", "convicted", "acquitted", "discontinued")  # fmt: skip


def _world(engine: Engine) -> tuple[int, dict[str, list[tuple[str, str, bool]]]]:
    """Seeded cases in three forces; what each sample is, and whether it should be affected."""
    lab = labs(engine)
    rng = random.Random(16)
    made: dict[str, list[tuple[str, str, bool]]] = {f: [] for f in FORCES}  # (case, status, hit)
    for force in FORCES:
        for n in range(rng.randint(6, 9)):
            status = rng.choice(STATUSES)
            samples, hits = [], []
            for _ in range(rng.randint(1, 3)):
                miss = rng.choice(["none", "none", "none", "provider", "window", "test", "analyst", "lab"])  # fmt: skip
                tested = WINDOW[0] + timedelta(days=rng.randint(0, 1000))
                s = Sample(lab.provider_id, lab.laboratory_id, tested=tested, analyst="A. Analyst")
                if miss == "provider":
                    s.provider_id, s.laboratory_id = lab.other_provider_id, None
                elif miss == "window":
                    s.tested = date(2017, 3, 1)
                elif miss == "test":
                    s.test = "Drug exhibit purity"
                elif miss == "analyst":
                    s.analyst = "B. Other"
                elif miss == "lab":
                    s.laboratory_id = None
                samples.append(s)
                hits.append(miss == "none")
            if rng.random() < 0.2:  # only the received date recorded: it is the one judged
                samples[0].tested, samples[0].received = None, date(2015, 6, 1)
                hits[0] = hits[0] or (
                    samples[0].provider_id == lab.provider_id
                    and (
                        samples[0].laboratory_id == lab.laboratory_id
                        and samples[0].test.startswith("Drug driving")
                        and samples[0].analyst == "A. Analyst"
                    )
                )  # a sample missed only by its date is now inside the window
            ref = f"{force[:4].upper()}/{n:03d}"
            case(engine, force, ref, samples, status=status)
            made[force] += [(ref, status, hit) for hit in hits]
    view = incidents.declare(
        engine, reviewer(),
        {"name": "Fictional Toxicology QC manipulation", "provider_id": lab.provider_id,
         "laboratory_id": lab.laboratory_id, "tests": "drug driving  BLOOD toxicology",
         "analysts": "a. analyst", "window_from": WINDOW[0], "window_to": WINDOW[1],
         "fictional": True},
    )  # fmt: skip
    return view.id, made


def test_affected_cases_and_samples_equal_an_independent_count(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch)
    incident_id, made = _world(records_engine)
    got = incidents.affected(records_engine, reviewer(), incident_id, justification=WHY)
    out = json.loads(json.dumps(got.to_json()))
    expected_total = Counter[str]()
    for force in FORCES:
        hits = [(ref, status) for ref, status, hit in made[force] if hit]
        cases = {ref for ref, _ in hits}
        assert out["forces"][force]["cases"] == len(cases), force
        assert out["forces"][force]["samples"] == len(hits), force
        for status in STATUSES:
            want_cases = len({ref for ref, s in hits if s == status})
            want_samples = sum(1 for _, s in hits if s == status)
            assert out["forces"][force]["by_status"][status] == {
                "cases": want_cases, "samples": want_samples,
            }, (force, status)  # fmt: skip
        expected_total.update(cases=len(cases), samples=len(hits))
    assert out["total"]["cases"] == expected_total["cases"]
    assert out["total"]["samples"] == expected_total["samples"]
    # and by plain SQL over the stored rows (no ORM, no policy)
    sql = text(
        "SELECT c.owning_force, COUNT(DISTINCT c.id), COUNT(e.id) FROM forensic_exhibits e "
        "JOIN forensic_cases c ON c.id = e.case_id "
        "WHERE e.provider_id = :p AND e.laboratory_id = :l "
        "AND lower(e.test_requested) = 'drug driving blood toxicology' "
        "AND e.analyst = 'A. Analyst' "
        "AND COALESCE(e.tested_on, e.received_on, e.reported_on) BETWEEN :a AND :b "
        "GROUP BY c.owning_force"
    )
    with records_engine.connect() as conn:
        incident = incidents.incident(records_engine, reviewer(), incident_id)
        rows = conn.execute(
            sql,
            {
                "p": incident.provider_id,
                "l": incident.laboratory_id,
                "a": WINDOW[0],
                "b": WINDOW[1],
            },
        ).all()
    assert {r[0]: (r[1], r[2]) for r in rows} == {
        f: (v["cases"], v["samples"]) for f, v in out["forces"].items()
    }
    # a case with two affected samples counts once
    assert any(
        sum(1 for ref2, _, hit in made[f] if hit and ref2 == ref) >= 2
        for f in FORCES for ref, _, _ in made[f]
    )  # fmt: skip
    assert expected_total["samples"] > expected_total["cases"]
    # each force's own reviewer sees only their force's (nothing shared with them)
    own = incidents.affected(
        records_engine, reviewer("bedfordshire"), incident_id, justification=WHY
    )
    assert [f.force for f in own.forces] == ["bedfordshire"]
    assert own.total.cases == out["forces"]["bedfordshire"]["cases"]
    # the read is logged, naming the records
    with session_scope(records_engine) as db:
        entry = audit.query(db, actor=f"reviewer-{LEAD}", limit=1)[0]
    assert entry.action == "consultation" and entry.outcome == "ok"
    assert len(entry.details["records"]) == out["total"]["cases"] + out["total"]["samples"]


def test_need_to_know_and_the_incident_form(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch)
    lab = labs(records_engine)
    with pytest.raises(PolicyDenied):
        incidents.declare(records_engine, pcc(), {"name": "x", "provider_id": lab.provider_id})
    with pytest.raises(FormRefused) as refused:
        incidents.declare(
            records_engine, reviewer(),
            {"name": "Backwards", "provider_id": lab.provider_id, "laboratory_id": 999,
             "window_from": "2016-01-01", "window_to": "2015-01-01"},
        )  # fmt: skip
    assert set(refused.value.by_field()) == {"laboratory_id", "window_to"}
    made = incidents.declare(
        records_engine, reviewer(),
        {"name": "Window", "provider_id": lab.provider_id, "window_from": "2015-01-01",
         "window_to": "2016-01-01"},
    )  # fmt: skip
    with pytest.raises(PolicyDenied):
        incidents.affected(records_engine, pcc(), made.id, justification=WHY)
    assert [i.name for i in incidents.incidents(records_engine, pcc())] == ["Window"]
    done = incidents.notify_regulator(
        records_engine, reviewer(), made.id,
        {"to": "Forensic Science Regulator", "on": "2025-06-02", "reference": "FSR/2025/1"},
    )  # fmt: skip
    assert done.regulator_notifications == [
        {"to": "Forensic Science Regulator", "on": "2025-06-02", "reference": "FSR/2025/1",
         "basis": "the Forensic Science Regulator's statutory Code of Practice"}
    ]  # fmt: skip
    with pytest.raises(FormRefused, match="on: 2025-07-01 is in the future"):
        incidents.notify_regulator(
            records_engine, reviewer(), made.id,
            {"to": "FSR", "on": "2025-07-01", "reference": "x"},
        )  # fmt: skip
