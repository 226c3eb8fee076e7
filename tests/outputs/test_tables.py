"""Tables written by the command line: a GeoJSON's layer is named after its file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyogrio

from harmwatch.outputs.tables import write_table


def _cells() -> pd.DataFrame:
    return pd.DataFrame({"x": [510_125.0, 510_375.0], "y": [221_125.0, 221_125.0], "n": [3, 8]})


def test_geojson_layer_is_named_after_the_final_file(tmp_path: Path) -> None:
    out = write_table(_cells(), tmp_path / "luton-drugs.geojson", cell=250.0)
    written = json.loads(out.read_text())
    assert written["name"] == "luton-drugs"  # what QGIS shows, not ".luton-drugs.partial"
    assert "partial" not in out.read_text()
    assert pyogrio.list_layers(out)[0][0] == "luton-drugs"
    assert not list(tmp_path.glob(".*"))  # no temporary file left
    assert len(written["features"]) == 2


def test_geopackage_keeps_the_layer_asked_for(tmp_path: Path) -> None:
    out = write_table(_cells(), tmp_path / "cells.gpkg", cell=250.0, layer="cells")
    assert [row[0] for row in pyogrio.list_layers(out)] == ["cells"]
