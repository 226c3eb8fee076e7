"""`harmwatch network centrality` and `harmwatch network path` as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest
import typer
from shared_networks import NETWORKS, needs_networks
from typer.testing import CliRunner

from harmwatch.cli.network import register

app = typer.Typer()
register(app)
runner = CliRunner()

# a - b - c - d, a - e - d, and f alone: c and e broker between the two ends.
MATRIX = """,a,b,c,d,e,f
a,0,1,0,0,1,0
b,1,0,1,0,0,0
c,0,1,0,1,0,0
d,0,0,1,0,1,0
e,1,0,0,1,0,0
f,0,0,0,0,0,0
"""


@pytest.fixture
def matrix(tmp_path: Path) -> Path:
    path = tmp_path / "ring.csv"
    path.write_text(MATRIX, encoding="utf-8")
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["network", *args])
    return result.exit_code, result.stdout, result.stderr


def test_network_is_a_command_group() -> None:
    code, out, _ = invoke("--help")
    assert code == 0 and "centrality" in out and "path" in out


def test_centrality_table_lists_every_node_and_notes_go_to_stderr(matrix: Path) -> None:
    code, out, err = invoke("centrality", str(matrix))
    assert code == 0, err
    assert "ring.csv: 6 nodes, 5 ties" in out
    for column in ("node", "degree", "betweenness", "closeness", "eigenvector", "core"):
        assert column in out
    assert sum(1 for line in out.splitlines() if line.startswith("│ ")) == 6
    assert "note read ring.csv as an adjacency matrix" in err
    assert "nodes without ties have eigenvector centrality 0" in err


def test_centrality_json_and_csv_agree(matrix: Path, tmp_path: Path) -> None:
    out_csv = tmp_path / "scores.csv"
    code, out, err = invoke("centrality", str(matrix), "--json", "--out", str(out_csv))
    assert code == 0, err
    payload = json.loads(out)  # stdout is JSON only
    assert payload["nodes"] == 6 and payload["ties"] == 5
    assert payload["written"] == [str(out_csv)]
    assert any("components" in note for note in payload["notes"])
    rows = payload["rows"]
    assert [r["node"] for r in rows] == list("abcdef")
    assert [r["degree"] for r in rows] == [2, 2, 2, 2, 2, 0]
    with out_csv.open(encoding="utf-8", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert list(written[0]) == ["node", "degree", "betweenness", "closeness", "eigenvector", "core"]
    for row, back in zip(rows, written, strict=True):
        assert back["node"] == row["node"] and int(back["core"]) == row["core"]
        for measure in ("betweenness", "closeness", "eigenvector"):
            assert float(back[measure]) == row[measure]  # full precision, not rounded


def test_sampled_sources_are_said(matrix: Path) -> None:
    code, out, _ = invoke("centrality", str(matrix), "--json", "--sources", "3", "--seed", "7")
    assert code == 0
    payload = json.loads(out)
    assert payload["sources"] == 3
    assert any("estimated from 3 sampled sources" in n and "seed 7" in n for n in payload["notes"])


def test_bad_out_name_is_refused_before_the_work(tmp_path: Path) -> None:
    code, _, err = invoke("centrality", str(tmp_path / "absent.csv"), "--out", "x.xlsx")
    assert code == 2 and err == "error: --out: x.xlsx is not a .csv name\n"


def test_bad_files_print_file_line_field_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(",a,b\na,0,1\nb,one,0\n", encoding="utf-8")
    code, out, err = invoke("centrality", str(bad))
    assert code == 2 and out == ""
    assert err == f"error: {bad}:3: b→a (column 2): 'one' is not a number\n"
    code, _, err = invoke("path", str(tmp_path / "absent.csv"), "a", "b")
    assert code == 2 and err == f"error: {tmp_path}/absent.csv: file: not found\n"


def test_shortest_path(matrix: Path) -> None:
    code, out, _ = invoke("path", str(matrix), "a", "d")
    assert code == 0 and out == "a → e → d  (2 hops)\n"
    code, out, _ = invoke("path", str(matrix), "a", "d", "--hide", "e", "--json")
    payload = json.loads(out)
    assert payload["found"] and payload["paths"] == [
        {"nodes": ["a", "b", "c", "d"], "hops": 3, "length": 3.0}
    ]
    code, out, _ = invoke("path", str(matrix), "a", "f")
    assert code == 0 and out == "no path from a to f\n"


def test_all_paths_up_to_a_length(matrix: Path) -> None:
    code, out, _ = invoke("path", str(matrix), "a", "d", "--max-length", "3")
    assert code == 0
    assert out.splitlines() == [
        "2 simple paths of up to 3 hops from a to d:",
        "a → e → d  (2 hops)",
        "a → b → c → d  (3 hops)",
    ]
    code, out, _ = invoke("path", str(matrix), "a", "d", "--max-length", "2", "--hide", "e")
    assert out == "no path from a to d within 2 hops\n"


def test_unknown_and_hidden_nodes_are_refused_alike(matrix: Path) -> None:
    code, _, unknown = invoke("path", str(matrix), "a", "zz")
    assert code == 2 and unknown == "error: to: no node 'zz' in the network\n"
    code, _, hidden = invoke("path", str(matrix), "a", "d", "--hide", "d")
    assert code == 2 and hidden == "error: to: no node 'd' in the network\n"


@needs_networks
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_path_lengths_equal_networkx_on_a_shared_network(weighted: bool) -> None:
    path = NETWORKS / "morselli_caviar.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.reader(handle) if any(c.strip() for c in r)]
    labels = [c.strip() for c in rows[0][1:]]
    graph = nx.Graph()
    for i, row in enumerate(rows[1:]):
        for j, cell in enumerate(row[1:]):
            w = float(cell)
            if w and i != j:
                old = (
                    graph.edges[labels[i], labels[j]]["w"]
                    if graph.has_edge(labels[i], labels[j])
                    else 0
                )
                graph.add_edge(labels[i], labels[j], w=max(w, old))
    for _, _, data in graph.edges(data=True):
        data["distance"] = 1 / data["w"] if weighted else 1
    for a, b in [("1", "105"), ("3", "110"), ("12", "74")]:
        flags = ["--weighted"] if weighted else []
        code, out, err = invoke("path", str(path), a, b, "--json", *flags)
        assert code == 0, err
        found = json.loads(out)["paths"][0]
        expected = nx.shortest_path_length(graph, a, b, weight="distance")
        assert found["length"] == pytest.approx(expected, rel=1e-12)
