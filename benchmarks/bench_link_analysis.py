"""Benchmark: link analysis at 200,000 entities and 1,000,000 links, networkx as the baseline.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_link_analysis.py [--quick] [--json]

Graph (generated, seeded; ``--quick``: 50,000 and 250,000): communities with hubs, as
criminal networks are (cliques around brokers). Community sizes are Pareto (α = 1.2)
from 10 to 5,000 members; each entity has a Pareto (α = 1.6) "activity", capped at
2,000; a link picks its first end with probability ∝ activity and, nine times in ten,
its second end within the same community (∝ activity there), else anywhere (the
brokers between groups) — a Chung–Lu graph with planted communities (Chung & Lu 2002;
Lancichinetti, Fortunato & Radicchi 2008 for the community benchmark idea). Self-links
and repeats are redrawn until there are exactly 1,000,000 distinct links; strengths
(calls) are geometric with mean ~2.9.

On the whole graph, ours only: build, degree, eigenvector centrality, core numbers,
Leiden communities and shortest paths exactly; betweenness and closeness from k
sampled sources per component (exact Brandes is O(nm), ~10¹¹ steps here).

On a 20,000-entity connected subgraph (the first 20,000 nodes in breadth-first order
of the largest component among the first communities, so every node is joined), in
the same run:

- exact betweenness and closeness (igraph, via ``centrality.betweenness`` and
  ``closeness`` without ``sources``): the reference for the sampled estimates' error
  (mean and largest absolute error, Spearman's rank correlation);
- networkx as the baseline for each measure: ``degree``, ``eigenvector_centrality``
  (timed with its defaults; compared with ours at ``tol=1e-12``, since its default
  stopping rule leaves ~1e-4 a node),
  ``core_number``, ``louvain_communities(seed=…)``, ``shortest_path``;
  ``betweenness_centrality(k=…, seed=…)`` (its exact form is hours in pure Python:
  ~n·m = 2·10⁹ steps), with its own error against the exact values; and
  ``closeness_centrality`` timed for 200 seeded nodes and scaled by n/200 (it has no
  sampled form and all 20,000 would take tens of minutes) — said so in the table.

Every step runs in a fresh interpreter that loads the saved graph, so its time and
memory are its own. Peak memory is the process's resident high-water mark (VmHWM,
which, unlike ``tracemalloc``, counts igraph's C allocations), reset with
``/proc/self/clear_refs`` just before the step; "+MB" is that peak less the resident
size before the step (what the step itself needed). Times are wall-clock seconds of
one run; nothing here asserts on them.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SEED = 20250101


# -- the graph ---------------------------------------------------------------------------


def generate(n: int, m: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, target, strength) of m distinct links among n entities; see the docstring."""
    rng = np.random.default_rng(seed)
    sizes: list[int] = []
    while sum(sizes) < n:
        size = int(min(5000, 10 * (1 - rng.random()) ** (-1 / 1.2)))
        sizes.append(min(size, n - sum(sizes)))
    size_of = np.asarray(sizes)
    community = np.repeat(np.arange(size_of.size), size_of)
    start = np.concatenate([[0], np.cumsum(size_of)])
    activity = np.minimum((1 - rng.random(n)) ** (-1 / 1.6), 2000.0)
    cumulative = np.cumsum(activity)
    before = np.concatenate([[0.0], cumulative])
    keys = np.zeros(0, dtype=np.int64)
    while keys.size < m:
        draw = int((m - keys.size) * 1.3) + 1000
        u = np.minimum(np.searchsorted(cumulative, rng.random(draw) * cumulative[-1]), n - 1)
        c = community[u]
        lo, hi = before[start[c]], before[start[c + 1]]
        inside = np.searchsorted(cumulative, lo + rng.random(draw) * (hi - lo))
        anywhere = np.searchsorted(cumulative, rng.random(draw) * cumulative[-1])
        v = np.minimum(np.where(rng.random(draw) < 0.9, inside, anywhere), n - 1)
        keep = u != v
        a, b = np.minimum(u, v)[keep], np.maximum(u, v)[keep]
        keys = np.unique(np.concatenate([keys, a.astype(np.int64) * n + b]))
    keys = rng.permutation(keys)[:m]
    strength = rng.geometric(0.35, m).astype(np.float64)
    return keys // n, keys % n, strength


def connected_subgraph(
    n: int, src: np.ndarray, dst: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) of a connected ``size``-node induced subgraph, renumbered 0…size-1."""
    import igraph as ig

    g = ig.Graph(n=n, edges=list(zip(src.tolist(), dst.tolist(), strict=True)))
    first = g.induced_subgraph(range(min(n, int(size * 1.25))))
    giant = first.connected_components().giant()
    order = giant.bfs(0)[0][:size]  # a breadth-first prefix of a connected graph is connected
    sub = giant.induced_subgraph(order)
    ends = np.asarray(sub.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    return ends[:, 0], ends[:, 1]


# -- one step in a child process ---------------------------------------------------------


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(run: Callable[[], Any]) -> dict[str, Any]:
    gc.collect()
    resident = _status("VmRSS")
    reset = _reset_peak()
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    peak = _status("VmHWM")
    if not reset:  # no /proc: the process's lifetime peak, loading included
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak, "step_mb": max(0.0, peak - resident),
            "result": result}  # fmt: skip


def child(step: str, data: Path, k: int) -> dict[str, Any]:
    from harmwatch.intelligence.graph import centrality, paths, players
    from harmwatch.intelligence.graph.network import Network

    scope, name = step.split(":", 1)
    arrays = np.load(data / f"{scope}.npz")
    n, src, dst = int(arrays["n"]), arrays["src"], arrays["dst"]
    names = [str(i) for i in range(n)]
    rng = np.random.default_rng(SEED + 1)
    pairs = [(str(a), str(b)) for a, b in rng.integers(0, n, size=(20, 2))]
    extra: dict[str, Any] = {}

    if name.startswith("nx-"):
        import networkx as nx

        def build_nx() -> nx.Graph:
            graph = nx.Graph()
            graph.add_nodes_from(range(n))
            graph.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
            return graph

        if name == "nx-build":
            out = measure(build_nx)
            out["result"] = None
            return out
        graph = build_nx()
        int_pairs = [(int(a), int(b)) for a, b in pairs]
        runs: dict[str, Callable[[], Any]] = {
            "nx-degree": lambda: np.array([d for _, d in graph.degree()]),
            "nx-eigenvector": lambda: nx.eigenvector_centrality(graph, max_iter=1000),
            "nx-core": lambda: nx.core_number(graph),
            "nx-communities": lambda: nx.community.louvain_communities(graph, seed=SEED),
            "nx-path": lambda: [nx.shortest_path_length(graph, a, b) for a, b in int_pairs],
            "nx-betweenness": lambda: nx.betweenness_centrality(graph, k=k, seed=SEED),
            "nx-closeness": lambda: [
                nx.closeness_centrality(graph, u=int(u))
                for u in rng.choice(n, size=200, replace=False)
            ],
        }
        out = measure(runs[name])
        value = out.pop("result")
        if name == "nx-eigenvector":
            # Timed as users run it; compared at a tolerance that shows the agreement
            # (networkx stops when the L1 change is under n·1e-6, ~1e-4 a node here).
            tight = nx.eigenvector_centrality(graph, max_iter=10_000, tol=1e-12)
            extra["values"] = [tight[i] for i in range(n)]
        elif name in ("nx-betweenness", "nx-core"):
            extra["values"] = [value[i] for i in range(n)]
        elif name == "nx-degree":
            extra["values"] = value.tolist()
        elif name == "nx-path":
            extra["values"] = value
        elif name == "nx-closeness":
            out["seconds_measured"] = out["seconds"]
            out["seconds"] *= n / 200  # scaled to every node; said so in the table
        out.update(extra)
        return out

    def build() -> Network:
        return Network.from_arrays(names, src, dst, arrays["strength"])

    if name == "build":
        out = measure(build)
        out["result"] = None
        return out
    network = build()
    runs = {
        "degree": lambda: centrality.degree(network),
        "eigenvector": lambda: centrality.eigenvector(network),
        "core": lambda: centrality.core_number(network),
        "communities": lambda: players.communities(network, seed=SEED),
        "path": lambda: [paths.shortest_path(network, a, b) for a, b in pairs],
        "betweenness-exact": lambda: centrality.betweenness(network),
        "closeness-exact": lambda: centrality.closeness(network),
        "betweenness-sampled": lambda: centrality.betweenness(network, sources=k, seed=SEED),
        "closeness-sampled": lambda: centrality.closeness(network, sources=k, seed=SEED),
    }
    out = measure(runs[name])
    value = out.pop("result")
    if isinstance(value, np.ndarray):
        extra["values"] = value.tolist()
    elif name == "communities":
        extra["communities"] = len(value.groups)
        extra["modularity"] = value.modularity
    elif name == "path":
        extra["values"] = [None if p is None else p.hops for p in value]
    out.update(extra)
    return out


def run_child(step: str, data: Path, k: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", step, "--data", str(data), "--k", str(k)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the report --------------------------------------------------------------------------


def errors(estimate: list[float], exact: list[float]) -> tuple[float, float, float]:
    from scipy.stats import spearmanr

    a, b = np.asarray(estimate), np.asarray(exact)
    rho = float(spearmanr(a, b).statistic)
    return float(np.abs(a - b).mean()), float(np.abs(a - b).max()), rho


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 entities, 250,000 links")
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    parser.add_argument("--k", type=int, default=None, help="sampled sources (default 200)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        out = child(args.child, args.data, args.k)
        sys.stdout.write(json.dumps(out) + "\n")
        return

    n, m, sub_n = (50_000, 250_000, 5_000) if args.quick else (200_000, 1_000_000, 20_000)
    k = args.k or (100 if args.quick else 200)
    started = time.perf_counter()
    src, dst, strength = generate(n, m)
    sub_src, sub_dst = connected_subgraph(n, src, dst, sub_n)
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="bench-link-") as folder:
        data = Path(folder)
        np.savez(data / "full.npz", n=n, src=src, dst=dst, strength=strength)
        np.savez(data / "sub.npz", n=sub_n, src=sub_src, dst=sub_dst,
                 strength=np.ones(sub_src.size))  # fmt: skip
        full_steps = ["build", "degree", "eigenvector", "core", "communities", "path",
                      "betweenness-sampled", "closeness-sampled"]  # fmt: skip
        full = {s: run_child(f"full:{s}", data, k) for s in full_steps}
        sub_steps = [*full_steps, "betweenness-exact", "closeness-exact"]
        sub = {s: run_child(f"sub:{s}", data, k) for s in sub_steps}
        baseline_steps = ["build", "degree", "eigenvector", "core", "communities", "path",
                          "betweenness", "closeness"]  # fmt: skip
        nx_runs = {s: run_child(f"sub:nx-{s}", data, k) for s in baseline_steps}
    total = time.perf_counter() - started

    def fmt_s(seconds: float) -> str:
        return f"{seconds:.3f}" if seconds < 100 else f"{seconds:,.0f}"

    print(
        f"graph: {n:,} entities, {m:,} links (generated in {generated:.1f} s, seed {SEED}); "
        f"{full['communities']['communities']:,} communities found, modularity "
        f"{full['communities']['modularity']:.3f}; k = {k} sampled sources"
    )
    print(f"python {platform.python_version()}, numpy {np.__version__}, whole run {total:.0f} s")
    print()
    print(f"Whole graph ({n:,} / {m:,}), harmwatch on igraph")
    print(f"{'step':<44} {'seconds':>9} {'peak MB':>9} {'+MB':>8}")
    labels = {
        "build": "build network (collapse ties, from arrays)",
        "degree": "degree",
        "eigenvector": "eigenvector (per component)",
        "core": "core numbers",
        "communities": "communities (Leiden, seeded)",
        "path": "shortest path, 20 seeded pairs (total)",
        "betweenness-sampled": f"betweenness, k={k} sampled",
        "closeness-sampled": f"closeness, k={k} sampled",
        "betweenness-exact": "betweenness, exact",
        "closeness-exact": "closeness, exact",
    }
    for step in full_steps:
        r = full[step]
        print(f"{labels[step]:<44} {fmt_s(r['seconds']):>9} {r['peak_mb']:>9.0f} "
              f"{r['step_mb']:>8.0f}")  # fmt: skip

    print()
    print(f"{sub_n:,}-entity connected subgraph ({sub_src.size:,} links), same run")
    print(f"{'step':<44} {'ours s':>9} {'nx s':>9} {'nx/ours':>8} {'ours MB':>8} {'nx MB':>8}"
          f"  max |ours - nx|")  # fmt: skip
    pairs = [("build", "build"), ("degree", "degree"), ("eigenvector", "eigenvector"),
             ("core", "core"), ("communities", "communities"), ("path", "path"),
             ("betweenness-sampled", "betweenness"), ("closeness-sampled", "closeness")]  # fmt: skip
    results: dict[str, Any] = {"full": full, "sub": sub, "networkx": nx_runs}
    for ours_step, nx_step in pairs:
        ours, theirs = sub[ours_step], nx_runs[nx_step]
        diff = ""
        if ours_step in ("degree", "eigenvector", "core", "path"):
            a, b = ours["values"], theirs["values"]
            diff = f"{max(abs(x - y) for x, y in zip(a, b, strict=True)):.1e}"
        label = labels[ours_step]
        if nx_step == "betweenness":
            label += f" (nx: k={k} too)"
        if nx_step == "closeness":
            label += " (nx: exact, ×n/200)"
        if nx_step == "communities":
            label = "communities (ours Leiden; nx Louvain)"
        print(f"{label:<44} {fmt_s(ours['seconds']):>9} {fmt_s(theirs['seconds']):>9} "
              f"{theirs['seconds'] / ours['seconds']:>8.1f} {ours['peak_mb']:>8.0f} "
              f"{theirs['peak_mb']:>8.0f}  {diff}")  # fmt: skip

    print()
    print(f"Sampled estimates on the {sub_n:,}-entity subgraph against exact (igraph)")
    print(f"{'measure':<28} {'k':>5} {'seconds':>9} {'exact s':>9} {'mean |err|':>11} "
          f"{'max |err|':>10} {'Spearman':>9} {'mean exact':>11}")  # fmt: skip
    accuracy: dict[str, Any] = {}
    for measure in ("betweenness", "closeness"):
        exact = sub[f"{measure}-exact"]
        estimate = sub[f"{measure}-sampled"]
        mean_err, max_err, rho = errors(estimate["values"], exact["values"])
        accuracy[measure] = {"mean_abs_error": mean_err, "max_abs_error": max_err,
                             "spearman": rho}  # fmt: skip
        print(f"{'ours, ' + measure:<28} {k:>5} {fmt_s(estimate['seconds']):>9} "
              f"{fmt_s(exact['seconds']):>9} {mean_err:>11.2e} {max_err:>10.2e} {rho:>9.4f} "
              f"{np.mean(exact['values']):>11.2e}")  # fmt: skip
    nx_mean, nx_max, nx_rho = errors(nx_runs["betweenness"]["values"],
                                     sub["betweenness-exact"]["values"])  # fmt: skip
    accuracy["networkx_betweenness"] = {"mean_abs_error": nx_mean, "max_abs_error": nx_max,
                                        "spearman": nx_rho}  # fmt: skip
    print(f"{'networkx, betweenness':<28} {k:>5} {fmt_s(nx_runs['betweenness']['seconds']):>9} "
          f"{'':>9} {nx_mean:>11.2e} {nx_max:>10.2e} {nx_rho:>9.4f}")  # fmt: skip

    if args.json:
        for group in results.values():
            for r in group.values():
                r.pop("values", None)
        print(json.dumps({"benchmark": "link_analysis", "entities": n, "links": m,
                          "subgraph": sub_n, "k": k, "seconds_total": total,
                          "results": results, "accuracy": accuracy}))  # fmt: skip


if __name__ == "__main__":
    main()
