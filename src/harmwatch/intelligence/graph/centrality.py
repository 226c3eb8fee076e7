"""Who matters in a network: degree, betweenness, closeness, eigenvector centrality, core number.

Every measure has networkx's definition (the reference the tests compare against), and
igraph computes it. For a network of *n* nodes:

- **Degree** d(v): the number of distinct people v is tied to, in either direction —
  networkx's ``G.degree()`` on the simple undirected graph. (On a directed graph
  networkx counts in + out, so a reciprocated tie twice; here it counts once.)
- **Betweenness** (Freeman 1977; Brandes 2001), normalised as networkx's
  ``betweenness_centrality(G, normalized=True)``::

      b(v) = 1 / ((n-1)(n-2)) · Σ_{s ≠ v ≠ t} σ_st(v) / σ_st

  over ordered pairs (s, t), σ_st being the number of shortest paths from s to t and
  σ_st(v) those through v. An undirected pair is counted both ways, so this is
  2/((n-1)(n-2)) times igraph's undirected betweenness (which counts each pair once);
  n ≤ 2: 0. Weighted: shortest by distance 1/strength.
- **Closeness**, networkx's default (Wasserman & Faust 1994, p. 201, ``wf_improved``)::

      C(v) = (r_v - 1)/(n - 1) · (r_v - 1) / Σ_{u reaches v} d(u, v)

  r_v counting v and the nodes that can reach it, so on a disconnected network a node
  is scaled by the share of the network it can be reached from; 0 when none can.
  Directed: incoming distance (how easily others reach v), as networkx. Weighted:
  d by distance 1/strength.
- **Eigenvector centrality** (Bonacich 1972): the principal eigenvector x of the
  adjacency matrix A (strengths when weighted; directed: the left eigenvector,
  x_v ∝ Σ_{u→v} A_uv x_u, as networkx and igraph), non-negative, ‖x‖₂ = 1. It is
  defined for a connected graph only (networkx's power iteration on a disconnected
  one returns whichever component dominates), so here it is computed **for each
  connected component**, each normalised to unit length within its component: values
  compare within a component, not across components. A node without ties gets 0 —
  not the 1 that networkx would give a one-node graph: alone it influences no one.
- **Core number** (k-core; Seidman 1983; Batagelj & Zaversnik 2003): the largest k for
  which v is in a subgraph where everyone has at least k distinct neighbours —
  networkx's ``core_number`` on the simple undirected graph; ties' strengths and
  directions do not count.

Estimates for large networks
----------------------------
Exact betweenness and closeness cost one shortest-path search from every node, O(nm)
— about 10¹¹ steps at 200,000 nodes and 1,000,000 ties. With ``sources=k`` both are
estimated from k *pivots* per connected component, drawn uniformly without
replacement with ``numpy.random.default_rng(seed)`` (Brandes & Pich 2007, "Centrality
estimation in large networks", *Int. J. Bifurcation and Chaos* 17: 2303; Eppstein &
Wang 2004, *J. Graph Algorithms Appl.* 8: 39). Components of at most k nodes use all
of theirs, so they are exact, and the cost is at most k searches' worth, O(k m).
Drawing pivots within each component (stratified) loses nothing: paths never leave a
component. For v in component c (r_c nodes, pivots S_c, k' = |S_c \\ {v}|)::

    b̂(v) = (r_c - 1) / (k' (n-1)(n-2)) · Σ_{s ∈ S_c, s ≠ v} δ_s(v),
    δ_s(v) = Σ_t σ_st(v) / σ_st                      (one Brandes source sweep)

which is unbiased: the k' pivots other than v are a uniform sample of the r_c - 1
sources that can count towards b(v) (networkx's ``k=`` estimate makes the same
correction for a node that is itself a pivot). Each term lies in [0, 1], so by
Hoeffding's inequality (which holds for sampling without replacement, Hoeffding 1963
§6) P(|b̂(v) - b(v)| ≥ ε) ≤ 2 exp(-2 k' ε²): ε = 0.086 for k' = 250 at 95 %. That is
a worst case; the typical error is the terms' standard deviation over √k', far
smaller for all but the top brokers, and the benchmark reports measured errors.

Closeness from the same kind of pivots: with h_v the pivots s ≠ v that reach v and
D_v = Σ_{s ∈ h_v} d(s, v), the reach r_v - 1 is estimated by (r_c - 1)|h_v|/k' (exact
when undirected: everyone in the component reaches v) and Σ_u d(u, v) by
(r_c - 1) D_v / k', which give Ĉ(v) by the formula above. The mean distance is the
mean of k' draws from [d_min, Δ] (Δ the diameter), within Δ √(ln(2/α) / (2k')) of
the true one with probability 1 - α (Eppstein & Wang); Ĉ(v)'s relative error is about
the mean distance's. Ĉ(v) is consistent, not unbiased (it divides by an estimate).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harmwatch.errors import InputError

from .network import Network, plural, seeded_igraph

MEASURES: tuple[str, ...] = ("degree", "betweenness", "closeness", "eigenvector", "core")

# Sources whose distances are held at once by the closeness estimate: 64 rows of
# 200,000 float64 are 100 MB, and igraph returns them as Python lists first.
_DISTANCE_CHUNK = 32


@dataclass(frozen=True, eq=False)
class Centralities:
    """Every node's centralities, as columns in node order, and notes on how to read them."""

    nodes: tuple[str, ...]
    degree: np.ndarray
    betweenness: np.ndarray
    closeness: np.ndarray
    eigenvector: np.ndarray
    core: np.ndarray
    notes: tuple[str, ...] = ()
    sources: int | None = None  # pivots per component for the estimates; None: exact

    def column(self, measure: str) -> np.ndarray:
        if measure not in MEASURES:
            raise InputError(f"measure: {measure!r} is not one of {', '.join(MEASURES)}")
        values: np.ndarray = getattr(self, measure)
        return values

    def rows(self) -> list[dict[str, str | int | float]]:
        """One dict per node: node, degree, betweenness, closeness, eigenvector, core."""
        degree = self.degree.tolist()
        betweenness = self.betweenness.tolist()
        closeness = self.closeness.tolist()
        eigenvector = self.eigenvector.tolist()
        core = self.core.tolist()
        return [
            {
                "node": node,
                "degree": degree[i],
                "betweenness": betweenness[i],
                "closeness": closeness[i],
                "eigenvector": eigenvector[i],
                "core": core[i],
            }
            for i, node in enumerate(self.nodes)
        ]


@dataclass(frozen=True)
class _Components:
    membership: np.ndarray  # component of each vertex
    sizes: np.ndarray  # nodes in each component

    @property
    def of_vertex(self) -> np.ndarray:
        """The size of each vertex's component."""
        return self.sizes[self.membership]

    def members(self) -> list[np.ndarray]:
        order = np.argsort(self.membership, kind="stable")
        return np.split(order, np.cumsum(self.sizes)[:-1])


def _components(network: Network) -> _Components:
    membership = np.asarray(
        network.graph.connected_components(mode="weak").membership, dtype=np.int64
    )
    sizes = np.bincount(membership, minlength=1) if membership.size else np.zeros(0, np.int64)
    return _Components(membership, sizes)


def degree(network: Network) -> np.ndarray:
    """Distinct neighbours of each node (either direction)."""
    return np.asarray(network.skeleton().degree(), dtype=np.int64)


def core_number(network: Network) -> np.ndarray:
    """Each node's k-core number on the simple undirected graph."""
    return np.asarray(network.skeleton().coreness(), dtype=np.int64)


def _check_sources(sources: int | None) -> None:
    if sources is not None and (isinstance(sources, bool) or sources < 2):
        raise InputError("sources: at least 2 sampled sources (or none, for the exact values)")


def _pivots(components: _Components, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(pivot vertices, whether each vertex's component is sampled rather than complete)."""
    sampled = components.of_vertex > k
    chosen = [np.flatnonzero(~sampled)]
    big = np.flatnonzero(components.sizes > k)
    if big.size:
        rng = np.random.default_rng(seed)
        members = components.members()
        # Components in id order, each with its own draws: the same seed gives the same
        # pivots whatever else changes.
        chosen.extend(rng.choice(members[c], size=k, replace=False) for c in big)
    return np.sort(np.concatenate(chosen)), sampled


def betweenness(network: Network, *, sources: int | None = None, seed: int = 0) -> np.ndarray:
    """Normalised betweenness of each node: exact, or estimated from ``sources`` pivots."""
    _check_sources(sources)
    g, n = network.graph, network.size
    if n <= 2:
        return np.zeros(n)
    weights = network.path_weights()
    # igraph counts an undirected pair once; the normalisation counts ordered pairs.
    both_ways = 1.0 if network.directed else 2.0
    if sources is None:
        raw = np.asarray(g.betweenness(directed=network.directed, weights=weights))
        return raw * both_ways / ((n - 1) * (n - 2))
    components = _components(network)
    pivots, sampled = _pivots(components, sources, seed)
    raw = np.asarray(
        g.betweenness(directed=network.directed, weights=weights, sources=pivots.tolist())
    )
    is_pivot = np.zeros(n, dtype=bool)
    is_pivot[pivots] = True
    others = components.of_vertex - 1
    scale = np.where(sampled, others / (sources - is_pivot), 1.0)
    return raw * both_ways * scale / ((n - 1) * (n - 2))


def _exact_closeness(
    network: Network, vertices: Sequence[int] | None, components: _Components
) -> np.ndarray:
    g, n = network.graph, network.size
    weights = network.path_weights()
    mode = "in" if network.directed else "all"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # igraph warns about isolated nodes
        scaled = np.asarray(
            g.closeness(vertices=vertices, mode=mode, weights=weights, normalized=True),
            dtype=np.float64,
        )
        if network.directed:
            raw = np.asarray(
                g.closeness(vertices=vertices, mode=mode, weights=weights, normalized=False),
                dtype=np.float64,
            )
    scaled = np.nan_to_num(scaled, nan=0.0)
    if network.directed:
        # igraph's normalised value is reach / Σd and its raw one 1 / Σd: their ratio
        # is the reach, which networkx's scaling needs.
        with np.errstate(invalid="ignore", divide="ignore"):
            reach = np.where(raw > 0, np.rint(scaled / np.where(raw > 0, raw, 1.0)), 0.0)
    else:
        size = components.of_vertex if vertices is None else components.of_vertex[vertices]
        reach = size - 1.0
    return scaled * reach / (n - 1)


def closeness(network: Network, *, sources: int | None = None, seed: int = 0) -> np.ndarray:
    """Wasserman–Faust closeness of each node: exact, or estimated from ``sources`` pivots."""
    _check_sources(sources)
    n = network.size
    if n <= 1:
        return np.zeros(n)
    components = _components(network)
    if sources is None:
        return _exact_closeness(network, None, components)
    pivots, sampled = _pivots(components, sources, seed)
    out = np.zeros(n)
    complete = np.flatnonzero(~sampled)
    if complete.size:
        out[complete] = _exact_closeness(network, complete.tolist(), components)
    targets = np.flatnonzero(sampled)
    if not targets.size:
        return out
    reached = np.zeros(targets.size)
    total = np.zeros(targets.size)
    weights = network.path_weights()
    big_pivots = pivots[sampled[pivots]]
    column = np.full(n, -1, dtype=np.int64)
    column[targets] = np.arange(targets.size)
    target_list = targets.tolist() if targets.size < n else None
    for start in range(0, big_pivots.size, _DISTANCE_CHUNK):
        chunk = big_pivots[start : start + _DISTANCE_CHUNK]
        dist = np.asarray(
            network.graph.distances(
                source=chunk.tolist(), target=target_list, weights=weights, mode="out"
            ),
            dtype=np.float64,
        )
        finite = np.isfinite(dist)
        reached += finite.sum(axis=0)
        total += np.where(finite, dist, 0.0).sum(axis=0)
        reached[column[chunk]] -= 1  # a pivot reaches itself at distance 0: not a draw
    own = np.zeros(n, dtype=bool)
    own[big_pivots] = True
    draws = sources - own[targets]
    others = components.of_vertex[targets] - 1.0
    reach = others * reached / draws
    distance_sum = others * total / draws
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(distance_sum > 0, reach * reach / (distance_sum * (n - 1)), 0.0)
    out[targets] = estimate
    return out


def eigenvector(network: Network) -> np.ndarray:
    """Eigenvector centrality within each component (unit length there); 0 without ties."""
    values, _ = _eigenvector(network, _components(network))
    return values


def _eigenvector(network: Network, components: _Components) -> tuple[np.ndarray, list[str]]:
    g, n = network.graph, network.size
    out = np.zeros(n)
    notes: list[str] = []
    tied = np.flatnonzero(components.sizes >= 2)
    # One component with ties and the rest alone: the whole graph's principal vector is
    # that component's (a node alone has eigenvalue 0), with no subgraph to copy.
    whole = tied.size == 1
    groups: list[np.ndarray]
    if whole:
        groups = [np.flatnonzero(components.membership == tied[0])]
    else:
        members = components.members()
        groups = [members[c] for c in tied]
    for vertices in groups:
        if vertices.size == 2 and not network.directed:
            # A single tie: both ends equal whatever its strength (ARPACK is not needed).
            out[vertices] = np.sqrt(0.5)
            continue
        sub = g if whole else g.induced_subgraph(vertices.tolist())
        if network.directed and sub.is_dag():
            # No cycle: every walk dies out, the largest eigenvalue is 0 and no
            # eigenvector says who matters (networkx's power iteration does not converge).
            notes.append(
                "eigenvector: a component whose ties all run one way (no cycle) has no "
                "eigenvector centrality; its nodes get 0 (read the network undirected instead)"
            )
            continue
        weights = sub.es["strength"] if network.weighted else None
        with warnings.catch_warnings():
            # igraph warns of near-zero values; the notes say what they mean.
            warnings.simplefilter("ignore", RuntimeWarning)
            # ARPACK starts from a random vector: seeded, the last digits repeat too. Left
            # eigenvector when directed (igraph's default, as networkx); never
            # directed=False: python-igraph 1.0 refuses it ("Invalid mode"), and an
            # undirected graph needs no flag.
            with seeded_igraph(0):
                values = np.abs(np.asarray(sub.eigenvector_centrality(weights=weights)))
        if whole:
            values = values[vertices]
        norm = float(np.linalg.norm(values))
        values = values / norm if norm > 0 else values
        out[vertices] = values
        if network.directed and (values < 1e-12).any():
            notes.append(
                "eigenvector: in a component that is not strongly connected, nodes that no "
                "cycle of ties points to have eigenvector centrality 0"
            )
    return out, sorted(set(notes))


def centralities(network: Network, *, sources: int | None = None, seed: int = 0) -> Centralities:
    """All five measures for every node, with notes on how to read them.

    ``sources``: estimate betweenness and closeness from that many pivots per component
    (seeded by ``seed``) instead of exactly; see the module's notes on their error.
    """
    _check_sources(sources)
    components = _components(network)
    eigen, eigen_notes = _eigenvector(network, components)
    notes = _notes(network, components, sources, seed) + eigen_notes
    return Centralities(
        nodes=network.names,
        degree=degree(network),
        betweenness=betweenness(network, sources=sources, seed=seed),
        closeness=closeness(network, sources=sources, seed=seed),
        eigenvector=eigen,
        core=core_number(network),
        notes=tuple(notes),
        sources=sources,
    )


def _notes(network: Network, components: _Components, sources: int | None, seed: int) -> list[str]:
    notes: list[str] = []
    count = int(components.sizes.size)
    if count > 1:
        isolated = int((components.sizes == 1).sum())
        alone = f", {plural(isolated, 'node')} without ties" if isolated else ""
        notes.append(
            f"the network has {count:,} components (largest: "
            f"{plural(int(components.sizes.max()), 'node')}{alone}): eigenvector centrality "
            "is computed within each component and normalised to unit length there, so it "
            "compares nodes within a component, not across; closeness is scaled by the share "
            "of the network that can reach each node (Wasserman–Faust)"
        )
        if isolated:
            notes.append("nodes without ties have eigenvector centrality 0 (they influence no one)")
    if network.weighted:
        notes.append(
            "weighted: betweenness and closeness follow the shortest paths by distance "
            "1/strength, eigenvector centrality uses the strengths; degree and core numbers "
            "count neighbours"
        )
    if network.directed:
        notes.append(
            "directed: betweenness counts directed paths, closeness how easily others reach "
            "each node (incoming distance), eigenvector centrality comes from those pointing "
            "to a node; degree and core numbers count distinct neighbours either way"
        )
    if sources is not None:
        sampled = int((components.sizes > sources).sum())
        if sampled:
            notes.append(
                f"betweenness and closeness estimated from {sources:,} sampled sources in each "
                f"of the {plural(sampled, 'component')} larger than that (seed {seed}); "
                "smaller components exactly"
            )
        else:
            notes.append(
                f"betweenness and closeness exact: no component has more than {sources:,} nodes"
            )
    return notes
