"""A network of entities and ties on igraph, and the choices that make a list of ties one graph.

Ties
----
- **Undirected** (the default): every tie between the same two nodes — listed twice, or
  once in each direction — collapses to one tie, present if either direction has one,
  whose strength is the *largest* of theirs. The largest, not the sum: a symmetric
  adjacency matrix lists every tie twice with the same value, so a sum would double every
  strength; the largest keeps a symmetric matrix's values as they are and, for an
  asymmetric one (A called B 7 times, B called A 3 times), takes the stronger reading.
- **Directed**: ties repeated in the same direction collapse the same way; a→b and b→a
  stay two ties.
- **Self-ties** (a node tied to itself: a matrix's diagonal) are dropped. None of the
  measures here gives them a meaning (networkx's betweenness and closeness skip them,
  degree counts distinct neighbours), and igraph's eigenvector centrality would count a
  loop on the diagonal twice.
- Strength 0 is no tie, as in an adjacency matrix; a negative or non-finite strength is
  refused.

Weights
-------
Unweighted (the default): every tie counts 1 whatever its strength, and paths count
hops. Weighted: a tie's strength *w* (calls, co-offences) says how close two people are,
so for shortest paths, betweenness and closeness it becomes a *distance* 1/w (the usual
convention: Newman 2001, *Phys. Rev. E* 64, 016132; Opsahl, Agneessens & Skvoretz 2010,
*Social Networks* 32, 245), while eigenvector centrality and communities use *w*
itself. Each igraph edge carries both, as ``strength`` and ``distance``.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import igraph as ig
import numpy as np

from harmwatch.errors import InputError


@dataclass(frozen=True)
class TieCounts:
    """What building a network did to the ties it was given (for notes to the user)."""

    listed: int  # ties given, before anything was dropped or merged
    self_ties: int  # dropped
    zero: int  # strength 0: read as no tie
    merged: int  # listed ties folded into another tie between the same pair
    repeated: int  # of those, ties listed again in the same direction
    two_way: int  # undirected only: pairs tied in both directions (each pair one tie)
    one_way: int  # undirected only: pairs tied in one direction only
    unequal: int  # undirected only: pairs tied both ways with different strengths
    ties: int  # ties in the network

    @property
    def asymmetric_pairs(self) -> int:
        """Pairs whose two directions differ (one missing, or unequal strengths)."""
        return self.one_way + self.unequal


@dataclass(frozen=True, eq=False)
class Network:
    """An igraph graph with node names (str, in order) and how its ties are read.

    Vertex *i* of :attr:`graph` is node ``names[i]``; each edge has ``strength`` (1.0
    when unweighted) and ``distance`` (1/strength). Build one with :meth:`from_edges`
    or :meth:`from_arrays`, not directly.
    """

    graph: ig.Graph
    names: tuple[str, ...]
    directed: bool
    weighted: bool
    index: Mapping[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {name: i for i, name in enumerate(self.names)})

    # -- building -------------------------------------------------------------------

    @classmethod
    def from_edges(
        cls,
        nodes: Sequence[str],
        edges: Iterable[tuple[str, str, float]],
        *,
        directed: bool = False,
        weighted: bool = False,
    ) -> Network:
        """The network on ``nodes`` with ``edges`` (source, target, strength), collapsed as above."""
        return build_network(nodes, edges, directed=directed, weighted=weighted)[0]

    @classmethod
    def from_arrays(
        cls,
        nodes: Sequence[str],
        source: np.ndarray,
        target: np.ndarray,
        strength: np.ndarray | None = None,
        *,
        directed: bool = False,
        weighted: bool = False,
    ) -> Network:
        """As :meth:`from_edges`, with ties as arrays of node positions (fast for 10⁶ ties)."""
        return build_from_arrays(
            nodes, source, target, strength, directed=directed, weighted=weighted
        )[0]

    # -- reading --------------------------------------------------------------------

    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def tie_count(self) -> int:
        return int(self.graph.ecount())

    def index_of(self, name: str, what: str = "node") -> int:
        """The vertex of ``name``; an unknown name is an :class:`InputError` naming it."""
        try:
            return self.index[name]
        except KeyError:
            raise InputError(f"{what}: no node {name!r} in the network") from None

    def strengths(self) -> np.ndarray:
        return np.asarray(self.graph.es["strength"], dtype=np.float64)

    def path_weights(self) -> list[float] | None:
        """Edge lengths for paths, betweenness and closeness: 1/w when weighted, else hops."""
        return list(self.graph.es["distance"]) if self.weighted else None

    def edge_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(source positions, target positions, strengths) of every tie."""
        ends = np.asarray(self.graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        return ends[:, 0], ends[:, 1], self.strengths()

    def skeleton(self) -> ig.Graph:
        """The undirected simple graph of who is tied to whom (strength: the largest)."""
        if not self.directed:
            return self.graph
        g = self.graph.as_undirected(mode="collapse", combine_edges={"strength": "max"})
        g.es["distance"] = [1.0 / w for w in g.es["strength"]]
        return g

    def induced(self, keep: Sequence[int] | np.ndarray) -> Network:
        """The network on the vertices ``keep`` and the ties among them (in vertex order)."""
        vertices = [int(v) for v in keep]
        sub = self.graph.induced_subgraph(vertices, implementation="create_from_scratch")
        # igraph keeps the vertices in increasing id order whatever order they were given.
        return Network(sub, tuple(self.names[v] for v in sorted(vertices)), self.directed,
                       self.weighted)  # fmt: skip

    def visible(self, hidden: Collection[str]) -> Network:
        """The network without the ``hidden`` nodes (names not in it are ignored)."""
        if not hidden:
            return self
        hide = set(hidden)
        return self.induced([i for i, name in enumerate(self.names) if name not in hide])


def build_network(
    nodes: Sequence[str],
    edges: Iterable[tuple[str, str, float]],
    *,
    directed: bool = False,
    weighted: bool = False,
) -> tuple[Network, TieCounts]:
    """:meth:`Network.from_edges`, also saying what was dropped and merged."""
    index: dict[str, int] = {}
    for name in nodes:
        if not isinstance(name, str) or not name:
            raise InputError(f"nodes: {name!r} is not a node name (a non-empty text)")
        if name in index:
            raise InputError(f"nodes: {name!r} is listed twice")
        index[name] = len(index)
    src: list[int] = []
    dst: list[int] = []
    strength: list[float] = []
    for number, (a, b, w) in enumerate(edges, start=1):
        for end, name in (("source", a), ("target", b)):
            if name not in index:
                raise InputError(f"tie {number}: {end}: no node {name!r} in the network")
        src.append(index[a])
        dst.append(index[b])
        strength.append(float(w))
    return build_from_arrays(
        list(index),
        np.asarray(src, dtype=np.int64),
        np.asarray(dst, dtype=np.int64),
        np.asarray(strength, dtype=np.float64),
        directed=directed,
        weighted=weighted,
    )


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order sorting ``keys``, start of each run of equal keys in that order)."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if keys.size else keys[:0]
    return order, starts


def build_from_arrays(
    nodes: Sequence[str],
    source: np.ndarray,
    target: np.ndarray,
    strength: np.ndarray | None = None,
    *,
    directed: bool = False,
    weighted: bool = False,
) -> tuple[Network, TieCounts]:
    """:meth:`Network.from_arrays`, also saying what was dropped and merged."""
    names = tuple(nodes)
    if len(set(names)) != len(names):
        raise InputError("nodes: a node name is listed twice")
    n = len(names)
    src = np.asarray(source, dtype=np.int64).ravel()
    dst = np.asarray(target, dtype=np.int64).ravel()
    w = np.ones(src.size) if strength is None else np.asarray(strength, np.float64).ravel()
    if not src.size == dst.size == w.size:
        raise InputError("ties: sources, targets and strengths differ in number")
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        raise InputError(f"ties: a node position is outside 0…{n - 1}")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"tie {first + 1}: strength: {w[first]:g} is not a strength (0 for no tie, or more)"
        )
    listed = int(src.size)
    loops = src == dst
    zero = (w == 0) & ~loops
    keep = ~loops & ~zero
    src, dst, w = src[keep], dst[keep], w[keep]

    # One tie per direction first (the largest strength), then, undirected, one per pair.
    order, starts = _groups(src * n + dst)
    repeated = int(src.size - starts.size)
    src, dst = src[order][starts], dst[order][starts]
    w = np.maximum.reduceat(w[order], starts) if starts.size else w
    one_way = two_way = unequal = 0
    if not directed:
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        order, starts = _groups(lo * n + hi)
        sizes = np.diff(np.r_[starts, lo.size])
        strongest = np.maximum.reduceat(w[order], starts) if starts.size else w
        weakest = np.minimum.reduceat(w[order], starts) if starts.size else w
        one_way = int((sizes == 1).sum())
        two_way = int((sizes == 2).sum())
        unequal = int(((sizes == 2) & (strongest != weakest)).sum())
        src, dst, w = lo[order][starts], hi[order][starts], strongest
    if not weighted:
        w = np.ones(src.size)
    graph = ig.Graph(n=n, edges=list(zip(src.tolist(), dst.tolist(), strict=True)),
                     directed=directed)  # fmt: skip
    graph.es["strength"] = w.tolist()
    graph.es["distance"] = (1.0 / w).tolist()
    counts = TieCounts(
        listed=listed,
        self_ties=int(loops.sum()),
        zero=int(zero.sum()),
        merged=int(keep.sum()) - int(src.size),
        repeated=repeated,
        two_way=two_way,
        one_way=one_way,
        unequal=unequal,
        ties=int(src.size),
    )
    return Network(graph, names, directed, weighted), counts


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 tie', '3 ties' (with thousands separators)."""
    word = one if count == 1 else (many or one + "s")
    return f"{count:,} {word}"


# igraph's random number generator is one per process (Python's ``random`` module by
# default): runs that reseed it must not interleave.
_RNG_LOCK = threading.Lock()


@contextmanager
def seeded_igraph(seed: int) -> Iterator[None]:
    """Run igraph on ``random.Random(seed)``, then give it back ``random``.

    For igraph's own random draws (community detection's node order, ARPACK's start
    vector): the same input and seed give the same result to the last bit, and
    nothing else's use of ``random`` changes them or is changed by them.
    """
    with _RNG_LOCK:
        ig.set_random_number_generator(random.Random(seed))
        try:
            yield
        finally:
            ig.set_random_number_generator(random)
