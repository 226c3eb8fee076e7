"""The outcomes framework: the shipped file loads, a bad file is refused by file, measure and
field, and a force's own file (standalone, extending the shipped one, or by the environment)
is the one used."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from harmwatch.oversight import framework
from harmwatch.oversight.framework import (
    ENV,
    KIND_FIELDS,
    PRIORITIES,
    SHIPPED,
    FrameworkError,
    load_framework,
    parse_framework,
    shipped_framework,
)
from harmwatch.oversight.measures import COMPUTERS

GOOD = """
[framework]
title = "Test partnership"

[[measures]]
key = "drugs"
title = "Drug offences"
priority = "supply"
kind = "police-uk-crimes"
crime_types = ["Drugs"]
direction = "neutral"
source = "police.uk"
"""


def test_the_shipped_framework_loads_and_covers_the_strategy() -> None:
    shipped = shipped_framework()
    raw = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    assert shipped.keys() == [m["key"] for m in raw["measures"]]
    assert {m.priority for m in shipped.measures} == set(PRIORITIES)
    by = {m.key: m for m in shipped.measures}
    assert by["drug-offences"].direction == "neutral" and by["drug-offences"].target is None
    assert by["drug-possession"].option("offence_classes") == ("92D", "92E")
    assert by["neighbourhood-crime"].direction == "decrease"
    assert "approximation" in " ".join(by["neighbourhood-crime"].caveats)
    assert by["victim-contacts"].option("programme_type") == "victim-services"
    assert by["stop-search-find-rate"].kind == "stop-search-find-rate"
    # every kind is declared once, and every kind but stop and search is computed here
    assert set(KIND_FIELDS) == set(COMPUTERS)
    assert all(m.source for m in shipped.measures)


def _refused(tmp_path: Path, text: str, *parts: str) -> None:
    path = tmp_path / "outcomes.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError) as caught:
        load_framework(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    for part in parts:
        assert part in message, message


@pytest.mark.parametrize(
    ("change", "parts"),
    [
        (('crime_types = ["Drugs"]', 'crime_types = ["Drugz"]'),
         ("measure 'drugs'", "crime_types", "'Drugz' is not a police.uk crime type")),
        (('direction = "neutral"', 'direction = "decrease"'),
         ("measure 'drugs'", "direction", "must be neutral")),
        (('direction = "neutral"', 'direction = "sideways"'), ("measure 'drugs'", "direction")),
        (('priority = "supply"', 'priority = "everything"'), ("measure 'drugs'", "priority")),
        (('kind = "police-uk-crimes"', 'kind = "tea-leaves"'), ("measure 'drugs'", "kind")),
        (('source = "police.uk"', 'sauce = "police.uk"'), ("measure 'drugs'", "sauce")),
        (('source = "police.uk"', 'source = "police.uk"\nflags = ["hate-crime"]'),
         ("measure 'drugs'", "flags", "is not a setting of a police-uk-crimes measure")),
        (('source = "police.uk"', 'source = "police.uk"\n[measures.target]\nwording = "more"'),
         ("measure 'drugs'", "target", "neutral measure has no target")),
        (('source = "police.uk"', 'source = "police.uk"\n[measures.baseline]\nperiod = "2019-04:2020-03"'),
         ("measure 'drugs'", "baseline.source")),
        (('source = "police.uk"', 'source = "police.uk"\n[measures.baseline]\nperiod = "2020-13"\nsource = "x"'),
         ("measure 'drugs'", "baseline.period")),
        (('title = "Drug offences"\n', ''), ("measure 'drugs'", "title: is missing")),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_naming_file_measure_and_field(
    tmp_path: Path, change: tuple[str, str], parts: tuple[str, ...]
) -> None:
    old, new = change
    assert old in GOOD
    _refused(tmp_path, GOOD.replace(old, new, 1), *parts)


def test_other_kinds_check_their_own_fields(tmp_path: Path) -> None:
    head = '[[measures]]\nkey = "m"\ntitle = "T"\npriority = "plan"\nsource = "s"\n'
    _refused(tmp_path, head + 'kind = "operations-figure"\nfigure = "drugs_value_low"\n'
             'direction = "increase"\n', "measure 'm'", "figure", "'drugs_value_low'")  # fmt: skip
    _refused(tmp_path, head + 'kind = "operations-figure"\nfigure = "lines_closed"\n'
             'levels = ["major"]\ndirection = "increase"\n', "levels", "only the ocg_disruptions")  # fmt: skip
    _refused(tmp_path, head + 'kind = "force-records-crimes"\nflags = ["hate"]\n'
             'direction = "neutral"\n', "measure 'm'", "flags", "no flag 'hate'")  # fmt: skip
    _refused(tmp_path, head + 'kind = "force-records-crimes"\noffence_classes = ["92Z"]\n'
             'direction = "neutral"\n', "offence_classes", "'92Z'")  # fmt: skip
    _refused(tmp_path, head + 'kind = "force-records-crimes"\noffence_classes = ["92A"]\n'
             'direction = "decrease"\n', "direction", "must be neutral")  # fmt: skip
    _refused(tmp_path, head + 'kind = "programme-measure"\nprogramme_type = "checkpoint"\n'
             'direction = "increase"\n', "measure 'm'", "measure: a programme-measure measure needs it")  # fmt: skip
    _refused(tmp_path, head + 'kind = "forensic-progress"\nfigure = "retested"\n'
             'direction = "increase"\n[measures.target]\nwording = "all"\nof = "most"\n',
             "target.of")  # fmt: skip
    _refused(tmp_path, GOOD + GOOD.split("[framework]")[1].split('title = "Test partnership"')[1],
             "measure 'drugs'", "key: is declared twice")  # fmt: skip
    _refused(tmp_path, "measures = 3\n", "measures")
    _refused(tmp_path, "[[measures]\n", "not valid TOML")


def test_a_force_file_is_used_standalone_or_extending_the_shipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "herts.toml"
    own.write_text(GOOD, encoding="utf-8")
    standalone = load_framework(own)
    assert standalone.title == "Test partnership" and standalone.keys() == ["drugs"]
    assert standalone.file == str(own)
    monkeypatch.setenv(ENV, str(own))
    assert load_framework().keys() == ["drugs"]  # the environment names the file
    monkeypatch.delenv(ENV)
    assert load_framework().keys() == shipped_framework().keys()
    extended = tmp_path / "extends.toml"
    extended.write_text(
        '[framework]\nextends = "shipped"\ndrop = ["weapons-possession"]\n\n'
        '[[measures]]\nkey = "county-lines-closed"\ntitle = "Lines closed (Herts)"\n'
        'priority = "supply"\nkind = "operations-figure"\nfigure = "lines_closed_type1"\n'
        'direction = "increase"\nsource = "ops"\n[measures.target]\nwording = "40 a year"\n'
        'number = 10\nof = "value"\n' + GOOD.split('title = "Test partnership"')[1],
        encoding="utf-8",
    )
    got = load_framework(extended)
    shipped = shipped_framework().keys()
    assert got.keys() == [k for k in shipped if k != "weapons-possession"] + ["drugs"]
    lines = got.measure("county-lines-closed")
    assert lines.option("figure") == "lines_closed_type1" and lines.target is not None
    assert (lines.target.number, lines.target.of) == (10.0, "value")
    assert str(extended) in got.file
    with pytest.raises(FrameworkError, match="drop: 'nope' is not a shipped measure"):
        parse_framework('[framework]\nextends = "shipped"\ndrop = ["nope"]\n', "x.toml")
    with pytest.raises(FrameworkError, match=r"x.toml: cannot read it"):
        framework.load_framework(tmp_path / "x.toml")
