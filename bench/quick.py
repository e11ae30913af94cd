"""``make bench-quick``: the 1M-node grid, wanzheng's engine against scipy, side by side.

Both answer the same query in the same process: for every node, the distance to the nearest
facility of each of 15 kinds, capped at 1,000 m. scipy's multi-source Dijkstra has no per-source
offsets, so both run with offsets 0 (like with like). Runs alternate (scipy, engine, scipy, …);
the medians of wall-clock time are compared (CPU seconds are printed too: on a busy shared
machine they show the work done, independent of waiting for a core). The last line printed is
exactly::

    speedup_vs_scipy=<ratio> nodes=<n> kinds=15 max_abs_diff_m=<d>
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from bench.networks import CUTOFF_M, N_KINDS, Network, grid


def run_scipy(net: Network) -> np.ndarray:
    """Per kind: ``dijkstra(graph, indices=sources, min_only=True, limit=1000)``."""
    graph = sp.csr_matrix((net.weight_m, net.indices, net.indptr), shape=(net.n_nodes,) * 2)
    out = np.full((N_KINDS, net.n_nodes), np.inf)
    for k in range(N_KINDS):
        nodes = np.unique(net.source_node[net.source_kind == k])
        if nodes.shape[0]:
            out[k] = dijkstra(graph, indices=nodes, min_only=True, limit=CUTOFF_M)
    return out


def run_engine(net: Network) -> np.ndarray:
    from wanzheng.network.engine import nearest_by_kind

    distance, _ = nearest_by_kind(
        net.indptr,
        net.indices,
        net.weight_m,
        net.source_node,
        net.source_kind,
        np.zeros(net.source_node.shape[0]),
        n_kinds=N_KINDS,
        cutoff_m=CUTOFF_M,
    )
    return distance


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference in metres; ``inf`` when a cell is finite in one and not the other."""
    fa, fb = np.isfinite(a), np.isfinite(b)
    if (fa != fb).any():
        return float("inf")
    return float(np.abs(a[fa] - b[fb]).max()) if fa.any() else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    net = grid(args.nodes)
    print(f"grid: {net.n_nodes} nodes, {net.n_edges} edges, {net.source_node.shape[0]} facilities")
    print(f"  built in {time.perf_counter() - t0:.1f} s")

    # First call: imports the engine and its compiled core (built with the package).
    from wanzheng.network.engine import nearest_by_kind

    t0 = time.perf_counter()
    nearest_by_kind([0, 1, 2], [1, 0], [1.0, 1.0], [0], [0], [0.0], n_kinds=1, cutoff_m=5.0)
    print(f"engine import and first call: {time.perf_counter() - t0:.2f} s")

    t_scipy: list[float] = []
    t_engine: list[float] = []
    c_scipy: list[float] = []
    c_engine: list[float] = []
    ref = res = np.empty(0)
    for i in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        ref = run_scipy(net)
        t_scipy.append(time.perf_counter() - t0)
        c_scipy.append(time.process_time() - c0)
        t0, c0 = time.perf_counter(), time.process_time()
        res = run_engine(net)
        t_engine.append(time.perf_counter() - t0)
        c_engine.append(time.process_time() - c0)
        print(
            f"run {i + 1}: scipy {t_scipy[-1]:.2f} s ({c_scipy[-1]:.2f} s CPU), "
            f"wanzheng {t_engine[-1]:.2f} s ({c_engine[-1]:.2f} s CPU, both cores), "
            f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
    diff = max_abs_diff(ref, res)
    reached = float(np.isfinite(ref).mean())
    print(f"cells within {CUTOFF_M:g} m: {reached:.1%}; identical cells: {(ref == res).mean():.4%}")
    cpu_ratio = statistics.median(c_scipy) / statistics.median(c_engine)
    print(f"CPU seconds, scipy ÷ wanzheng: {cpu_ratio:.2f} (wall-clock ratio below)")
    ratio = statistics.median(t_scipy) / statistics.median(t_engine)
    print(
        f"speedup_vs_scipy={ratio:.2f} nodes={net.n_nodes} kinds={N_KINDS} max_abs_diff_m={diff:g}"
    )


if __name__ == "__main__":
    main()
