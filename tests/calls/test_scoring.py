"""Scoring a detector's output against a scenario's truth: known figures, empty sets, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harmwatch.calls.scoring import SetScore, format_scores, load_document, score
from harmwatch.errors import InputError

TRUTH = {
    "deal_lines": ["+447700900001", "+447700900002", "+447700900003", "+447700900004"],
    "roles": {
        "+447700900001": "line",
        "+447700900002": "line",
        "+447700900003": "line",
        "+447700900004": "line",
        "+447700900010": "controller",
        "+447700900020": "runner",
        "+447700900021": "runner",
        "+447700900030": "user",
        "+447700900031": "user",
    },
    "cuckooed_cells": ["234-15-1201-10001"],
    "lookalikes": {"alpha:HERTSSCHOOL": "school", "+447700900099": "number-change"},
}

PRED = {
    # 3 of 4 lines, a school, one wrong number: P = 3/5, R = 3/4.
    "deal_lines": [
        "+447700900001",
        "+447700900002",
        "+447700900003",
        "alpha:HERTSSCHOOL",
        "+447700900077",
    ],
    "roles": {
        "+447700900010": "controller",
        "+447700900011": "controller",
        "+447700900020": "runner",
        "+447700900030": "user",
        "+447700900031": "user",
        "+447700900032": "user",
        "+447700900033": "user",
    },
    "cuckooed_cells": [],
}


def test_known_figures() -> None:
    s = score(TRUTH, PRED)
    assert (s.deal_lines.hits, s.deal_lines.true, s.deal_lines.predicted) == (3, 4, 5)
    assert s.deal_lines.precision == pytest.approx(0.6)
    assert s.deal_lines.recall == pytest.approx(0.75)
    assert s.deal_lines.f1 == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    c = s.roles["controller"]
    assert (c.precision, c.recall) == (0.5, 1.0)
    assert c.f1 == pytest.approx(2 / 3)
    r = s.roles["runner"]
    assert (r.precision, r.recall) == (1.0, 0.5)
    u = s.roles["user"]
    assert (u.precision, u.recall) == (0.5, 1.0)
    # Nothing predicted, one true: precision 1 by convention, recall 0, F1 0.
    assert (s.cuckooed_cells.precision, s.cuckooed_cells.recall, s.cuckooed_cells.f1) == (1, 0, 0)
    assert s.lookalikes_flagged == [("alpha:HERTSSCHOOL", "school")]
    d = s.to_dict()
    assert d["lookalikes_flagged"] == 1
    assert d["deal_lines"]["hits"] == 3
    json.dumps(d)


def test_empty_set_conventions() -> None:
    assert SetScore.of(set(), set()) == SetScore(0, 0, 0, 1.0, 1.0, 1.0)
    assert SetScore.of({"a"}, set()) == SetScore(1, 0, 0, 1.0, 0.0, 0.0)
    assert SetScore.of(set(), {"a"}) == SetScore(0, 1, 0, 0.0, 1.0, 0.0)
    assert SetScore.of({"a"}, {"b"}) == SetScore(1, 1, 0, 0.0, 0.0, 0.0)


def test_perfect_prediction() -> None:
    s = score(TRUTH, TRUTH)
    assert s.deal_lines.f1 == 1.0
    assert all(v.f1 == 1.0 for v in s.roles.values())
    assert s.cuckooed_cells.f1 == 1.0
    assert s.lookalikes_flagged == []


def test_format_scores_lists_every_figure() -> None:
    text = format_scores(score(TRUTH, PRED))
    assert "deal lines" in text and "controllers" in text and "cuckooed cells" in text
    assert "0.600" in text and "0.750" in text
    assert "look-alikes flagged as deal lines: 1" in text
    assert "alpha:HERTSSCHOOL (school)" in text


@pytest.mark.parametrize(
    ("pred", "message"),
    [
        ({"roles": {}, "cuckooed_cells": []}, "pred: deal_lines: missing"),
        (
            {"deal_lines": "+447700900001", "roles": {}, "cuckooed_cells": []},
            "pred: deal_lines: must be a list",
        ),
        (
            {"deal_lines": [1], "roles": {}, "cuckooed_cells": []},
            r"pred: deal_lines\[0\]: must be a string",
        ),
        ({"deal_lines": [], "roles": [], "cuckooed_cells": []}, "pred: roles: must be an object"),
        (
            {"deal_lines": [], "roles": {"+447700900001": "boss"}, "cuckooed_cells": []},
            "pred: roles: \\+447700900001: unknown role 'boss'",
        ),
        ({"deal_lines": [], "roles": {}}, "pred: cuckooed_cells: missing"),
    ],
)
def test_malformed_prediction_is_refused(pred: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        score(TRUTH, pred)


def test_malformed_truth_names_its_source() -> None:
    bad = dict(TRUTH, lookalikes={"+447700900099": "florist"})
    with pytest.raises(InputError, match=r"truth\.json: lookalikes: \+447700900099: unknown kind"):
        score(bad, PRED, truth_source="truth.json")


def test_load_document_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_document(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "deal_lines": [\n')
    with pytest.raises(InputError, match=r"broken.json:3: not JSON"):
        load_document(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(InputError, match="must be a JSON object, not list"):
        load_document(listed)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(PRED))
    assert load_document(good) == PRED
