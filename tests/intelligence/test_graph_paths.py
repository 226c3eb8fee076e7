"""Paths against networkx: shortest path lengths on every shared network, all simple paths,
neighbourhoods, and hidden nodes that no answer may pass through or reveal."""

from __future__ import annotations

import csv
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from shared_networks import FILE_PARAMS

from harmwatch.errors import InputError
from harmwatch.intelligence.graph.files import read_network
from harmwatch.intelligence.graph.network import Network
from harmwatch.intelligence.graph.paths import (
    MAX_PATHS,
    all_paths,
    neighbourhood,
    shortest_path,
)
from harmwatch.intelligence.graph.paths import (
    Path as GraphPath,
)


def reference(path: Path, *, directed: bool, weighted: bool) -> nx.Graph:
    """networkx's graph of the matrix: undirected, a tie where either direction has one."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.reader(handle) if any(c.strip() for c in r)]
    labels = [c.strip() for c in rows[0][1:]]
    matrix = np.array([[float(c) for c in r[1:]] for r in rows[1:]])
    tie = matrix if directed else np.maximum(matrix, matrix.T)
    graph: nx.Graph = nx.DiGraph() if directed else nx.Graph()
    graph.add_nodes_from(labels)
    for i, j in zip(*np.nonzero(tie), strict=True):
        if i != j:
            # Exact 1/w, so that equally short paths are equal (see test_graph_centrality).
            w = Fraction(tie[i, j]) if weighted else Fraction(1)
            graph.add_edge(labels[i], labels[j], distance=1 / w)
    return graph


def check_is_path(graph: nx.Graph, found: GraphPath, a: str, b: str) -> None:
    assert found.nodes[0] == a and found.nodes[-1] == b
    assert len(set(found.nodes)) == len(found.nodes)
    length = sum(graph.edges[u, v]["distance"] for u, v in pairwise(found.nodes))
    assert found.length == pytest.approx(float(length), rel=1e-12)


@pytest.mark.parametrize("directed", [False, True], ids=["undirected", "directed"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("path", FILE_PARAMS)
def test_shortest_path_lengths_equal_networkx(path: Path, weighted: bool, directed: bool) -> None:
    network, _ = read_network(path, directed=directed, weighted=weighted)
    graph = reference(path, directed=directed, weighted=weighted)
    # Every pair among 12 nodes drawn with a fixed seed (all pairs would be 12,000 on
    # the largest network: slow for no more coverage of the code).
    rng = np.random.default_rng(len(network.names))
    picked = [network.names[i] for i in rng.choice(network.size, 12, replace=False)]
    for a in picked:
        lengths = nx.single_source_dijkstra_path_length(graph, a, weight="distance")
        for b in picked:
            found = shortest_path(network, a, b)
            if b not in lengths:
                assert found is None, (a, b)
                continue
            assert found is not None, (a, b)
            assert found.length == pytest.approx(float(lengths[b]), rel=1e-12), (a, b)
            check_is_path(graph, found, a, b)
            if not weighted:
                assert found.hops == lengths[b]


@pytest.mark.parametrize("directed", [False, True], ids=["undirected", "directed"])
def test_all_paths_equal_networkx_all_simple_paths(directed: bool) -> None:
    graph = nx.gnm_random_graph(40, 160 if directed else 90, seed=8, directed=directed)
    names = [str(n) for n in graph]
    network = Network.from_edges(
        names, [(str(a), str(b), 1.0) for a, b in graph.edges()], directed=directed
    )
    checked = 0
    for a, b in [(0, 1), (2, 17), (5, 33), (12, 39)]:
        for cutoff in (1, 3, 5):
            expected = {tuple(map(str, p)) for p in nx.all_simple_paths(graph, a, b, cutoff)}
            found = all_paths(network, str(a), str(b), cutoff)
            assert {p.nodes for p in found} == expected
            assert len(found) == len(expected)  # no path twice
            assert [p.hops for p in found] == sorted(p.hops for p in found)  # shortest first
            checked += len(found)
    assert checked > 100  # the cases are not all empty


def test_all_paths_is_a_list_of_node_sequences() -> None:
    network = Network.from_edges(["a", "b", "c"], [("a", "b", 1), ("b", "c", 1)])
    assert [list(p) for p in all_paths(network, "a", "c", 4)] == [["a", "b", "c"]]
    assert [list(p) for p in all_paths(network, "a", "a", 4)] == [["a"]]  # as networkx


def test_weighted_all_paths_are_ordered_by_length() -> None:
    ties = [("a", "b", 1), ("b", "d", 1), ("a", "c", 4), ("c", "d", 4), ("a", "d", 1)]
    network = Network.from_edges(list("abcd"), ties, weighted=True)
    found = all_paths(network, "a", "d", 3)
    # Strength 4 is distance 1/4: the two-hop way through c is the shortest.
    assert [(p.nodes, p.length) for p in found] == [
        (("a", "c", "d"), 0.5),
        (("a", "d"), 1.0),
        (("a", "b", "d"), 2.0),
    ]
    assert shortest_path(network, "a", "d") == found[0]


def test_too_many_paths_are_refused_not_cut_short() -> None:
    complete = nx.complete_graph(12)
    network = Network.from_edges(
        [str(n) for n in complete], [(str(a), str(b), 1.0) for a, b in complete.edges()]
    )
    with pytest.raises(InputError) as refused:
        all_paths(network, "0", "1", 6)
    assert str(refused.value) == (
        f"max_length: more than {MAX_PATHS:,} simple paths of up to 6 hops between '0' and "
        "'1'; lower the maximum length"
    )
    assert len(all_paths(network, "0", "1", 3)) == 1 + 10 + 10 * 9


def test_bad_lengths_and_names_are_refused() -> None:
    network = Network.from_edges(["a", "b"], [("a", "b", 1)])
    with pytest.raises(InputError, match=r"^max_length: at least 1 hop$"):
        all_paths(network, "a", "b", 0)
    with pytest.raises(InputError, match=r"^hops: 0 or more$"):
        neighbourhood(network, "a", -1)
    with pytest.raises(InputError, match=r"^to: no node 'zed' in the network$"):
        shortest_path(network, "a", "zed")
    with pytest.raises(InputError, match=r"^from: no node 'zed' in the network$"):
        all_paths(network, "zed", "a", 2)
    with pytest.raises(InputError, match=r"^node: no node 'zed' in the network$"):
        neighbourhood(network, "zed", 1)


# a — b — c, and a — d — e — c, and e — f: the short way passes b.
HIDING = Network.from_edges(
    list("abcdef"),
    [("a", "b", 1), ("b", "c", 1), ("a", "d", 1), ("d", "e", 1), ("e", "c", 1), ("e", "f", 1)],
)


def test_hidden_nodes_are_never_on_a_path() -> None:
    found = shortest_path(HIDING, "a", "c")
    assert found is not None and found.nodes == ("a", "b", "c")
    around = shortest_path(HIDING, "a", "c", hidden={"b"})
    assert around is not None and around.nodes == ("a", "d", "e", "c")
    assert shortest_path(HIDING, "a", "c", hidden={"b", "e"}) is None
    assert [p.nodes for p in all_paths(HIDING, "a", "c", 5, hidden={"b"})] == [("a", "d", "e", "c")]
    assert all_paths(HIDING, "a", "c", 5, hidden={"b", "d"}) == []
    # Names the network does not hold are simply not there to hide.
    assert shortest_path(HIDING, "a", "c", hidden={"nobody"}) == found


def test_hidden_nodes_and_what_lies_beyond_them_are_not_revealed() -> None:
    assert neighbourhood(HIDING, "a", 2) == ["b", "d", "c", "e"]
    # f is reached only through e: hiding e hides that f is two hops from d.
    assert neighbourhood(HIDING, "d", 3, hidden={"e"}) == ["a", "b", "c"]
    assert "f" not in neighbourhood(HIDING, "d", 5, hidden={"e"})


def test_a_hidden_end_is_refused_as_if_it_did_not_exist() -> None:
    with pytest.raises(InputError) as hidden:
        shortest_path(HIDING, "a", "b", hidden={"b"})
    with pytest.raises(InputError) as unknown:
        shortest_path(HIDING, "a", "q")
    assert str(hidden.value) == str(unknown.value).replace("'q'", "'b'")
    with pytest.raises(InputError, match="no node 'b'"):
        neighbourhood(HIDING, "b", 1, hidden={"b"})


def test_neighbourhood_equals_networkx_ego_graph() -> None:
    graph = nx.gnm_random_graph(60, 100, seed=4)
    network = Network.from_edges(
        [str(n) for n in graph], [(str(a), str(b), 1.0) for a, b in graph.edges()]
    )
    for node in (0, 7, 31):
        lengths = nx.single_source_shortest_path_length(graph, node)
        for hops in (0, 1, 2, 4):
            ego = set(nx.ego_graph(graph, node, radius=hops)) - {node}
            found = neighbourhood(network, str(node), hops)
            assert set(found) == {str(n) for n in ego}
            assert [lengths[int(n)] for n in found] == sorted(lengths[int(n)] for n in found)


def test_directed_paths_follow_direction_and_neighbourhoods_do_not() -> None:
    network = Network.from_edges(list("abc"), [("a", "b", 1), ("c", "b", 1)], directed=True)
    assert shortest_path(network, "a", "c") is None
    assert shortest_path(network, "c", "b") == GraphPath(("c", "b"), 1.0)
    assert neighbourhood(network, "a", 2) == ["b", "c"]
