"""Compiled kernels of the nearest-facility engine (numba, ``nogil``: threads run them at once).

Two single-kind kernels share one contract: fill ``dist`` (float64 [n_nodes], all ``inf`` on entry)
and ``src`` (int32 [n_nodes], all ``-1`` on entry) with the distance to, and the index of, the
nearest source of one kind, for every node within ``cutoff_m``.

* :func:`bucket_search` — a bucket queue (Dial / delta-stepping) over float64 distances. Buckets are
  ``delta_m`` wide; inside a bucket nodes are scanned in any order and *re-scanned* whenever their
  distance improves, so the result is the fixpoint of exact float64 relaxation — the same numbers a
  binary-heap Dijkstra gives (both equal the minimum, over paths, of the left-to-right float64 sum,
  because rounded addition of a non-negative weight is monotone and never decreases a value).
  Memory follows the search front (a pool of bucket entries with a free list), not the network.
* :func:`heap_search` — a lazy binary-heap Dijkstra; used when the cutoff is infinite or would need
  too many buckets, and as an independent cross-check in the tests.

Both stop at the cutoff: a node is labelled only when its distance is ``<= cutoff_m``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def seed_kind(  # pragma: no cover - compiled
    dist: np.ndarray,
    src: np.ndarray,
    order: np.ndarray,
    lo: int,
    hi: int,
    source_node: np.ndarray,
    source_offset_m: np.ndarray,
    cutoff_m: float,
) -> None:
    """Label the source nodes of one kind (sources ``order[lo:hi]``) with their offsets."""
    for j in range(lo, hi):
        s = order[j]
        v = source_node[s]
        off = source_offset_m[s]
        if off <= cutoff_m and off < dist[v]:
            dist[v] = off
            src[v] = s


@njit(cache=True, nogil=True)
def bucket_search(  # pragma: no cover - compiled
    indptr: np.ndarray,
    indices: np.ndarray,
    weight_m: np.ndarray,
    dist: np.ndarray,
    src: np.ndarray,
    seeds: np.ndarray,
    cutoff_m: float,
    delta_m: float,
    head: np.ndarray,
    e_node: np.ndarray,
    e_next: np.ndarray,
) -> bool:
    """Bucket-queue search from the labelled ``seeds`` (node ids whose ``dist`` is set).

        Buckets are singly linked lists of node entries in one pool (``e_node``, ``e_next``, of one
        length); popped entries go back to a free list, so memory follows the search front, not the
        network. While a node waits to be scanned its ``src`` holds ``-2 - source`` (``-1`` stays
    "not reached"): a node
        improved again inside the bucket it already waits in needs no second entry, and an entry
        popped for a node that is not waiting (scanned since) is stale and skipped. Every waiting
        node is scanned at its label of that moment, so ``src`` is non-negative again on return.
        ``head`` (int32, one per bucket) must be ``-1`` on entry. Returns False, with ``dist`` /
        ``src`` half done, when the pool was too small: the caller resets them and calls again with
        a larger pool. (Growing the pool in here would cost a factor of three: numba then reloads
        every array on each access.)
    """
    inv = 1.0 / delta_m
    n_buckets = head.shape[0]
    last = n_buckets - 1
    cap = e_node.shape[0]
    if seeds.shape[0] > cap:
        return False
    used = 0  # entries ever taken from the pool
    free = -1  # head of the free list
    first = n_buckets
    for j in range(seeds.shape[0]):
        v = seeds[j]
        x = dist[v] * inv
        b = int(x) if x < last else last
        e = used
        used += 1
        e_node[e] = v
        e_next[e] = head[b]
        head[b] = e
        src[v] = -2 - src[v]
        if b < first:
            first = b
    b = first
    while b < n_buckets:
        e = int(head[b])
        if e < 0:
            b += 1
            continue
        head[b] = e_next[e]
        v = e_node[e]
        e_next[e] = free
        free = e
        sv = src[v]
        if sv >= 0:
            continue  # stale: v was scanned since this entry was made
        sv = -2 - sv
        src[v] = sv
        dv = dist[v]
        for i in range(indptr[v], indptr[v + 1]):
            nd = dv + weight_m[i]
            if nd > cutoff_m:
                continue
            u = indices[i]
            old = dist[u]
            if nd < old:
                dist[u] = nd
                x = nd * inv
                # the comparison also sends inf / NaN (a subnormal width) to the last bucket
                nb = int(x) if x < last else last
                if src[u] < -1:
                    # u waits already; if in this very bucket, its entry serves the new label
                    x = old * inv
                    if (int(x) if x < last else last) == nb:
                        src[u] = -2 - sv
                        continue
                src[u] = -2 - sv
                if free >= 0:
                    f = free
                    free = e_next[f]
                else:
                    if used == cap:
                        return False
                    f = used
                    used += 1
                e_node[f] = u
                e_next[f] = head[nb]
                head[nb] = f
    return True


@njit(cache=True, nogil=True)
def heap_search(  # pragma: no cover - compiled
    indptr: np.ndarray,
    indices: np.ndarray,
    weight_m: np.ndarray,
    dist: np.ndarray,
    src: np.ndarray,
    seeds: np.ndarray,
    cutoff_m: float,
) -> None:
    """Lazy binary-heap Dijkstra from the labelled ``seeds``."""
    cap = max(1024, 2 * seeds.shape[0])
    hk = np.empty(cap, np.float64)
    hv = np.empty(cap, np.int32)
    size = 0
    for j in range(seeds.shape[0]):
        v = seeds[j]
        # push (dist[v], v)
        if size == cap:
            cap *= 2
            nk = np.empty(cap, np.float64)
            nv = np.empty(cap, np.int32)
            nk[:size] = hk[:size]
            nv[:size] = hv[:size]
            hk = nk
            hv = nv
        key = dist[v]
        i = size
        size += 1
        while i > 0:
            p = (i - 1) >> 1
            if hk[p] <= key:
                break
            hk[i] = hk[p]
            hv[i] = hv[p]
            i = p
        hk[i] = key
        hv[i] = v
    while size > 0:
        dv = hk[0]
        v = hv[0]
        # pop the root
        size -= 1
        if size > 0:
            key = hk[size]
            val = hv[size]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                if c + 1 < size and hk[c + 1] < hk[c]:
                    c += 1
                if hk[c] >= key:
                    break
                hk[i] = hk[c]
                hv[i] = hv[c]
                i = c
            hk[i] = key
            hv[i] = val
        if dv > dist[v]:
            continue  # stale entry
        sv = src[v]
        for e in range(indptr[v], indptr[v + 1]):
            nd = dv + weight_m[e]
            if nd > cutoff_m:
                continue
            u = indices[e]
            if nd < dist[u]:
                dist[u] = nd
                src[u] = sv
                if size == cap:
                    cap *= 2
                    nk = np.empty(cap, np.float64)
                    nv = np.empty(cap, np.int32)
                    nk[:size] = hk[:size]
                    nv[:size] = hv[:size]
                    hk = nk
                    hv = nv
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) >> 1
                    if hk[p] <= nd:
                        break
                    hk[i] = hk[p]
                    hv[i] = hv[p]
                    i = p
                hk[i] = nd
                hv[i] = u
