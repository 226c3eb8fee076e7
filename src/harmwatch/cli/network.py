"""`harmwatch network …`: link analysis of a network file (an adjacency matrix or an edge list).

Thin over :mod:`harmwatch.intelligence.graph`: nothing is stored or logged, since the
file is the user's own. Notes on how the file was read and how to read the figures go
to stderr, so that ``--json`` output on stdout stays clean.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import typer
from rich.table import Table

from harmwatch.errors import InputError
from harmwatch.intelligence.graph.centrality import MEASURES, centralities
from harmwatch.intelligence.graph.files import read_network
from harmwatch.intelligence.graph.network import plural
from harmwatch.intelligence.graph.paths import all_paths, shortest_path

from .common import console, print_json, print_lines, user_errors

network_app = typer.Typer(
    help="Link analysis of a network file: centralities and paths.",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(network_app, name="network")


FileArgument = typer.Argument(
    ..., help="An adjacency-matrix CSV (labels across and down) or an edge list "
    "(header source,target[,weight]).", show_default=False,
)  # fmt: skip
WeightedOption = typer.Option(
    False, "--weighted", help="Use tie strengths: distance 1/strength for paths, betweenness and "
    "closeness; strength for eigenvector centrality.",
)  # fmt: skip
DirectedOption = typer.Option(
    False,
    "--directed",
    help="Keep the ties' direction (a matrix cell: from its row to its column).",
)
JsonOption = typer.Option(False, "--json", help="Print JSON for scripts.")
SourcesOption = typer.Option(
    None, "--sources", help="Estimate betweenness and closeness from this many sampled "
    "sources per component (for large networks; exact without it).",
)  # fmt: skip


def _check_csv_name(path: Path) -> None:
    if path.suffix.lower() != ".csv":
        raise InputError(f"--out: {path} is not a .csv name")


def _write_csv(rows: list[dict[str, str | int | float]], path: Path) -> Path:
    _check_csv_name(path)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["node", *MEASURES])
            writer.writeheader()
            writer.writerows(rows)
        # Renamed only once whole, so a failed write never leaves a half-written file.
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"--out: cannot write {path}: {exc.strerror or exc}") from None
    return path


@network_app.command("centrality")
@user_errors
def centrality_command(
    file: Path = FileArgument,
    json_out: bool = JsonOption,
    out: Path | None = typer.Option(None, "--out", help="Write every node's figures as CSV."),
    weighted: bool = WeightedOption,
    directed: bool = DirectedOption,
    sources: int | None = SourcesOption,
    seed: int = typer.Option(0, "--seed", help="Seed for --sources' sample."),
) -> None:
    """Every node's degree, betweenness, closeness, eigenvector centrality and core number."""
    if out:
        _check_csv_name(out)  # refuse a bad name before the work, not after
    network, notes = read_network(file, directed=directed, weighted=weighted)
    scores = centralities(network, sources=sources, seed=seed)
    notes = [*notes, *scores.notes]
    rows = scores.rows()
    written = [_write_csv(rows, out)] if out else []
    print_lines("note", "cyan", notes)
    if json_out:
        print_json(
            {
                "file": str(file),
                "nodes": network.size,
                "ties": network.tie_count,
                "directed": directed,
                "weighted": weighted,
                "sources": sources,
                "notes": notes,
                "rows": rows,
                "written": [str(p) for p in written],
            }
        )
        return
    table = Table(title=f"{file.name}: {network.size:,} nodes, {network.tie_count:,} ties")
    table.add_column("node")
    for measure in MEASURES:
        table.add_column(measure, justify="right")
    for row in rows:
        table.add_row(
            str(row["node"]),
            str(row["degree"]),
            f"{row['betweenness']:.6f}",
            f"{row['closeness']:.6f}",
            f"{row['eigenvector']:.6f}",
            str(row["core"]),
        )
    console.print(table)
    for path in written:
        console.print(f"wrote {path}")


@network_app.command("path")
@user_errors
def path_command(
    file: Path = FileArgument,
    start: str = typer.Argument(..., help="From this node.", show_default=False),
    end: str = typer.Argument(..., help="To this node.", show_default=False),
    max_length: int | None = typer.Option(
        None, "--max-length", help="List every simple path of up to this many hops instead."
    ),
    hide: list[str] | None = typer.Option(
        None, "--hide", help="A node no path may pass through (repeat for more)."
    ),
    json_out: bool = JsonOption,
    weighted: bool = WeightedOption,
    directed: bool = DirectedOption,
) -> None:
    """The shortest path between two nodes (weighted: least Σ 1/strength), or all up to N hops."""
    network, notes = read_network(file, directed=directed, weighted=weighted)
    hidden = set(hide or ())
    if max_length is None:
        found = shortest_path(network, start, end, hidden=hidden)
        paths = [found] if found is not None else []
    else:
        paths = all_paths(network, start, end, max_length, hidden=hidden)
    print_lines("note", "cyan", notes)
    if json_out:
        print_json(
            {
                "from": start,
                "to": end,
                "found": bool(paths),
                "all_paths_up_to": max_length,
                "directed": directed,
                "weighted": weighted,
                "paths": [p.to_json() for p in paths],
                "notes": notes,
            }
        )
        return
    if not paths:
        within = f" within {max_length} hops" if max_length is not None else ""
        console.print(f"no path from {start} to {end}{within}", highlight=False)
        return
    if max_length is not None:
        console.print(
            f"{plural(len(paths), 'simple path')} of up to {plural(max_length, 'hop')} from "
            f"{start} to {end}:",
            highlight=False,
        )
    for path in paths:
        length = f", length {path.length:.6g} (Σ 1/strength)" if weighted else ""
        hops = plural(path.hops, "hop")
        console.print(f"{' → '.join(path.nodes)}  ({hops}{length})", highlight=False)
