"""Writing cell and area tables as CSV, GeoJSON or GeoPackage.

GeoJSON is written in WGS84 longitude/latitude as RFC 7946 requires (web maps
and QGIS read it directly); GeoPackage keeps British National Grid metres.
Every format keeps the cell centre in BNG as ``x`` and ``y``. A file name or
format the writer cannot use is an :class:`~harmwatch.errors.InputError`. Files are
written under a temporary name and renamed; a GeoJSON's layer name (its ``name``
member, what QGIS shows) is the final file's stem.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from harmwatch.errors import InputError
from harmwatch.spatial.projection import BNG

FORMATS = ("csv", "geojson", "gpkg")


def format_from_path(path: str | Path, explicit: str | None = None) -> str:
    if explicit:
        if explicit not in FORMATS:
            raise InputError(f"unknown format {explicit!r}; choose one of {', '.join(FORMATS)}")
        return explicit
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "json":
        suffix = "geojson"
    if suffix not in FORMATS:
        raise InputError(
            f"cannot tell the format of {path}: use a .csv, .geojson or .gpkg name, or --format"
        )
    return suffix


def cells_geodataframe(cells: pd.DataFrame, cell: float) -> gpd.GeoDataFrame:
    half = cell / 2
    x = cells["x"].to_numpy()
    y = cells["y"].to_numpy()
    squares = shapely.box(x - half, y - half, x + half, y + half)
    return gpd.GeoDataFrame(cells.copy(), geometry=squares, crs=BNG)


def write_table(
    table: pd.DataFrame | gpd.GeoDataFrame,
    path: str | Path,
    fmt: str | None = None,
    *,
    cell: float | None = None,
    layer: str = "cells",
) -> Path:
    """Write ``table`` (cells with x/y and ``cell`` size, or a GeoDataFrame) to ``path``.

    Writes to a temporary name first and renames, so a failed write never leaves
    a half-written file where the user expects a finished one.
    """
    path = Path(path)
    fmt = format_from_path(path, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    if tmp.exists():
        tmp.unlink()
    try:
        if fmt == "csv":
            plain = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
            plain.to_csv(tmp, index=False, float_format="%.10g")
        else:
            if isinstance(table, gpd.GeoDataFrame):
                frame = table
            elif cell is not None:
                frame = cells_geodataframe(table, cell)
            else:
                raise ValueError("a cell size is needed to draw cells as polygons")
            frame = _json_safe(frame)
            if fmt == "geojson":
                # The layer is named after the final file, not the temporary one written
                # first: the name is stored in the file and is what QGIS shows.
                frame.to_crs("EPSG:4326").to_file(tmp, driver="GeoJSON", layer=path.stem)
            else:
                frame.to_file(tmp, driver="GPKG", layer=layer)
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _json_safe(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.copy()
    for column in out.columns:
        if column != "geometry" and out[column].dtype == object:
            out[column] = out[column].astype(str)
        elif out[column].dtype.kind == "f":
            out[column] = out[column].replace([np.inf, -np.inf], np.nan)
    return out
