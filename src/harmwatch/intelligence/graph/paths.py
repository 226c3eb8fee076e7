"""Paths between people: the shortest, every simple one up to a length, and neighbourhoods.

Need-to-know: every function takes ``hidden``, the nodes the caller may not see, and
works on the network without them (the subgraph induced by the visible nodes). So a
path never passes through a hidden node, and neither does a neighbourhood reach past
one: a result cannot reveal that a hidden person links two visible ones. A hidden
start or end is refused with the same words as a name not in the network, so the
refusal does not tell that it exists.

Lengths: hops when unweighted; with a weighted network, the sum of the ties'
distances 1/strength, and the shortest path is the one of least such distance
(Dijkstra). On a directed network a path follows the ties' direction; a neighbourhood
counts ties either way. :func:`all_paths` enumerates simple paths (no node twice) by
depth-first search that steps only to nodes from which the end is still within the
hops left (so it rarely explores a dead end), and refuses — rather than cuts short — a
question with more than :data:`MAX_PATHS` answers.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from harmwatch.errors import InputError

from .network import Network

#: The most simple paths :func:`all_paths` returns; more is refused, not cut short.
MAX_PATHS = 10_000
# Depth-first steps before a search is given up: far more than MAX_PATHS answers need
# (pruning keeps nearly every step on the way to an answer), and a few seconds' work.
_MAX_STEPS = 2_000_000


@dataclass(frozen=True)
class Path:
    """A path as node ids from start to end, with its length (hops, or Σ 1/strength)."""

    nodes: tuple[str, ...]
    length: float

    @property
    def hops(self) -> int:
        return len(self.nodes) - 1

    def __iter__(self) -> Iterator[str]:
        return iter(self.nodes)

    def to_json(self) -> dict[str, object]:
        return {"nodes": list(self.nodes), "hops": self.hops, "length": self.length}


def _ends(network: Network, a: str, b: str) -> tuple[int, int]:
    return network.index_of(a, "from"), network.index_of(b, "to")


def _length(network: Network, vertices: list[int]) -> float:
    if len(vertices) < 2:
        return 0.0
    if not network.weighted:
        return float(len(vertices) - 1)
    edges = network.graph.get_eids(pairs=list(pairwise(vertices)))
    distance = network.graph.es["distance"]
    return float(sum(distance[e] for e in edges))


def _path(network: Network, vertices: list[int]) -> Path:
    return Path(tuple(network.names[v] for v in vertices), _length(network, vertices))


def shortest_path(network: Network, a: str, b: str, *, hidden: Collection[str] = ()) -> Path | None:
    """A shortest path from ``a`` to ``b`` among the visible nodes; None if there is none.

    When several are equally short, igraph's first is returned.
    """
    visible = network.visible(hidden)
    source, target = _ends(visible, a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Couldn't reach": None says so
        vertices = visible.graph.get_shortest_path(
            source, target, weights=visible.path_weights(), mode="out", output="vpath"
        )
    if not vertices:
        return None
    return _path(visible, [int(v) for v in vertices])


def _hops_to(network: Network, vertex: int) -> np.ndarray:
    """Hops from every vertex to ``vertex`` (following direction); inf where none."""
    return np.asarray(network.graph.distances(source=[vertex], mode="in")[0], dtype=np.float64)


def all_paths(
    network: Network,
    a: str,
    b: str,
    max_length: int,
    *,
    hidden: Collection[str] = (),
    limit: int = MAX_PATHS,
) -> list[Path]:
    """Every simple path from ``a`` to ``b`` of at most ``max_length`` hops, shortest first.

    Refused (:class:`InputError`) if there are more than ``limit``.
    """
    if isinstance(max_length, bool) or max_length < 1:
        raise InputError("max_length: at least 1 hop")
    visible = network.visible(hidden)
    source, target = _ends(visible, a, b)
    if source == target:
        return [Path((visible.names[source],), 0.0)]
    to_b = _hops_to(visible, target)
    adjacency = visible.graph.get_adjlist(mode="out")
    on_path = np.zeros(visible.size, dtype=bool)
    found: list[list[int]] = []
    steps = 0
    # Iterative depth-first search: a stack of (vertex, its remaining neighbours).
    path = [source]
    on_path[source] = True
    stack: list[Iterator[int]] = [iter(adjacency[source])]
    while stack:
        nxt = next(stack[-1], None)
        if nxt is None:
            stack.pop()
            on_path[path.pop()] = False
            continue
        steps += 1
        if steps > _MAX_STEPS:
            raise InputError(
                f"max_length: the search for paths of up to {max_length} hops between {a!r} "
                f"and {b!r} was stopped after {_MAX_STEPS:,} steps; lower the maximum length"
            )
        remaining = max_length - len(path)  # hops left after the step to nxt
        if on_path[nxt] or to_b[nxt] > remaining:
            continue
        if nxt == target:
            found.append([*path, nxt])
            if len(found) > limit:
                raise InputError(
                    f"max_length: more than {limit:,} simple paths of up to {max_length} hops "
                    f"between {a!r} and {b!r}; lower the maximum length"
                )
            continue
        if remaining > 0:
            path.append(nxt)
            on_path[nxt] = True
            stack.append(iter(adjacency[nxt]))
    paths = [(_path(visible, vertices), vertices) for vertices in found]
    # Equal lengths: fewer hops first, then by the nodes' order in the network.
    paths.sort(key=lambda pair: (pair[0].length, pair[0].hops, pair[1]))
    return [path for path, _ in paths]


def neighbourhood(
    network: Network, node: str, hops: int, *, hidden: Collection[str] = ()
) -> list[str]:
    """The visible nodes within ``hops`` ties of ``node`` (either direction), nearest first.

    ``node`` itself is not listed; within one distance, nodes keep the network's order.
    """
    if isinstance(hops, bool) or hops < 0:
        raise InputError("hops: 0 or more")
    visible = network.visible(hidden)
    start = visible.index_of(node)
    if hops == 0:
        return []
    within = visible.graph.neighborhood(start, order=hops, mode="all", mindist=1)
    if not within:
        return []
    distance = np.asarray(
        visible.graph.distances(source=[start], target=within, mode="all")[0], dtype=np.float64
    )
    order = np.lexsort((np.asarray(within), distance))
    return [visible.names[within[i]] for i in order]
