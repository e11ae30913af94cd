"""The fast core of the audit: distance to the nearest facility of every kind, for every node.

One array-in / array-out function, :func:`nearest_by_kind`. Node ids are plain indices into the
CSR arrays; translating OSM ids or facility ids happens in the layers above.

How it works
------------
Each kind is one multi-source shortest-path search that stops at the cutoff. The searches of
different kinds are independent; they run on a pool of threads over compiled kernels that release
the GIL (``_engine_core``, Cython, built with the package), each thread reusing its own scratch
arrays, and write straight into their row of the output. A search uses a bucket queue over float64
distances (see ``_engine_core.pyx``) whose result
is *exactly* the float64 shortest-path distance a binary-heap Dijkstra (e.g. scipy's) computes:
both are the minimum over paths of the left-to-right float64 sum of offset and edge lengths.

The kernels are machine code from the package's build (no JIT): nothing is compiled or loaded at
the first call, and the engine adds about 1 MB to a process besides its answer.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from wanzheng.errors import DataError
from wanzheng.network import _engine_core as _k

__all__ = ["nearest_by_kind", "pairs_within"]

#: At most this many buckets per search; a finer bucket width buys nothing measurable.
_MAX_BUCKETS = 1 << 16
#: First size of a worker's bucket-entry pool: the larger of these many entries and
#: n_nodes / _POOL_DIVISOR (the pool doubles when a search needs more).
_POOL_MIN = 1 << 14
_POOL_DIVISOR = 4
#: Below this many nodes the default is one thread.
_SMALL_NODES = 50_000
#: Searches whose cutoff would need more buckets than this at the chosen width use the heap.
_HEAP_FALLBACK_BUCKETS = 1 << 22


def nearest_by_kind(
    indptr: npt.ArrayLike,
    indices: npt.ArrayLike,
    weight_m: npt.ArrayLike,
    source_node: npt.ArrayLike,
    source_kind: npt.ArrayLike,
    source_offset_m: npt.ArrayLike,
    *,
    n_kinds: int,
    cutoff_m: float,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Walking distance from every node to the nearest source of each kind, within a cutoff.

    Parameters
    ----------
    indptr, indices, weight_m
        The undirected walking graph in CSR form with both directions present: the edges leaving
        node ``v`` are ``indices[indptr[v]:indptr[v + 1]]`` with lengths ``weight_m[...]`` in
        metres (finite or ``inf``, ``>= 0``; zero-length edges are fine).
    source_node
        Node index of every source (facility), ``0 <= source_node < n_nodes``. Several sources may
        share a node.
    source_kind
        Kind of every source, ``0 <= source_kind < n_kinds``.
    source_offset_m
        Length in metres of every source's off-network leg (``>= 0``); it counts toward the cutoff.
    n_kinds
        Number of kinds (rows of the output). Kinds without sources give rows of ``inf`` / ``-1``.
    cutoff_m
        Largest distance reported, in metres, inclusive (``inf`` for no limit).
    threads
        Worker threads (default: the CPUs this process may use, one below 50,000 nodes); kinds
        are spread over them.

    Returns
    -------
    distance_m : numpy.ndarray
        float64 ``[n_kinds, n_nodes]``: ``min`` over the kind's sources ``s`` of
        ``source_offset_m[s] + shortest_path_m(source_node[s], node)`` where that is
        ``<= cutoff_m``, else ``inf``.
    source : numpy.ndarray
        int32 ``[n_kinds, n_nodes]``: index (into the source arrays) of a nearest source, ``-1``
        where ``distance_m`` is ``inf``. Between sources at equal distance, any one may be given.

    Raises
    ------
    DataError
        When the arrays disagree in length, an index is out of range, or a length is negative or
        NaN; ``ValueError`` is its base class.
    """
    ip, ix, w, n_nodes = _check_graph(indptr, indices, weight_m)
    sn, sk, so = _check_sources(source_node, source_kind, source_offset_m, n_nodes, n_kinds)
    cut = _check_cutoff(cutoff_m)
    n_threads = _check_threads(threads)

    if n_nodes == 0 or sn.shape[0] == 0:
        return (
            np.full((n_kinds, n_nodes), np.inf, dtype=np.float64),
            np.full((n_kinds, n_nodes), -1, dtype=np.int32),
        )
    distance = np.empty((n_kinds, n_nodes), dtype=np.float64)
    source = np.empty((n_kinds, n_nodes), dtype=np.int32)

    order = np.argsort(sk, kind="stable").astype(np.int32)
    bounds = np.searchsorted(sk[order], np.arange(n_kinds + 1)).astype(np.int64)

    delta_m, n_buckets = _bucket_width(w, cut)
    # hand out the kinds with most sources first (a proxy for work), so that no thread is
    # left with a long search at the end while the other idles
    by_work = np.argsort(-np.diff(bounds), kind="stable")
    # unsigned node indices spare the kernels numpy's negative-index wraparound test (~15 %)
    ixu = ix.view(np.uint32)

    def run_kinds(next_kind: _Counter) -> None:
        # per-worker scratch, reused across kinds: bucket heads and the entry pool, which
        # starts at 1/16 of the nodes (1 MB per 1M nodes) and doubles when a search needs more
        head = np.full(max(n_buckets, 1), -1, dtype=np.int32)
        pool = _pool(max(_POOL_MIN, n_nodes // _POOL_DIVISOR))
        while (i := next_kind.take()) < n_kinds:
            k = int(by_work[i])
            dist, src = distance[k], source[k]
            # first touch of the output rows happens here, spread over the workers
            dist.fill(np.inf)
            src.fill(-1)
            if bounds[k + 1] == bounds[k]:
                continue
            _k.seed_kind(dist, src, order, bounds[k], bounds[k + 1], sn, so, cut)
            seeds = np.unique(sn[order[bounds[k] : bounds[k + 1]]])
            seeds = seeds[dist[seeds] <= cut].view(np.uint32)
            if seeds.shape[0] == 0:
                continue
            if n_buckets == 0:
                _k.heap_search(ip, ixu, w, dist, src, seeds, cut)
                continue
            while not _k.bucket_search(ip, ixu, w, dist, src, seeds, cut, delta_m, head, *pool):
                # the pool was too small: start this kind again with twice the room
                pool = _pool(2 * max(pool[0].shape[0], seeds.shape[0]))
                head.fill(-1)
                dist.fill(np.inf)
                src.fill(-1)
                _k.seed_kind(dist, src, order, bounds[k], bounds[k + 1], sn, so, cut)

    counter = _Counter()
    n_workers = min(n_threads, n_kinds)
    if threads is None and n_nodes < _SMALL_NODES:
        n_workers = 1  # starting threads costs more than it saves on a small network
    if n_workers <= 1:
        run_kinds(counter)
    else:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            futures = [pool.submit(run_kinds, counter) for _ in range(n_workers)]
            for future in futures:
                future.result()
    return distance, source


def pairs_within(
    indptr: npt.ArrayLike,
    indices: npt.ArrayLike,
    weight_m: npt.ArrayLike,
    source_node: npt.ArrayLike,
    source_offset_m: npt.ArrayLike,
    target_node: npt.ArrayLike,
    target_offset_m: npt.ArrayLike,
    *,
    cutoff_m: float,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (source, target) pair whose walking distance is within a cutoff, sparse.

    The distance of a pair is ``source_offset_m[s] + shortest_path_m(source_node[s],
    target_node[t]) + target_offset_m[t]`` (off-network legs at both ends). One bounded
    Dijkstra runs from every source (a compiled kernel that releases the GIL; sources are
    spread over threads), so the work grows with the sources and the network within the
    cutoff of each, never with sources × targets. Siting uses it for candidate sites ×
    demand points.

    Parameters
    ----------
    indptr, indices, weight_m
        The undirected walking graph in CSR form, as for :func:`nearest_by_kind`.
    source_node, source_offset_m
        Node index and off-network leg (m, ``>= 0``) of every source.
    target_node, target_offset_m
        Node index and off-network leg (m, ``>= 0``) of every target; several targets may
        share a node.
    cutoff_m
        Largest distance kept, in metres, inclusive (finite).
    threads
        Worker threads (default: the CPUs this process may use, one below 50,000 nodes).

    Returns
    -------
    source, target : numpy.ndarray
        int32 ``[k]`` indices into the source and target arrays, sorted by source, then
        target.
    distance_m : numpy.ndarray
        float64 ``[k]`` the pair's walking distance, ``<= cutoff_m``. Pairs beyond the cutoff
        are absent.

    Raises
    ------
    DataError
        As :func:`nearest_by_kind` for the graph; a node index out of range, a negative or NaN
        leg, a non-finite or negative cutoff.
    """
    ip, ix, w, n_nodes = _check_graph(indptr, indices, weight_m)
    sn, _, so = _check_sources(
        source_node, np.zeros(np.asarray(source_node).shape, np.int64), source_offset_m,
        n_nodes, 1,
    )  # fmt: skip
    tn, _, to = _check_sources(
        target_node, np.zeros(np.asarray(target_node).shape, np.int64), target_offset_m,
        n_nodes, 1,
    )  # fmt: skip
    cut = _check_cutoff(cutoff_m)
    if not math.isfinite(cut):
        raise DataError(f"cutoff_m: expected a finite distance, got {cutoff_m!r}")
    n_threads = _check_threads(threads)
    empty = (np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, np.float64))
    if n_nodes == 0 or sn.shape[0] == 0 or tn.shape[0] == 0:
        return empty
    # targets by node: the search labels distinct nodes (slots); legs are added afterwards
    nodes, slot_of_target = np.unique(tn, return_inverse=True)
    target_slot = np.full(n_nodes, -1, dtype=np.int32)
    target_slot[nodes] = np.arange(nodes.shape[0], dtype=np.int32)
    search_cut = cut - float(to.min())
    ixu = ix.view(np.uint32)

    def run(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dist = np.full(n_nodes, np.inf)
        return _k.pairs_within(ip, ixu, w, sn, so, lo, hi, target_slot, search_cut, dist)

    n_src = sn.shape[0]
    n_workers = max(1, min(n_threads, n_src))
    if threads is None and n_nodes < _SMALL_NODES:
        n_workers = 1
    if n_workers == 1:
        parts = [run(0, n_src)]
    else:
        cuts = np.linspace(0, n_src, 4 * n_workers + 1).astype(int)
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            parts = list(pool.map(lambda b: run(int(b[0]), int(b[1])), itertools.pairwise(cuts)))
    s_idx = np.concatenate([p[0] for p in parts])
    slot = np.concatenate([p[1] for p in parts])
    d_node = np.concatenate([p[2] for p in parts])
    if s_idx.shape[0] == 0:
        return empty
    # expand slots to the targets on each node: targets grouped by slot (CSR)
    by_slot = np.argsort(slot_of_target, kind="stable").astype(np.int32)
    start = np.zeros(nodes.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(slot_of_target, minlength=nodes.shape[0]), out=start[1:])
    count = start[slot + 1] - start[slot]
    rep = np.repeat(np.arange(s_idx.shape[0]), count)
    within = np.arange(rep.shape[0]) - np.repeat(np.cumsum(count) - count, count)
    t_idx = by_slot[start[slot[rep]] + within]
    dist = d_node[rep] + to[t_idx]
    keep = dist <= cut
    s_out, t_out, d_out = s_idx[rep][keep], t_idx[keep], dist[keep]
    order = np.lexsort((t_out, s_out))
    return (
        s_out[order].astype(np.int32),
        t_out[order].astype(np.int32),
        d_out[order].astype(np.float64),
    )


def _pool(capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """Entry pool of the bucket queue: node (uint32) and next entry (int32)."""
    return np.empty(capacity, dtype=np.uint32), np.empty(capacity, dtype=np.int32)


class _Counter:
    """A thread-safe counter handing out kind numbers to the workers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0

    def take(self) -> int:
        with self._lock:
            value = self._next
            self._next += 1
            return value


def _bucket_width(weight_m: np.ndarray, cutoff_m: float) -> tuple[float, int]:
    """Bucket width (m) and bucket count for a search; ``(0.0, 0)`` means use the heap.

    With a width no larger than the shortest positive edge a node is scanned once (only a
    zero-length edge, or one shorter than the width, can improve a node inside its own bucket);
    a width that is too fine only costs empty buckets, which are cheap (``_MAX_BUCKETS`` at
    most, a millisecond per kind). So: the shortest positive length, but no finer than
    ``cutoff_m / _MAX_BUCKETS``.
    """
    if not math.isfinite(cutoff_m):
        return 0.0, 0
    if cutoff_m == 0.0:
        return 1.0, 1
    shortest = cutoff_m
    for lo in range(0, weight_m.shape[0], 1 << 20):  # in chunks: no network-sized temporaries
        chunk = weight_m[lo : lo + (1 << 20)]
        positive = chunk[chunk > 0]
        if positive.shape[0]:
            shortest = min(shortest, float(positive.min()))
    delta_m = max(shortest, cutoff_m / _MAX_BUCKETS)
    if not math.isfinite(1.0 / delta_m):  # a subnormal cutoff: nothing to gain from buckets
        return 0.0, 0
    n_buckets = int(cutoff_m / delta_m) + 1
    if n_buckets > _HEAP_FALLBACK_BUCKETS:
        return 0.0, 0
    return delta_m, n_buckets


def _check_graph(
    indptr: npt.ArrayLike, indices: npt.ArrayLike, weight_m: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    ip = np.asarray(indptr)
    ix = np.asarray(indices)
    w = np.asarray(weight_m)
    for name, arr in (("indptr", ip), ("indices", ix), ("weight_m", w)):
        if arr.ndim != 1:
            raise DataError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    for name, arr in (("indptr", ip), ("indices", ix)):
        if arr.shape[0] and not np.issubdtype(arr.dtype, np.integer):
            raise DataError(f"{name}: expected integers, got dtype {arr.dtype}")
    if w.shape[0] and not np.issubdtype(w.dtype, np.number):
        raise DataError(f"weight_m: expected numbers, got dtype {w.dtype}")
    if ip.shape[0] == 0:
        raise DataError("indptr: expected n_nodes + 1 entries, got an empty array")
    n_nodes = ip.shape[0] - 1
    n_edges = ix.shape[0]
    if w.shape[0] != n_edges:
        raise DataError(
            f"weight_m: expected one length per entry of indices ({n_edges}), got {w.shape[0]}"
        )
    if n_nodes >= 2**31 - 1 or n_edges >= 2**62:
        raise DataError(f"indptr: {n_nodes} nodes is more than the engine handles (2**31 - 2)")
    ip = ip.astype(np.int64, copy=False)
    if ip[0] != 0 or ip[-1] != n_edges:
        raise DataError(
            f"indptr: expected to start at 0 and end at len(indices) = {n_edges}, "
            f"got {int(ip[0])} … {int(ip[-1])}"
        )
    steps = np.diff(ip)
    if steps.shape[0] and steps.min() < 0:
        bad = int(np.argmax(steps < 0))
        raise DataError(f"indptr[{bad + 1}]: expected non-decreasing offsets, got a decrease")
    if n_edges:
        lo, hi = int(ix.min()), int(ix.max())
        if lo < 0 or hi >= n_nodes:
            bad = int(np.argmax((ix < 0) | (ix >= n_nodes)))
            raise DataError(
                f"indices[{bad}]: expected a node index in 0..{n_nodes - 1}, got {int(ix[bad])}"
            )
    ix = ix.astype(np.int32, copy=False)
    w = w.astype(np.float64, copy=False)
    if n_edges:
        bad_mask = np.isnan(w) | (w < 0)
        if bad_mask.any():
            bad = int(np.argmax(bad_mask))
            raise DataError(
                f"weight_m[{bad}]: expected an edge length >= 0 m, got {float(w[bad])!r}"
            )
    return (
        np.ascontiguousarray(ip),
        np.ascontiguousarray(ix),
        np.ascontiguousarray(w),
        n_nodes,
    )


def _check_sources(
    source_node: npt.ArrayLike,
    source_kind: npt.ArrayLike,
    source_offset_m: npt.ArrayLike,
    n_nodes: int,
    n_kinds: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(n_kinds, bool) or not isinstance(n_kinds, int | np.integer) or n_kinds < 1:
        raise DataError(f"n_kinds: expected an integer >= 1, got {n_kinds!r}")
    sn = np.asarray(source_node)
    sk = np.asarray(source_kind)
    so = np.asarray(source_offset_m)
    for name, arr in (("source_node", sn), ("source_kind", sk), ("source_offset_m", so)):
        if arr.ndim != 1:
            raise DataError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    n = sn.shape[0]
    if sk.shape[0] != n or so.shape[0] != n:
        raise DataError(
            "source_node, source_kind, source_offset_m: expected one entry per source each, "
            f"got lengths {n}, {sk.shape[0]}, {so.shape[0]}"
        )
    for name, arr in (("source_node", sn), ("source_kind", sk)):
        if n and not np.issubdtype(arr.dtype, np.integer):
            raise DataError(f"{name}: expected integers, got dtype {arr.dtype}")
    if n and not np.issubdtype(so.dtype, np.number):
        raise DataError(f"source_offset_m: expected numbers, got dtype {so.dtype}")
    if n:
        bad_mask = (sn < 0) | (sn >= n_nodes)
        if bad_mask.any():
            bad = int(np.argmax(bad_mask))
            raise DataError(
                f"source_node[{bad}]: expected a node index in 0..{n_nodes - 1}, got {int(sn[bad])}"
            )
        bad_mask = (sk < 0) | (sk >= n_kinds)
        if bad_mask.any():
            bad = int(np.argmax(bad_mask))
            raise DataError(
                f"source_kind[{bad}]: expected a kind in 0..{n_kinds - 1}, got {int(sk[bad])}"
            )
        bad_mask = np.isnan(so) | (so < 0)
        if bad_mask.any():
            bad = int(np.argmax(bad_mask))
            raise DataError(
                f"source_offset_m[{bad}]: expected an off-network leg >= 0 m, "
                f"got {float(so[bad])!r}"
            )
    return (
        np.ascontiguousarray(sn, dtype=np.int32),
        np.ascontiguousarray(sk, dtype=np.int64),
        np.ascontiguousarray(so, dtype=np.float64),
    )


def _check_cutoff(cutoff_m: float) -> float:
    try:
        cut = float(cutoff_m)
    except (TypeError, ValueError):
        raise DataError(f"cutoff_m: expected a distance in metres, got {cutoff_m!r}") from None
    if math.isnan(cut) or cut < 0:
        raise DataError(f"cutoff_m: expected a distance >= 0 m, got {cutoff_m!r}")
    return cut


def _check_threads(threads: int | None) -> int:
    if threads is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not Linux
            return max(1, os.cpu_count() or 1)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise DataError(f"threads: expected an integer >= 1 or None, got {threads!r}")
    return threads
