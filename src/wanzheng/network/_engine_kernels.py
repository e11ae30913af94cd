"""Compiled kernels of the nearest-facility engine (numba, ``nogil``: threads run them at once).

Two single-kind kernels share one contract: fill ``dist`` (float64 [n_nodes], all ``inf`` on entry)
and ``src`` (int32 [n_nodes], all ``-1`` on entry) with the distance to, and the index of, the
nearest source of one kind, for every node within ``cutoff_m``.

* :func:`bucket_search` — a bucket queue (Dial / delta-stepping) over float64 distances. Buckets are
  ``delta_m`` wide; inside a bucket nodes are scanned in any order and *re-scanned* whenever their
  distance improves, so the result is the fixpoint of exact float64 relaxation — the same numbers a
  binary-heap Dijkstra gives (both equal the minimum, over paths, of the left-to-right float64 sum,
  because rounded addition of a non-negative weight is monotone and never decreases a value).
  Each node sits in at most one bucket (intrusive doubly linked lists), so memory is three int32
  per node per thread and there is nothing to grow.
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
    n_buckets: int,
    head: np.ndarray,
    nxt: np.ndarray,
    prv: np.ndarray,
    where: np.ndarray,
) -> None:
    """Bucket-queue search from the labelled ``seeds`` (node ids whose ``dist`` is set).

    ``head`` (int32 [n_buckets]) must be ``-1`` and ``where`` (int32 [n_nodes]) ``-1`` on entry;
    both are ``-1`` again on return, so the scratch arrays are reused across kinds.
    ``nxt`` / ``prv`` (int32 [n_nodes]) need no initial value.
    """
    inv = 1.0 / delta_m
    last = n_buckets - 1
    first = n_buckets
    for j in range(seeds.shape[0]):
        v = seeds[j]
        if where[v] >= 0:
            continue
        x = dist[v] * inv
        b = int(x) if x < last else last
        where[v] = b
        h = head[b]
        nxt[v] = h
        prv[v] = -1
        if h >= 0:
            prv[h] = v
        head[b] = v
        if b < first:
            first = b
    b = first
    while b < n_buckets:
        v = head[b]
        if v < 0:
            b += 1
            continue
        # pop v from bucket b
        h = nxt[v]
        head[b] = h
        if h >= 0:
            prv[h] = -1
        where[v] = -1
        dv = dist[v]
        sv = src[v]
        for e in range(indptr[v], indptr[v + 1]):
            nd = dv + weight_m[e]
            if nd > cutoff_m:
                continue
            u = indices[e]
            if nd < dist[u]:
                dist[u] = nd
                src[u] = sv
                x = nd * inv
                # the comparison also sends inf / NaN (a subnormal width) to the last bucket
                nb = int(x) if x < last else last
                ob = where[u]
                if ob == nb:
                    continue
                if ob >= 0:
                    # unlink u from its old bucket
                    p = prv[u]
                    q = nxt[u]
                    if p >= 0:
                        nxt[p] = q
                    else:
                        head[ob] = q
                    if q >= 0:
                        prv[q] = p
                where[u] = nb
                h = head[nb]
                nxt[u] = h
                prv[u] = -1
                if h >= 0:
                    prv[h] = u
                head[nb] = u


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
