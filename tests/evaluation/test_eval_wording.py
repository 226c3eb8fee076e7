"""Library texts both fronts show (issue 10, items 12 and 13): plain words on either front.

Sentences, caveats and defaults name no command-line option (a front adds its own
hint), name forces as they write their names, give small p-values as "p < 0.001",
and say which crime types are police-generated, once, for every front to colour by.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harmwatch.evaluation.change import change
from harmwatch.evaluation.evaluate import evaluate
from harmwatch.evaluation.rates import p_text
from harmwatch.evaluation.recording import (
    POLICE_GENERATED,
    neutral_direction_note,
    police_generated,
)
from harmwatch.evaluation.requests import ChangeRequest, EvaluateRequest
from harmwatch.evaluation.trends import monthly_trends

CLI_TERMS = re.compile(r"harmwatch [a-z]|--[a-z]|`|lsoa_share")


def test_police_generated_types_are_defined_once_with_their_reason() -> None:
    assert set(POLICE_GENERATED) == {"Drugs", "Possession of weapons"}
    assert all("police activity" in why for why in POLICE_GENERATED.values())
    assert police_generated("drugs") and police_generated(" Possession of weapons ")
    assert not police_generated("Burglary") and not police_generated("Public order")
    note = neutral_direction_note(["Burglary", "Drugs", "drugs"])
    assert note is not None and "(Drugs)" in note and "less searching" in note
    assert neutral_direction_note(["Burglary"]) is None


def test_trends_say_which_comparisons_are_police_generated(sample_db: Path) -> None:
    trend = monthly_trends(sample_db)
    by_type = {c.crime_type: c for c in trend.comparisons}
    assert by_type["Drugs"].police_generated and not by_type["Burglary"].police_generated
    rows = {r["crime_type"]: r for r in trend.to_dict()["comparisons"]}  # type: ignore[index, union-attr]
    assert rows["Possession of weapons"]["police_generated"] is True
    assert "Bedfordshire Police" in " ".join(trend.notes)  # names, not slugs


@pytest.mark.parametrize(
    ("p", "text"),
    [(3.54e-18, "p < 0.001"), (0.00099, "p < 0.001"), (0.001, "p = 0.001"), (0.0421, "p = 0.042")],
)
def test_p_values_for_readers(p: float, text: str) -> None:
    assert p_text(p) == text


def test_change_sentence_reads_well_on_both_fronts(sample_db: Path) -> None:
    # Every force's drug offences, Oct–Dec against Jul–Sep 2025: far beyond chance.
    result = change(sample_db, ChangeRequest(period=("2025-10", "2025-12"), baseline_fallback=True))
    assert result.rate.p_value < 1e-6
    assert "p < 0.001" in result.sentence and not re.search(r"\de-\d", result.sentence)
    assert result.sentence.startswith(
        "Drugs in the areas of Bedfordshire Police, Cambridgeshire Constabulary, Hertfordshire "
        "Constabulary: "
    )
    assert "in Oct 2025–Dec 2025 (3 months) against" in result.sentence
    assert not re.search(r"\b(bedfordshire|cambridgeshire|hertfordshire)\b", result.sentence)
    for line in [result.sentence, *result.caveats, *result.defaults_chosen, *result.notes]:
        assert CLI_TERMS.search(line) is None, line
    assert any("needs an evaluation against control areas" in c for c in result.caveats)


def test_evaluation_texts_name_no_option(sample_db: Path) -> None:
    result = evaluate(
        sample_db,
        EvaluateRequest(start="2025-09", lsoa=("E01033803", "E01033804"), forces=("bedfordshire",)),
    )
    assert "before Sep 2025 (Jan 2025–Aug 2025)" in result.summary
    for line in [result.summary, *result.caveats, *result.defaults_chosen, *result.notes]:
        assert CLI_TERMS.search(line) is None, line
        assert not re.search(r"\de-\d", line), line
