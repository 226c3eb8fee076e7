"""Deal-line detection end to end on SYNTHETIC scenarios, and its rules on hand-made rows.

The scenario tests use development seeds (1000–1019 chose the rules); the benchmark
scores seeds never used in development (benchmarks/bench_county_lines.py).
"""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from harmwatch.calls import detection, findings, lines, scoring
from harmwatch.calls.importer import CALL_DATA, Authority, LegalBasis, import_file
from harmwatch.calls.rules import DetectionRules
from harmwatch.calls.synth.files import write_scenario
from harmwatch.calls.synth.generator import generate
from harmwatch.calls.synth.params import ScenarioParams
from harmwatch.errors import InputError, NotFoundError
from harmwatch.sources.importspec import load_spec
from harmwatch.storage.analytics import migrations


@pytest.fixture(scope="module")
def scenario(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[duckdb.DuckDBPyConnection, dict, Path, findings.Detection]:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("scenario-1000")
    made = generate(ScenarioParams(), 1000)
    written = write_scenario(made, out)
    con = duckdb.connect()
    migrations.migrate(con)
    imported = import_file(
        con, written["calls"], load_spec(written["spec"], CALL_DATA),
        authority=Authority(LegalBasis.IPA_PART3, "SYNTHETIC-TEST"), force="synthetic",
        imported_by="test", synthetic=True,
    )  # fmt: skip
    result = findings.detect(con, [imported.file_id])
    return con, made.truth, written["calls"], result


def test_a_development_scenario_is_detected_with_every_role_and_no_look_alike(scenario) -> None:  # type: ignore[no-untyped-def]
    _, truth, _, result = scenario
    scores = scoring.score(truth, result.to_document())
    assert scores.deal_lines.f1 >= 0.9
    assert scores.roles["controller"].f1 >= 0.8 and scores.roles["runner"].f1 >= 0.8
    assert scores.roles["user"].f1 >= 0.85
    assert scores.lookalikes_flagged == []
    assert result.synthetic


def test_the_naive_bulk_sms_rule_scores_far_worse_on_the_same_scenario(scenario) -> None:  # type: ignore[no-untyped-def]
    from harmwatch.calls.synth.baseline import naive_bulk_sms

    _, truth, _, result = scenario
    ours = scoring.score(truth, result.to_document())
    naive = scoring.score(truth, naive_bulk_sms(generate(ScenarioParams(), 1000).events))
    assert naive.deal_lines.f1 < 0.5 < ours.deal_lines.f1
    assert len(naive.lookalikes_flagged) >= 5


def test_a_number_change_joins_the_old_and_new_numbers_into_one_line(scenario) -> None:  # type: ignore[no-untyped-def]
    _, truth, _, result = scenario
    changed = [
        {n["number"] for n in line["numbers"]}
        for line in truth["lines"]
        if any(c["kind"] == "number-change" for c in line["continuity"])
    ]
    assert changed
    detected = [{n.number for n in line.numbers} for line in result.lines]
    for numbers in changed:
        assert any(numbers <= found for found in detected), numbers
    kinds = {c.kind for line in result.lines for c in line.continuity}
    assert "number-change" in kinds


def test_a_handset_swap_and_a_rebrand_are_named_and_the_rebrand_joins_the_old_line(
    scenario,
) -> None:  # type: ignore[no-untyped-def]
    _, truth, _, result = scenario
    found = {(c.kind, c.from_number, c.to_number) for line in result.lines for c in line.continuity}
    rebrands = {
        (c["from"], c["to"])
        for line in truth["lines"]
        for c in line["continuity"]
        if c["kind"] == "rebrand"
    }
    assert rebrands and all(("rebrand", old, new) in found for old, new in rebrands)
    swapped = [
        {n["number"] for n in line["numbers"]}
        for line in truth["lines"]
        if any(c["kind"] == "handset-swap" for c in line["continuity"])
    ]
    assert swapped
    swaps = {
        c.from_number for line in result.lines for c in line.continuity if c.kind == "handset-swap"
    }
    assert all(numbers & swaps for numbers in swapped)


def test_each_flag_says_why_and_the_document_has_the_agreed_keys(scenario) -> None:  # type: ignore[no-untyped-def]
    _, _, _, result = scenario
    document = result.to_document()
    assert {"deal_lines", "roles", "cuckooed_cells", "lines", "rules", "files"} <= set(document)
    assert set(document["roles"].values()) <= {"line", "controller", "runner", "user"}
    for line in result.lines:
        for n in line.numbers:
            if n.how == "flagged":
                assert any(
                    "people ordered on two or more days" in e for e in line.evidence[n.number]
                )


def test_a_schedule_traces_every_row_to_its_file_and_line(scenario) -> None:  # type: ignore[no-untyped-def]
    con, _, calls_file, result = scenario
    line = result.lines[0]
    table = findings.schedule(con, result, "line", line.line_id)
    assert table.rows and table.columns[:3] == ("file_id", "file_name", "line")
    with gzip.open(calls_file, "rt", encoding="utf-8") as handle:
        text = handle.read().splitlines()
    numbers = {n.number for n in line.numbers}
    for row in table.rows[:200]:
        raw = text[int(row[2]) - 1]  # the row's line in the operator's file
        a, b = raw.split(",")[:2]
        keys = {("+44" + x[1:].replace(" ", "")) if x.startswith("0") else
                ("+" + x if x.startswith("44") else x) for x in (a, b)}  # fmt: skip
        assert keys & numbers, raw
        assert row[3] == "SYNTHETIC-TEST"
    with pytest.raises(InputError, match="finding: 'everything' is not one of"):
        findings.schedule(con, result, "everything", line.line_id)
    with pytest.raises(NotFoundError, match="no detected line LINE-99"):
        findings.schedule(con, result, "line", "LINE-99")


def test_rules_are_named_and_checked() -> None:
    assert DetectionRules().with_overrides({"flag_points": "8"}).flag_points == 8
    with pytest.raises(InputError, match="rule 'fllag_points': no such rule"):
        DetectionRules().with_overrides({"fllag_points": "8"})
    with pytest.raises(InputError, match="rule reply_share: 'lots' is not a float"):
        DetectionRules().with_overrides({"reply_share": "lots"})


def _rows(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, str, int]]) -> None:
    for i, (a, b, when, event, seconds) in enumerate(rows, start=2):
        t = datetime.fromisoformat(when)
        con.execute(
            "INSERT INTO calls VALUES ('f1', ?, ?, 'msisdn', ?, 'msisdn', ?, ?, ?, ?, ?, NULL, "
            "NULL, NULL, NULL, NULL)",
            [i, a, b, t, t, seconds, event, a],
        )


def test_customer_counts_follow_the_stated_rules_on_hand_made_rows() -> None:
    con = duckdb.connect()
    migrations.migrate(con)
    line, runner, a, b, c = (
        "+447700900001",
        "+447700900002",
        "+447700900011",
        "+447700900012",
        "+447700900013",
    )
    _rows(con, [
        (a, line, "2026-11-02 10:00:00", "sms", 0),  # A orders: counted, confirmed by the reply
        (line, a, "2026-11-02 10:05:00", "sms", 0),
        (a, line, "2026-11-02 18:00:00", "sms", 0),  # A again the same day: one customer-day
        (b, line, "2026-11-02 11:00:00", "call", 3),  # B: a 3 s call is left out
        (line, c, "2026-11-02 12:00:00", "sms", 0),
        (c, line, "2026-11-02 12:00:04", "sms", 0),  # C: an automated reply 4 s after, left out
        (c, line, "2026-11-03 09:00:00", "call", 25),  # C: a connected call, confirmed
        (b, line, "2026-11-03 13:00:00", "sms", 0),  # B: counted; the runner calls back: confirmed
        (runner, b, "2026-11-03 13:20:00", "call", 12),
        (a, line, "2026-11-03 20:00:00", "sms", 0),  # A: counted, never answered: not confirmed
    ])  # fmt: skip
    detection.scope(con, ["f1"])
    con.execute("CREATE TEMP TABLE hw_line_nums AS SELECT 'LINE-01' AS line_id, ? AS n", [line])
    con.execute(
        "CREATE TEMP TABLE hw_line_runners AS SELECT 'LINE-01' AS line_id, ? AS n", [runner]
    )
    counts = lines.customer_counts(con, DetectionRules(), "LINE-01")
    # 2 Nov: A; 3 Nov: A, B, C.
    assert (counts.customer_days, counts.distinct_customers) == (4, 3)
    # Confirmed — 2 Nov: A (reply); 3 Nov: C (connected call), B (runner's call back).
    assert (counts.confirmed_customer_days, counts.confirmed_distinct_customers) == (3, 3)
    assert [(str(d), n, k) for d, n, k in counts.by_day] == [
        ("2026-11-02", 1, 1),
        ("2026-11-03", 3, 2),
    ]
    stricter = lines.customer_counts(con, DetectionRules(confirm_minutes=10), "LINE-01")
    assert stricter.confirmed_customer_days == 2  # the reply came in 5 min; the call back in 20
    strictest = lines.customer_counts(con, DetectionRules(confirm_minutes=4), "LINE-01")
    assert strictest.confirmed_customer_days == 1  # only C's connected call
