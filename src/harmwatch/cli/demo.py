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
    """Load the bundled sample (Hertfordshire, Bedfordshire, Cambridgeshire, 2025), map drug
    hotspots, and set up the demo's records (accounts, SYNTHETIC intelligence, call data,
    force records and Op Lantern) as `serve --demo` does."""
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

    from .serve import _demo_setup

    _, url = _demo_setup(db_path, None)
    from harmwatch.storage.paths import data_home

    keys = _demo_keys(url, data_home() / "demo")
    console.print(
        "Try the command line as the demo's analyst (its operator key is in "
        f"{keys['analyst'].parent}):",
        highlight=False,
    )
    console.print(
        f"  harmwatch ops list --json --as analyst --key-file {keys['analyst']} "
        f"--database-url {url}",
        highlight=False,
        soft_wrap=True,
    )


def _demo_keys(url: str, home: Path) -> dict[str, Path]:
    """Operator keys for the demo's analyst and PCC viewer, so `harmwatch ops …` runs at once."""
    from sqlalchemy import select

    from harmwatch.security.operator_keys import issue_key, write_key_file
    from harmwatch.storage.models import User
    from harmwatch.storage.records import make_engine, session_scope

    engine = make_engine(url)
    paths = {}
    try:
        with session_scope(engine) as db:
            for name in ("analyst", "pcc-viewer"):
                user = db.scalars(select(User).where(User.username == name)).one()
                path = home / f"{name}.key"
                path.unlink(missing_ok=True)
                paths[name] = write_key_file(path, issue_key(db, user, created_by="demo set-up"))
    finally:
        engine.dispose()
    return paths


def register(app: typer.Typer) -> None:
    """The command line's own `demo` command."""
    app.command("demo")(demo_command)
