"""One benchmark run in its own process: one tool, one network, one JSON line out.

``python -m bench.runner --tool scipy --network bench/work/grid_1000000_fx1.npz [--save-ref F]
[--ref F]`` prints ``{"tool", "network", "n_nodes", "n_sources", "build_s", "query_s",
"query_cpu_s", "compile_s", "load_1min", "base_rss_mb", "pre_query_rss_mb", "peak_rss_mb",
"max_abs_diff_m", "flipped_cells"}``.

The query is the audit's: for every node, the distance to the nearest facility of each of 15
kinds, capped at 1,000 m. Every tool runs with offsets 0 (scipy and the graph libraries have no
per-source offsets). Tools that cannot stop at a cutoff (networkit, igraph) search the whole
network from a super-source per kind (directed zero-length edges to that kind's facilities) and
the cap is applied afterwards; that is what a user of those libraries would write.

``peak_rss_mb`` is the process's peak resident memory (``ru_maxrss``) read right after the query,
before any comparison with the reference; ``base_rss_mb`` is the resident memory before the tool
builds anything (interpreter, imports, the network's arrays), ``pre_query_rss_mb`` right before
the query (after the tool's own graph building and, for wanzheng, loading the compiled kernels).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.networks import CUTOFF_M, N_KINDS, Network


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _sources(net: Network, k: int) -> np.ndarray:
    return np.unique(net.source_node[net.source_kind == k])


def _cap(d: np.ndarray) -> np.ndarray:
    d = np.array(d, dtype=np.float64)
    d[~(d <= CUTOFF_M)] = np.inf
    return d


def _undirected_edges(net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u = np.repeat(np.arange(net.n_nodes, dtype=np.int64), np.diff(net.indptr))
    keep = u < net.indices
    return u[keep], net.indices[keep].astype(np.int64), net.weight_m[keep]


Query = Callable[[], np.ndarray]


def prepare_wanzheng(net: Network) -> tuple[Query, float]:
    from wanzheng.network.engine import nearest_by_kind

    t0 = time.perf_counter()
    nearest_by_kind([0, 1, 2], [1, 0], [1.0, 1.0], [0], [0], [0.0], n_kinds=1, cutoff_m=5.0)
    compile_s = time.perf_counter() - t0
    zero = np.zeros(net.source_node.shape[0])

    def query() -> np.ndarray:
        d, _ = nearest_by_kind(
            net.indptr, net.indices, net.weight_m, net.source_node, net.source_kind, zero,
            n_kinds=N_KINDS, cutoff_m=CUTOFF_M,
        )  # fmt: skip
        return d

    return query, compile_s


def prepare_scipy(net: Network) -> Query:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    graph = sp.csr_matrix((net.weight_m, net.indices, net.indptr), shape=(net.n_nodes,) * 2)

    def query() -> np.ndarray:
        out = np.full((N_KINDS, net.n_nodes), np.inf)
        for k in range(N_KINDS):
            nodes = _sources(net, k)
            if nodes.shape[0]:
                out[k] = dijkstra(graph, indices=nodes, min_only=True, limit=CUTOFF_M)
        return out

    return query


def prepare_networkit(net: Network) -> Query:
    import networkit as nk

    nk.setNumberOfThreads(2)
    n = net.n_nodes
    row = np.repeat(np.arange(n, dtype=np.int64), np.diff(net.indptr))
    col = net.indices.astype(np.int64)
    w = net.weight_m
    # one super-source per kind, directed zero-length edges to that kind's facilities
    sup_r = [np.full(_sources(net, k).shape[0], n + k, dtype=np.int64) for k in range(N_KINDS)]
    sup_c = [_sources(net, k).astype(np.int64) for k in range(N_KINDS)]
    rows = np.concatenate([row, *sup_r])
    cols = np.concatenate([col, *sup_c])
    data = np.concatenate([w, np.zeros(rows.shape[0] - row.shape[0])])
    graph = nk.GraphFromCoo((data, (rows, cols)), n=n + N_KINDS, weighted=True, directed=True)

    def query() -> np.ndarray:
        out = np.full((N_KINDS, n), np.inf)
        for k in range(N_KINDS):
            if sup_c[k].shape[0] == 0:
                continue
            run = nk.distance.Dijkstra(graph, n + k, storePaths=False)
            run.run()
            out[k] = _cap(np.asarray(run.getDistances(), dtype=np.float64)[:n])
        return out

    return query


def prepare_igraph(net: Network) -> Query:
    import igraph as ig

    n = net.n_nodes
    row = np.repeat(np.arange(n, dtype=np.int64), np.diff(net.indptr))
    sup_c = [_sources(net, k) for k in range(N_KINDS)]
    edges = np.concatenate(
        [
            np.column_stack([row, net.indices]),
            *[np.column_stack([np.full(c.shape[0], n + k), c]) for k, c in enumerate(sup_c)],
        ]
    )
    weights = np.concatenate([net.weight_m, np.zeros(edges.shape[0] - row.shape[0])])
    graph = ig.Graph(n=n + N_KINDS, edges=edges, directed=True)
    graph.es["weight"] = weights

    def query() -> np.ndarray:
        out = np.full((N_KINDS, n), np.inf)
        for k in range(N_KINDS):
            if sup_c[k].shape[0] == 0:
                continue
            d = graph.distances(source=[n + k], weights="weight", mode="out")[0]
            out[k] = _cap(np.asarray(d, dtype=np.float64)[:n])
        return out

    return query


def prepare_networkx(net: Network) -> Query:
    import networkx as nx

    u, v, w = _undirected_edges(net)
    graph = nx.Graph()
    graph.add_nodes_from(range(net.n_nodes))
    graph.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))

    def query() -> np.ndarray:
        out = np.full((N_KINDS, net.n_nodes), np.inf)
        for k in range(N_KINDS):
            nodes = _sources(net, k)
            if nodes.shape[0] == 0:
                continue
            d = nx.multi_source_dijkstra_path_length(graph, set(nodes.tolist()), cutoff=CUTOFF_M)
            idx = np.fromiter(d.keys(), dtype=np.int64, count=len(d))
            out[k, idx] = np.fromiter(d.values(), dtype=np.float64, count=len(d))
        return out

    return query


def prepare_pandana(net: Network) -> Query:
    import pandana
    import pandas as pd

    u, v, w = _undirected_edges(net)
    nodes = pd.RangeIndex(net.n_nodes)
    network = pandana.Network(
        pd.Series(net.x, index=nodes),
        pd.Series(net.y, index=nodes),
        pd.Series(u),
        pd.Series(v),
        pd.DataFrame({"w": w}),
        twoway=True,
    )
    network.precompute(CUTOFF_M)
    for k in range(N_KINDS):
        s = _sources(net, k)
        if s.shape[0]:
            network.set_pois(
                category=f"k{k}", maxdist=CUTOFF_M, maxitems=1,
                x_col=pd.Series(net.x[s]), y_col=pd.Series(net.y[s]),
            )  # fmt: skip

    def query() -> np.ndarray:
        out = np.full((N_KINDS, net.n_nodes), np.inf)
        for k in range(N_KINDS):
            if _sources(net, k).shape[0] == 0:
                continue
            res = network.nearest_pois(CUTOFF_M, f"k{k}", num_pois=1, max_distance=np.inf)
            out[k] = _cap(res[1].to_numpy(dtype=np.float64))
        return out

    return query


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--network", type=Path, required=True)
    parser.add_argument("--save-ref", type=Path)
    parser.add_argument("--ref", type=Path)
    args = parser.parse_args()

    net = Network.load(args.network, coords=args.tool == "pandana")
    base = _rss_mb()
    compile_s = 0.0
    t0 = time.perf_counter()
    if args.tool == "wanzheng":
        query, compile_s = prepare_wanzheng(net)
        build_s = 0.0
    else:
        query = {
            "scipy": prepare_scipy,
            "networkit": prepare_networkit,
            "igraph": prepare_igraph,
            "networkx": prepare_networkx,
            "pandana": prepare_pandana,
        }[args.tool](net)
        build_s = time.perf_counter() - t0
    pre_query = _rss_mb()
    t0 = time.perf_counter()
    c0 = time.process_time()
    dist = query()
    query_s = time.perf_counter() - t0
    query_cpu_s = time.process_time() - c0
    peak = _peak_mb()

    diff: float | None = None
    flipped: int | None = None
    if args.save_ref:
        np.save(args.save_ref, dist)
    if args.ref and args.ref.exists():
        ref = np.load(args.ref, mmap_mode="r")
        diff, flipped = 0.0, 0
        for k in range(N_KINDS):
            a, b = np.asarray(ref[k]), dist[k]
            fa, fb = np.isfinite(a), np.isfinite(b)
            flipped += int((fa != fb).sum())
            both = fa & fb
            if both.any():
                diff = max(diff, float(np.abs(a[both] - b[both]).max()))
    print(
        json.dumps(
            {
                "tool": args.tool,
                "network": net.name,
                "n_nodes": net.n_nodes,
                "n_sources": int(net.source_node.shape[0]),
                "build_s": build_s,
                "query_s": query_s,
                "query_cpu_s": query_cpu_s,
                "load_1min": os.getloadavg()[0],
                "compile_s": compile_s,
                "base_rss_mb": base,
                "pre_query_rss_mb": pre_query,
                "peak_rss_mb": peak,
                "max_abs_diff_m": diff,
                "flipped_cells": flipped,
            }
        )
    )


if __name__ == "__main__":
    main()
