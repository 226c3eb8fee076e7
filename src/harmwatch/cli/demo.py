"""`harmwatch demo`: load the bundled sample and map Hertfordshire's drug hotspots."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from harmwatch.maps.results import draw_hotspot_map
from harmwatch.outputs.tables import write_table
from harmwatch.sources.policeuk.ingest import ingest
from harmwatch.where.hotspots import hotspots
from harmwatch.where.requests import HotspotsRequest

from .common import DbOption, console, resolve_db, user_errors
from .where import print_hotspot_summary


def sample_dir() -> Path:
    return Path(str(resources.files("harmwatch") / "sample_data" / "police-uk"))


@user_errors
def demo_command(
    db: Path | None = DbOption,
    out: Path = typer.Option(
        Path("harmwatch-output"), "--out", help="Folder for the map and tables."
    ),
) -> None:
    """Load the bundled sample (Hertfordshire, Bedfordshire, Cambridgeshire, 2025) and map drug hotspots."""
    db_path = resolve_db(db)
    console.print(f"Loading the bundled sample from {sample_dir()} …")
    loaded = ingest([sample_dir()], db_path)
    console.print(
        f"{sum(f.status == 'loaded' for f in loaded.files)} file(s) loaded, "
        f"{sum(f.status == 'unchanged' for f in loaded.files)} already loaded and unchanged."
    )
    result = hotspots(
        db_path,
        HotspotsRequest(
            forces=("hertfordshire",), crime_types=("Drugs",), method="gistar", cell=500
        ),
    )
    print_hotspot_summary(result)
    out.mkdir(parents=True, exist_ok=True)
    for path in (
        write_table(result.cells, out / "hertfordshire-drugs-cells.csv", cell=result.grid.cell),
        write_table(result.cells, out / "hertfordshire-drugs-cells.geojson", cell=result.grid.cell),
        draw_hotspot_map(result, out / "hertfordshire-drugs-hotspots.png"),
    ):
        console.print(f"wrote {path}")
