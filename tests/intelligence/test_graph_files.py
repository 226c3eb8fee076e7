"""Network files: every shared matrix reads, each bad file is refused as file:line: field: reason,
and every choice made on the reader's behalf comes back as a note."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shared_networks import NETWORKS, needs_networks

from harmwatch.errors import InputError
from harmwatch.intelligence.graph.files import read_network
from harmwatch.intelligence.graph.network import Network


def write(tmp_path: Path, text: str, name: str = "net.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def refused(path: Path, **options: bool) -> str:
    with pytest.raises(InputError) as error:
        read_network(path, **options)
    return str(error.value)


def ties(network: Network) -> dict[tuple[str, str], float]:
    src, dst, strength = network.edge_arrays()
    return {
        (network.names[a], network.names[b]): w
        for a, b, w in zip(src.tolist(), dst.tolist(), strength.tolist(), strict=True)
    }


@needs_networks
def test_every_shared_matrix_reads_and_the_seizure_table_is_refused() -> None:
    files = sorted(NETWORKS.rglob("*.csv"))
    assert len(files) == 24
    for path in files:
        if path.name == "seizures.csv":
            assert refused(path).startswith(f"{path}:1: header: not a network file")
            continue
        for directed in (False, True):
            network, notes = read_network(path, directed=directed)
            assert network.size >= 15 and network.tie_count > 0
            assert notes[0].startswith(f"read {path.name} as an adjacency matrix")


@needs_networks
def test_asymmetric_matrix_is_read_undirected_with_a_note() -> None:
    network, notes = read_network(NETWORKS / "MONTREALGANG.csv")
    assert network.tie_count == 78  # 153 non-zero cells: 75 pairs both ways, 3 one way
    assert (
        "ties treated as undirected: the matrix is asymmetric in 3 pairs (one tie a pair, "
        "present if either direction is); use --directed to keep direction"
    ) in notes
    directed, directed_notes = read_network(NETWORKS / "MONTREALGANG.csv", directed=True)
    assert directed.tie_count == 153  # every non-zero cell (SOURCES.md)
    assert not any("asymmetric" in n for n in directed_notes)
    symmetric, symmetric_notes = read_network(NETWORKS / "LONDON_GANG.csv")
    assert symmetric.tie_count == 630 // 2
    assert not any("asymmetric" in n for n in symmetric_notes)


@needs_networks
def test_strengths_are_ignored_unless_weighted_and_said_so() -> None:
    _, notes = read_network(NETWORKS / "morselli_caviar.csv")
    assert (
        "tie strengths (1 to 337) ignored: every tie counts 1; use --weighted to read them as "
        "closeness (distance 1/strength)"
    ) in notes
    _, weighted_notes = read_network(NETWORKS / "morselli_caviar.csv", weighted=True)
    assert not any("ignored" in n for n in weighted_notes)
    _, binary_notes = read_network(NETWORKS / "morselli_siren.csv", weighted=True)
    assert "--weighted: the matrix is binary, so every tie has strength 1" in binary_notes


def test_opposite_ties_collapse_to_the_stronger(tmp_path: Path) -> None:
    path = write(tmp_path, ",a,b,c\na,0,3,0\nb,5,0,2\nc,0,0,0\n")
    network, notes = read_network(path, weighted=True)
    assert ties(network) == {("a", "b"): 5.0, ("b", "c"): 2.0}
    assert any("asymmetric in 2 pairs" in n and "stronger direction" in n for n in notes)
    directed, _ = read_network(path, weighted=True, directed=True)
    assert ties(directed) == {("a", "b"): 3.0, ("b", "a"): 5.0, ("b", "c"): 2.0}
    distance = dict(zip(ties(network), network.graph.es["distance"], strict=True))
    assert distance == {("a", "b"): 1 / 5, ("b", "c"): 1 / 2}
    unweighted, _ = read_network(path)
    assert set(ties(unweighted).values()) == {1.0}


def test_self_ties_are_dropped_with_a_note(tmp_path: Path) -> None:
    path = write(tmp_path, '"",x,y\n"x",4,1\n"y",1,2\n')
    network, notes = read_network(path)
    assert ties(network) == {("x", "y"): 1.0}
    assert "2 self-ties (the diagonal) dropped" in notes


def test_byte_order_mark_semicolons_blank_lines_and_a_title_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffplayers;a;b\n\na;0;1\nb;1;0\n\n", encoding="utf-8")
    network, _ = read_network(path)
    assert network.names == ("a", "b") and network.tie_count == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (",a,b,c\na,0,1,0\nb,1,0,0\n",
         "net.csv:3: matrix: 2 rows for 3 column labels; an adjacency matrix is square "
         "(one row per node)"),
        (",a,b\na,0,1\nb,1,0\nc,0,0\n",
         "net.csv:4: matrix: 3 rows for 2 column labels; an adjacency matrix is square "
         "(one row per node)"),
        (",a,b\na,0,1\nc,1,0\n",
         "net.csv:3: row label: 'c' does not match column 3's label 'b'; a matrix lists the "
         "same nodes in the same order across and down"),
        (",a,b\na,0,x\nb,1,0\n", "net.csv:2: a→b (column 3): 'x' is not a number"),
        (",a,b\na,0,-2\nb,1,0\n",
         "net.csv:2: a→b (column 3): -2 is negative; a tie's strength is 0 (no tie) or more"),
        (",a,b\na,0,\nb,1,0\n", "net.csv:2: a→b (column 3): empty; write 0 for no tie"),
        (",a,b\na,0,inf\nb,1,0\n", "net.csv:2: a→b (column 3): 'inf' is not a finite number"),
        (",a,b\na,0,1,0\nb,1,0\n", "net.csv:2: row 'a': 3 cells after the label, expected 2"),
        (",a,a\na,0,1\na,1,0\n",
         "net.csv:1: column 3: label 'a' is also column 2's; each node is listed once"),
        (",a,,b\na,0,1,1\n,1,0,1\nb,1,1,0\n", "net.csv:1: column 3: empty node label"),
        ("phase,seizures\n4,1\n",
         "net.csv:1: header: not a network file: expected an adjacency matrix (an empty "
         "first cell, then the node labels) or an edge list (source,target[,weight])"),
        ("\n\n", "net.csv:1: file: empty; expected an adjacency matrix or an edge list"),
        ("source,target,weight\na,b,1\nb,c\n",
         "net.csv:3: row: 2 cells, expected 3 (source, target, weight)"),
        ("source,target,weight\na,b,-1\n",
         "net.csv:2: weight: -1 is negative; a tie's strength is 0 (no tie) or more"),
        ("source,target,weight\na,b,heavy\n", "net.csv:2: weight: 'heavy' is not a number"),
        ("source,target\na,b\n,c\n", "net.csv:3: source: empty node name"),
        ("source,target\n", "net.csv:1: file: a header but no ties"),
        ("source,target,source\na,b,c\n", "net.csv:1: column 3: 'source' appears twice"),
    ],
)  # fmt: skip
def test_bad_files_name_file_line_field_and_reason(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    assert refused(path) == f"{tmp_path}/{message}"


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    assert refused(tmp_path / "none.csv") == f"{tmp_path}/none.csv: file: not found"
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b",a,b\na,0,1\n\xe9,1,0\n")
    assert refused(latin) == f"{latin}:3: file: not UTF-8 text; save it as UTF-8 CSV"


def test_edge_list_reads_with_its_notes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Source,Target,Weight,kind\n"
        "ann,bob,2,call\nbob,ann,5,call\ncat,ann,1,meet\nann,bob,3,call\n"
        "dan,dan,1,self\neve,ann,0,none\n",
    )
    network, notes = read_network(path, weighted=True)
    assert network.names == ("ann", "bob", "cat", "dan", "eve")  # first appearance
    assert ties(network) == {("ann", "bob"): 5.0, ("ann", "cat"): 1.0}
    assert notes == [
        "read net.csv as an edge list: 5 nodes (in order of first appearance), 2 ties "
        "(undirected, weighted: distance = 1/strength)",
        "ties treated as undirected (source and target are not told apart); 1 pair listed in "
        "both directions counts as one tie; use --directed to keep direction",
        "1 self-tie dropped",
        "1 row with weight 0 read as no tie",
        "1 tie listed more than once merged (strength: the largest)",
        "columns ignored: kind",
    ]
    directed, _ = read_network(path, weighted=True, directed=True)
    assert ties(directed) == {("ann", "bob"): 3.0, ("bob", "ann"): 5.0, ("cat", "ann"): 1.0}


def test_edge_list_without_weights(tmp_path: Path) -> None:
    path = write(tmp_path, "source,target\na,b\nb,c\n")
    network, notes = read_network(path, weighted=True)
    assert np.array_equal(network.strengths(), [1.0, 1.0])
    assert "--weighted: the file has no weight column, so every tie has strength 1" in notes


def test_building_refuses_repeated_names_unknown_ends_and_negative_strengths() -> None:
    with pytest.raises(InputError, match=r"^nodes: 'a' is listed twice$"):
        Network.from_edges(["a", "a"], [])
    with pytest.raises(InputError, match=r"^tie 2: target: no node 'z' in the network$"):
        Network.from_edges(["a", "b"], [("a", "b", 1), ("a", "z", 1)])
    with pytest.raises(InputError, match=r"^tie 1: strength: -1 is not a strength"):
        Network.from_edges(["a", "b"], [("a", "b", -1)])


@pytest.mark.parametrize("directed", [False, True], ids=["undirected", "directed"])
def test_ties_collapse_to_the_largest_strength_as_networkx_would(directed: bool) -> None:
    rng = np.random.default_rng(12)
    n = 30
    src, dst = rng.integers(0, n, 400), rng.integers(0, n, 400)  # repeats, loops, both ways
    strength = rng.integers(0, 4, 400).astype(float)  # 0: no tie
    names = [f"n{i}" for i in range(n)]
    network = Network.from_arrays(names, src, dst, strength, directed=directed, weighted=True)
    expected: dict[tuple[str, str], float] = {}
    for a, b, w in zip(src.tolist(), dst.tolist(), strength.tolist(), strict=True):
        if a == b or w == 0:
            continue
        key = (names[a], names[b]) if directed else (names[min(a, b)], names[max(a, b)])
        expected[key] = max(expected.get(key, 0.0), w)
    assert ties(network) == expected
    assert network.graph.is_simple()
    same = Network.from_edges(
        names,
        [(names[a], names[b], w) for a, b, w in zip(src, dst, strength, strict=True)],
        directed=directed,
        weighted=True,
    )
    assert ties(same) == expected
