"""Centralities against networkx: every shared criminal network through the CLI, seeded graphs,
and the sampled estimates against their exact values within their own standard error.

The networkx reference is built here from the matrix by this file's own reader, with the
collapse rule :mod:`harmwatch.intelligence.graph.network` documents (undirected: a tie if
either direction has one, strength the larger). Weighted distances are exact fractions
1/w: with floats, networkx tells tied shortest paths apart by rounding (1/3 + 1/3 + 1/3
against 1, 1/2 + 1/4 against 1/4 + 1/2 summed in another order), while igraph compares
path lengths with a tolerance; with fractions networkx sees the ties that are there.
"""

from __future__ import annotations

import csv
import json
import random
from fractions import Fraction
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import typer
from shared_networks import FILE_PARAMS
from typer.testing import CliRunner

from harmwatch.cli.network import register
from harmwatch.errors import InputError
from harmwatch.intelligence.graph.centrality import (
    betweenness,
    centralities,
    closeness,
    eigenvector,
)
from harmwatch.intelligence.graph.files import read_network
from harmwatch.intelligence.graph.network import Network
from harmwatch.intelligence.graph.players import communities, key_players, removal_effect

TOLERANCE = 1e-6  # the issue's; the differences seen are ~1e-13

app = typer.Typer()
register(app)
runner = CliRunner()


def read_matrix(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.reader(handle) if any(c.strip() for c in r)]
    labels = [c.strip() for c in rows[0][1:]]
    return labels, np.array([[float(c) for c in r[1:]] for r in rows[1:]])


def reference(labels: list[str], matrix: np.ndarray, *, directed: bool, weighted: bool) -> nx.Graph:
    graph: nx.Graph = nx.DiGraph() if directed else nx.Graph()
    graph.add_nodes_from(labels)
    tie = matrix if directed else np.maximum(matrix, matrix.T)
    for i, j in zip(*np.nonzero(tie), strict=True):
        if i != j:
            w = float(tie[i, j]) if weighted else 1.0
            graph.add_edge(labels[i], labels[j], weight=w, distance=1 / Fraction(w))
    return graph


def networkx_centralities(graph: nx.Graph, *, weighted: bool) -> dict[str, dict[str, float]]:
    """networkx's five measures; eigenvector per component (where it is defined)."""
    skeleton = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    distance = "distance" if weighted else None
    eigen: dict[str, float] = dict.fromkeys(graph, 0.0)
    components = (
        nx.weakly_connected_components(graph)
        if graph.is_directed()
        else nx.connected_components(graph)
    )
    for nodes in components:
        part = graph.subgraph(nodes)
        if len(nodes) > 1 and not (graph.is_directed() and nx.is_directed_acyclic_graph(part)):
            eigen.update(
                nx.eigenvector_centrality(
                    part, max_iter=100_000, tol=1e-12, weight="weight" if weighted else None
                )
            )
    return {
        "degree": dict(skeleton.degree()),
        "betweenness": nx.betweenness_centrality(graph, normalized=True, weight=distance),
        "closeness": nx.closeness_centrality(graph, distance=distance),
        "eigenvector": eigen,
        "core": nx.core_number(nx.Graph(skeleton)),
    }


def assert_equal_to_networkx(rows: list[dict], graph: nx.Graph, *, weighted: bool) -> None:
    expected = networkx_centralities(graph, weighted=weighted)
    assert [r["node"] for r in rows] == list(graph)
    for measure in ("degree", "core"):
        assert [r[measure] for r in rows] == [expected[measure][r["node"]] for r in rows], measure
    for measure in ("betweenness", "closeness", "eigenvector"):
        ours = np.array([r[measure] for r in rows])
        theirs = np.array([float(expected[measure][r["node"]]) for r in rows])
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=TOLERANCE, err_msg=measure)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("path", FILE_PARAMS)
def test_cli_centralities_equal_networkx_on_every_shared_network(
    path: Path, weighted: bool
) -> None:
    args = ["network", "centrality", str(path), "--json", *(["--weighted"] if weighted else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    labels, matrix = read_matrix(path)
    graph = reference(labels, matrix, directed=False, weighted=weighted)
    assert_equal_to_networkx(rows, graph, weighted=weighted)
    if nx.is_connected(graph):  # the case: networkx's own eigenvector, whole graph
        whole = nx.eigenvector_centrality(
            graph, max_iter=100_000, tol=1e-12, weight="weight" if weighted else None
        )
        ours = np.array([r["eigenvector"] for r in rows])
        np.testing.assert_allclose(ours, [whole[n] for n in labels], atol=TOLERANCE)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("path", FILE_PARAMS)
def test_directed_centralities_equal_networkx(path: Path, weighted: bool) -> None:
    network, _ = read_network(path, directed=True, weighted=weighted)
    labels, matrix = read_matrix(path)
    graph = reference(labels, matrix, directed=True, weighted=weighted)
    assert_equal_to_networkx(centralities(network).rows(), graph, weighted=weighted)


def network_from(graph: nx.Graph, *, weighted: bool = False) -> Network:
    names = [str(n) for n in graph]
    ties = [(str(a), str(b), float(d.get("weight", 1))) for a, b, d in graph.edges(data=True)]
    return Network.from_edges(names, ties, directed=graph.is_directed(), weighted=weighted)


def with_fraction_distances(graph: nx.Graph, *, weighted: bool) -> nx.Graph:
    out = nx.relabel_nodes(graph, str)
    for _, _, data in out.edges(data=True):
        data["weight"] = float(data.get("weight", 1)) if weighted else 1.0
        data["distance"] = 1 / Fraction(data["weight"])
    return out


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_karate_club_equals_networkx(weighted: bool) -> None:
    karate = nx.karate_club_graph()  # Zachary (1977), with its interaction counts as weights
    rows = centralities(network_from(karate, weighted=weighted)).rows()
    assert_equal_to_networkx(rows, with_fraction_distances(karate, weighted=weighted),
                             weighted=weighted)  # fmt: skip


def seeded_graph(seed: int, n: int = 300, directed: bool = False) -> nx.Graph:
    """A sparse random graph with several components, isolated nodes and integer strengths."""
    rng = np.random.default_rng(seed)
    graph: nx.Graph = nx.gnm_random_graph(n, int(1.3 * n), seed=seed, directed=directed)
    for _, _, data in graph.edges(data=True):
        data["weight"] = int(rng.integers(1, 6))
    return graph


@pytest.mark.parametrize("directed", [False, True], ids=["undirected", "directed"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_disconnected_random_graph_equals_networkx(directed: bool, weighted: bool) -> None:
    graph = seeded_graph(11, directed=directed)
    assert nx.number_weakly_connected_components(graph.to_directed()) > 3
    scores = centralities(network_from(graph, weighted=weighted))
    assert_equal_to_networkx(
        scores.rows(), with_fraction_distances(graph, weighted=weighted), weighted=weighted
    )


def test_eigenvector_is_per_component_with_a_note() -> None:
    # Two triangles of different size plus an isolated node: networkx's power iteration on
    # the whole graph would give only the component with the larger eigenvalue.
    ties = [("a", "b", 1), ("b", "c", 1), ("a", "c", 1), ("c", "d", 1),
            ("x", "y", 1), ("y", "z", 1), ("x", "z", 1)]  # fmt: skip
    network = Network.from_edges(["a", "b", "c", "d", "x", "y", "z", "alone"], ties)
    scores = centralities(network)
    values = dict(zip(scores.nodes, scores.eigenvector.tolist(), strict=True))
    assert np.linalg.norm([values[n] for n in "abcd"]) == pytest.approx(1.0)
    assert np.linalg.norm([values[n] for n in "xyz"]) == pytest.approx(1.0)
    assert values["x"] == pytest.approx(1 / np.sqrt(3))
    assert values["alone"] == 0.0
    assert any("within each component" in note for note in scores.notes)
    assert any("without ties have eigenvector centrality 0" in note for note in scores.notes)
    assert eigenvector(network).tolist() == scores.eigenvector.tolist()


def test_connected_network_has_no_component_note() -> None:
    scores = centralities(network_from(nx.karate_club_graph()))
    assert not any("component" in note for note in scores.notes)


def test_directed_acyclic_component_has_no_eigenvector() -> None:
    network = Network.from_edges(["a", "b", "c"], [("a", "b", 1), ("b", "c", 1)], directed=True)
    scores = centralities(network)
    assert scores.eigenvector.tolist() == [0.0, 0.0, 0.0]
    assert any("no cycle" in note for note in scores.notes)


def test_rows_are_plain_json_values() -> None:
    rows = centralities(network_from(nx.karate_club_graph())).rows()
    assert set(rows[0]) == {"node", "degree", "betweenness", "closeness", "eigenvector", "core"}
    json.dumps(rows)  # numpy scalars would not serialise
    assert all(type(r["degree"]) is int and type(r["closeness"]) is float for r in rows)


# -- sampled estimates -------------------------------------------------------------------


def sampled_graph() -> nx.Graph:
    """A seeded graph with a 350-node component (sampled) and small ones (exact)."""
    big = nx.powerlaw_cluster_graph(350, 3, 0.3, seed=5)
    small = nx.gnm_random_graph(40, 45, seed=6)
    graph = nx.disjoint_union(big, small)
    graph.add_nodes_from(range(390, 395))  # isolated
    return graph


def population_se(values: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Standard error of the mean of ``draws`` values drawn without replacement, per column."""
    size = values.shape[0]
    variance = values.var(axis=0)  # population variance (ddof=0)
    return np.sqrt(variance / draws * (size - draws) / (size - 1))


K = 60
SEED = 2024


def assert_within_standard_errors(error: np.ndarray, se: np.ndarray) -> None:
    """Each error within 5 standard errors, and their mean within 1.5 mean standard errors.

    The pivots are seeded, so the outcome is fixed. Were the estimates normal, one would
    stray beyond 5 SE with probability 6e-7, and the mean |error| would be about 0.8 times
    the mean SE (E|Z| = √(2/π)); 1.5 leaves room for the skewed terms of a sample of 60.
    """
    assert (np.abs(error) <= 5 * se + 1e-9).all(), np.flatnonzero(np.abs(error) > 5 * se)
    assert np.abs(error).mean() <= 1.5 * se.mean()


def test_sampled_betweenness_within_five_standard_errors_of_exact() -> None:
    graph = sampled_graph()
    network = network_from(graph)
    n = network.size
    exact = betweenness(network)
    estimate = betweenness(network, sources=K, seed=SEED)
    big = np.arange(350)
    # δ_s(v) for every source s in the big component, from networkx (ordered pairs: the
    # undirected subset value is halved, so double it), scaled as the estimator's terms.
    terms = np.zeros((big.size, n))
    for row, s in enumerate(big):
        delta = nx.betweenness_centrality_subset(graph, [s], list(graph), normalized=False)
        terms[row] = [2 * delta[v] for v in graph]
    terms *= (big.size - 1) / ((n - 1) * (n - 2))
    # The pivots other than v are a uniform sample of K or K - 1 (v a pivot) from the
    # component less v (v's own term is 0): the standard error for K - 1 bounds both.
    se = np.array(
        [population_se(np.delete(terms[:, v], v)[:, None], np.array(K - 1))[0] for v in big]
    )
    assert_within_standard_errors(estimate[big] - exact[big], se)
    np.testing.assert_allclose(estimate[350:], exact[350:], atol=1e-12)  # small: exact


def test_sampled_closeness_within_five_standard_errors_of_exact() -> None:
    graph = sampled_graph()
    network = network_from(graph)
    n = network.size
    exact = closeness(network)
    estimate = closeness(network, sources=K, seed=SEED)
    big = np.arange(350)
    distances = np.array(
        [[d[v] for v in big] for d in (nx.single_source_shortest_path_length(graph, s)
                                        for s in big)],
        dtype=float,
    )  # fmt: skip
    others = big.size - 1
    # The estimator's Σ_u d(u, v) is (r - 1) times the mean of the pivots' distances;
    # Ĉ = (r - 1)² / ((n - 1) Ŝ) gives it back from the closeness.
    se = np.array(
        [population_se(np.delete(distances[:, v], v)[:, None] * others, np.array(K - 1))[0]
         for v in big]
    )  # fmt: skip
    implied_sum = others**2 / ((n - 1) * estimate[big])
    assert_within_standard_errors(implied_sum - distances.sum(axis=0), se)
    np.testing.assert_allclose(estimate[350:], exact[350:], atol=1e-12)


@pytest.mark.parametrize("directed", [False, True], ids=["undirected", "directed"])
def test_enough_sources_is_exact(directed: bool) -> None:
    network = network_from(seeded_graph(3, n=120, directed=directed), weighted=True)
    np.testing.assert_allclose(betweenness(network, sources=120), betweenness(network), atol=1e-12)
    np.testing.assert_allclose(closeness(network, sources=120), closeness(network), atol=1e-12)


def test_same_seed_same_estimate_and_a_note() -> None:
    network = network_from(sampled_graph())
    first = centralities(network, sources=K, seed=1)
    again = centralities(network, sources=K, seed=1)
    other = centralities(network, sources=K, seed=2)
    assert first.betweenness.tolist() == again.betweenness.tolist()
    assert first.closeness.tolist() == again.closeness.tolist()
    assert first.betweenness.tolist() != other.betweenness.tolist()
    assert any("estimated from 60 sampled sources" in note for note in first.notes)


def test_too_few_sources_refused() -> None:
    network = network_from(nx.karate_club_graph())
    with pytest.raises(InputError, match="sources: at least 2"):
        betweenness(network, sources=1)


# -- key players, communities, removal ---------------------------------------------------


def test_key_players_are_the_top_of_each_measure() -> None:
    karate = nx.karate_club_graph()
    scores = centralities(network_from(karate))
    top = key_players(scores, k=3)
    assert set(top) == {"degree", "betweenness", "closeness", "eigenvector", "core"}
    by_degree = sorted(karate, key=lambda n: (-karate.degree(n), n))[:3]
    assert [name for name, _ in top["degree"]] == [str(n) for n in by_degree]
    betweenness_nx = nx.betweenness_centrality(karate)
    assert [name for name, _ in top["betweenness"]] == [
        str(n) for n in sorted(karate, key=lambda n: -betweenness_nx[n])[:3]
    ]


@pytest.mark.parametrize("method", ["leiden", "louvain"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_communities_are_reproducible_and_their_modularity_is_networkx_s(
    method: str, weighted: bool
) -> None:
    karate = nx.karate_club_graph()
    network = network_from(karate, weighted=weighted)
    state = random.getstate()
    found = communities(network, seed=3, method=method)
    assert random.getstate() == state  # the process's own random draws are untouched
    again = communities(network, seed=3, method=method)
    assert found == again
    groups = [set(g) for g in found.groups]
    assert sorted(n for g in groups for n in g) == sorted(network.names)  # a partition
    assert [len(g) for g in groups] == sorted((len(g) for g in groups), reverse=True)
    expected = nx.community.modularity(
        nx.relabel_nodes(karate, str), groups, weight="weight" if weighted else None
    )
    assert found.modularity == pytest.approx(expected, abs=1e-12)
    if not weighted:
        # The proven optimum for Zachary's club is 0.4198 (Brandes et al. 2008).
        assert 0.37 < found.modularity <= 0.41979 + 1e-9
    assert json.dumps(found.to_json())


def test_removal_effect_equals_networkx() -> None:
    graph = seeded_graph(21, n=200)
    network = network_from(graph)
    effect = removal_effect(network, 5, "betweenness")
    scores = nx.betweenness_centrality(graph)
    removed = sorted(graph, key=lambda n: -scores[n])[:5]
    assert effect.removed == tuple(str(n) for n in removed)
    remaining = graph.copy()
    remaining.remove_nodes_from(removed)
    assert effect.largest_before == max(len(c) for c in nx.connected_components(graph))
    assert effect.largest_after == max(len(c) for c in nx.connected_components(remaining))
    assert effect.components_after == nx.number_connected_components(remaining)
    assert effect.nodes_after == 195
    assert json.dumps(effect.to_json())
