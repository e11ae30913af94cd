# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Compiled kernels of the nearest-facility engine (Cython, built by the package's own build).

The kernels release the GIL, so the engine's threads run them at once. Two single-kind searches
share one contract: fill ``dist`` (float64 [n_nodes], all ``inf`` on entry) and ``src`` (int32
[n_nodes], all ``-1`` on entry) with the distance to, and the index of, the nearest source of one
kind, for every node within ``cutoff_m``.

* :func:`bucket_search` — a bucket queue (Dial / delta-stepping) over float64 distances. Buckets are
  ``delta_m`` wide; inside a bucket nodes are scanned in any order and *re-scanned* whenever their
  distance improves, so the result is the fixpoint of exact float64 relaxation — the same numbers a
  binary-heap Dijkstra gives (both equal the minimum, over paths, of the left-to-right float64 sum,
  because rounded addition of a non-negative weight is monotone and never decreases a value).
  Memory follows the search front (a pool of bucket entries with a free list), not the network.
* :func:`heap_search` — a lazy binary-heap Dijkstra; used when the cutoff is infinite or would need
  too many buckets, and as an independent cross-check in the tests.

Both stop at the cutoff: a node is labelled only when its distance is ``<= cutoff_m``. The
arguments' dtypes are fixed (see the signatures); ``engine.nearest_by_kind`` prepares them.
"""

from libc.stdint cimport int32_t, int64_t, uint32_t
from libc.math cimport INFINITY
from libc.stdlib cimport free, malloc, realloc


def seed_kind(
    double[::1] dist,
    int32_t[::1] src,
    const int32_t[::1] order,
    Py_ssize_t lo,
    Py_ssize_t hi,
    const int32_t[::1] source_node,
    const double[::1] source_offset_m,
    double cutoff_m,
):
    """Label the source nodes of one kind (sources ``order[lo:hi]``) with their offsets."""
    cdef Py_ssize_t j
    cdef int32_t s, v
    cdef double off
    with nogil:
        for j in range(lo, hi):
            s = order[j]
            v = source_node[s]
            off = source_offset_m[s]
            if off <= cutoff_m and off < dist[v]:
                dist[v] = off
                src[v] = s


cdef inline int64_t _bucket(double x, int64_t last) noexcept nogil:
    # the comparison also sends inf / NaN (a subnormal width) to the last bucket
    if x < last:
        return <int64_t>x
    return last


cdef bint _bucket_search(
    const int64_t* indptr,
    const uint32_t* indices,
    const double* weight_m,
    double* dist,
    int32_t* src,
    const uint32_t* seeds,
    Py_ssize_t n_seeds,
    double cutoff_m,
    double delta_m,
    int32_t* head,
    int64_t n_buckets,
    uint32_t* e_node,
    int32_t* e_next,
    int64_t cap,
) noexcept nogil:
    cdef double inv = 1.0 / delta_m
    cdef int64_t last = n_buckets - 1
    cdef int64_t used = 0  # entries ever taken from the pool
    cdef int32_t free_e = -1  # head of the free list
    cdef int64_t first = n_buckets
    cdef int64_t b, nb, i, end
    cdef Py_ssize_t j
    cdef int32_t e, f, sv
    cdef uint32_t v, u
    cdef double dv, nd, old
    if n_seeds > cap:
        return False
    for j in range(n_seeds):
        v = seeds[j]
        b = _bucket(dist[v] * inv, last)
        e = <int32_t>used
        used += 1
        e_node[e] = v
        e_next[e] = head[b]
        head[b] = e
        src[v] = -2 - src[v]
        if b < first:
            first = b
    b = first
    while b < n_buckets:
        e = head[b]
        if e < 0:
            b += 1
            continue
        head[b] = e_next[e]
        v = e_node[e]
        e_next[e] = free_e
        free_e = e
        sv = src[v]
        if sv >= 0:
            continue  # stale: v was scanned since this entry was made
        sv = -2 - sv
        src[v] = sv
        dv = dist[v]
        end = indptr[v + 1]
        for i in range(indptr[v], end):
            nd = dv + weight_m[i]
            if nd > cutoff_m:
                continue
            u = indices[i]
            old = dist[u]
            if nd < old:
                dist[u] = nd
                nb = _bucket(nd * inv, last)
                if src[u] < -1:
                    # u waits already; if in this very bucket, its entry serves the new label
                    if _bucket(old * inv, last) == nb:
                        src[u] = -2 - sv
                        continue
                src[u] = -2 - sv
                if free_e >= 0:
                    f = free_e
                    free_e = e_next[f]
                else:
                    if used == cap:
                        return False
                    f = <int32_t>used
                    used += 1
                e_node[f] = u
                e_next[f] = head[nb]
                head[nb] = f
    return True


def bucket_search(
    const int64_t[::1] indptr,
    const uint32_t[::1] indices,
    const double[::1] weight_m,
    double[::1] dist,
    int32_t[::1] src,
    const uint32_t[::1] seeds,
    double cutoff_m,
    double delta_m,
    int32_t[::1] head,
    uint32_t[::1] e_node,
    int32_t[::1] e_next,
):
    """Bucket-queue search from the labelled ``seeds`` (node ids whose ``dist`` is set).

    Buckets are singly linked lists of node entries in one pool (``e_node``, ``e_next``, of one
    length); popped entries go back to a free list, so memory follows the search front, not the
    network. While a node waits to be scanned its ``src`` holds ``-2 - source`` (``-1`` stays
    "not reached"): a node improved again inside the bucket it already waits in needs no second
    entry, and an entry popped for a node that is not waiting (scanned since) is stale and
    skipped. Every waiting node is scanned at its label of that moment, so ``src`` is
    non-negative again on return. ``head`` (int32, one per bucket) must be ``-1`` on entry.
    Returns False, with ``dist`` / ``src`` half done, when the pool was too small: the caller
    resets them and calls again with a larger pool.
    """
    if e_next.shape[0] != e_node.shape[0]:
        raise ValueError("e_node and e_next must have one length")
    if head.shape[0] == 0:
        raise ValueError("head: expected at least one bucket")
    cdef bint done
    cdef Py_ssize_t n_seeds = seeds.shape[0]
    cdef int64_t n_buckets = head.shape[0]
    cdef int64_t cap = e_node.shape[0]
    if n_seeds == 0:
        return True
    with nogil:
        done = _bucket_search(
            &indptr[0], &indices[0] if indices.shape[0] else NULL, &weight_m[0] if weight_m.shape[0] else NULL,
            &dist[0], &src[0], &seeds[0], n_seeds, cutoff_m, delta_m,
            &head[0], n_buckets, &e_node[0] if cap else NULL, &e_next[0] if cap else NULL, cap,
        )
    return done


cdef bint _heap_search(
    const int64_t* indptr,
    const uint32_t* indices,
    const double* weight_m,
    double* dist,
    int32_t* src,
    const uint32_t* seeds,
    Py_ssize_t n_seeds,
    double cutoff_m,
) noexcept nogil:
    """Lazy binary-heap Dijkstra; False when memory ran out."""
    cdef Py_ssize_t cap = 1024 if 2 * n_seeds < 1024 else 2 * n_seeds
    cdef Py_ssize_t size = 0, i, p, c, j
    cdef int64_t e, end
    cdef double key, dv, nd
    cdef uint32_t v, u, val
    cdef int32_t sv
    cdef double* hk = <double*>malloc(cap * sizeof(double))
    cdef uint32_t* hv = <uint32_t*>malloc(cap * sizeof(uint32_t))
    cdef double* nk
    cdef uint32_t* nv
    if hk == NULL or hv == NULL:
        free(hk)
        free(hv)
        return False
    for j in range(n_seeds):
        v = seeds[j]
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
        size -= 1  # pop the root
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
        end = indptr[v + 1]
        for e in range(indptr[v], end):
            nd = dv + weight_m[e]
            if nd > cutoff_m:
                continue
            u = indices[e]
            if nd < dist[u]:
                dist[u] = nd
                src[u] = sv
                if size == cap:
                    cap *= 2
                    nk = <double*>realloc(hk, cap * sizeof(double))
                    if nk == NULL:
                        free(hk)
                        free(hv)
                        return False
                    hk = nk
                    nv = <uint32_t*>realloc(hv, cap * sizeof(uint32_t))
                    if nv == NULL:
                        free(hk)
                        free(hv)
                        return False
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
    free(hk)
    free(hv)
    return True


def heap_search(
    const int64_t[::1] indptr,
    const uint32_t[::1] indices,
    const double[::1] weight_m,
    double[::1] dist,
    int32_t[::1] src,
    const uint32_t[::1] seeds,
    double cutoff_m,
):
    """Lazy binary-heap Dijkstra from the labelled ``seeds``."""
    cdef bint done
    cdef Py_ssize_t n_seeds = seeds.shape[0]
    if n_seeds == 0:
        return
    with nogil:
        done = _heap_search(
            &indptr[0], &indices[0] if indices.shape[0] else NULL, &weight_m[0] if weight_m.shape[0] else NULL,
            &dist[0], &src[0], &seeds[0], n_seeds, cutoff_m,
        )
    if not done:
        raise MemoryError("heap_search: out of memory for the search front")


# ---------------------------------------------------------------- pairs within a cutoff

cdef struct _Pairs:
    int32_t* source
    int32_t* slot
    double* dist
    Py_ssize_t size
    Py_ssize_t cap


cdef bint _pairs_push(_Pairs* out, int32_t s, int32_t t, double d) noexcept nogil:
    cdef Py_ssize_t cap
    cdef int32_t* ns
    cdef int32_t* nt
    cdef double* nd
    if out.size == out.cap:
        cap = 2 * out.cap if out.cap else 4096
        ns = <int32_t*>realloc(out.source, cap * sizeof(int32_t))
        if ns == NULL:
            return False
        out.source = ns
        nt = <int32_t*>realloc(out.slot, cap * sizeof(int32_t))
        if nt == NULL:
            return False
        out.slot = nt
        nd = <double*>realloc(out.dist, cap * sizeof(double))
        if nd == NULL:
            return False
        out.dist = nd
        out.cap = cap
    out.source[out.size] = s
    out.slot[out.size] = t
    out.dist[out.size] = d
    out.size += 1
    return True


cdef bint _pairs_from(
    const int64_t* indptr,
    const uint32_t* indices,
    const double* weight_m,
    int32_t s,
    uint32_t start,
    double offset,
    const int32_t* target_slot,
    double cutoff_m,
    double* dist,
    uint32_t** touched,
    Py_ssize_t* touched_cap,
    double** hk,
    uint32_t** hv,
    Py_ssize_t* heap_cap,
    _Pairs* out,
) noexcept nogil:
    """One bounded Dijkstra from ``start``; ``dist`` is all inf on entry and on return."""
    cdef Py_ssize_t n_touched = 0, size = 0, i, p, c
    cdef int64_t e, end
    cdef double dv, nd, key
    cdef uint32_t v, u, val
    cdef bint ok = True
    cdef void* tmp
    if offset > cutoff_m:
        return True
    dist[start] = offset
    touched[0][0] = start
    n_touched = 1
    hk[0][0] = offset
    hv[0][0] = start
    size = 1
    while size > 0:
        dv = hk[0][0]
        v = hv[0][0]
        size -= 1
        if size > 0:
            key = hk[0][size]
            val = hv[0][size]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                if c + 1 < size and hk[0][c + 1] < hk[0][c]:
                    c += 1
                if hk[0][c] >= key:
                    break
                hk[0][i] = hk[0][c]
                hv[0][i] = hv[0][c]
                i = c
            hk[0][i] = key
            hv[0][i] = val
        if dv > dist[v]:
            continue  # stale entry
        if target_slot[v] >= 0:
            if not _pairs_push(out, s, target_slot[v], dv):
                ok = False
                break
        end = indptr[v + 1]
        for e in range(indptr[v], end):
            nd = dv + weight_m[e]
            if nd > cutoff_m:
                continue
            u = indices[e]
            if nd < dist[u]:
                if dist[u] == INFINITY:
                    if n_touched == touched_cap[0]:
                        tmp = realloc(touched[0], 2 * touched_cap[0] * sizeof(uint32_t))
                        if tmp == NULL:
                            ok = False
                            break
                        touched[0] = <uint32_t*>tmp
                        touched_cap[0] *= 2
                    touched[0][n_touched] = u
                    n_touched += 1
                dist[u] = nd
                if size == heap_cap[0]:
                    tmp = realloc(hk[0], 2 * heap_cap[0] * sizeof(double))
                    if tmp == NULL:
                        ok = False
                        break
                    hk[0] = <double*>tmp
                    tmp = realloc(hv[0], 2 * heap_cap[0] * sizeof(uint32_t))
                    if tmp == NULL:
                        ok = False
                        break
                    hv[0] = <uint32_t*>tmp
                    heap_cap[0] *= 2
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) >> 1
                    if hk[0][p] <= nd:
                        break
                    hk[0][i] = hk[0][p]
                    hv[0][i] = hv[0][p]
                    i = p
                hk[0][i] = nd
                hv[0][i] = u
        if not ok:
            break
    for i in range(n_touched):
        dist[touched[0][i]] = INFINITY
    return ok


def pairs_within(
    const int64_t[::1] indptr,
    const uint32_t[::1] indices,
    const double[::1] weight_m,
    const int32_t[::1] source_node,
    const double[::1] source_offset_m,
    Py_ssize_t lo,
    Py_ssize_t hi,
    const int32_t[::1] target_slot,
    double cutoff_m,
    double[::1] dist,
):
    """Every (source, target) pair within ``cutoff_m``, for sources ``lo:hi``.

    One bounded lazy-heap Dijkstra per source, from its node with its offset as the starting
    label. A node ``v`` with ``target_slot[v] >= 0`` that is reached within the cutoff gives
    one pair ``(source, target_slot[v], distance)``, in the order the search settles them.
    ``dist`` (float64 [n_nodes]) is scratch that must be all ``inf`` on entry; it is all
    ``inf`` again on return. Returns three numpy arrays: source (int32), slot (int32),
    distance_m (float64).
    """
    import numpy as np

    cdef Py_ssize_t n_nodes = indptr.shape[0] - 1
    if dist.shape[0] != n_nodes or target_slot.shape[0] != n_nodes:
        raise ValueError("dist and target_slot need one entry per node")
    cdef _Pairs out
    out.source = NULL
    out.slot = NULL
    out.dist = NULL
    out.size = 0
    out.cap = 0
    cdef Py_ssize_t touched_cap = 1024, heap_cap = 1024, j
    cdef uint32_t* touched = <uint32_t*>malloc(touched_cap * sizeof(uint32_t))
    cdef double* hk = <double*>malloc(heap_cap * sizeof(double))
    cdef uint32_t* hv = <uint32_t*>malloc(heap_cap * sizeof(uint32_t))
    cdef bint ok = touched != NULL and hk != NULL and hv != NULL
    cdef const int64_t* ip = &indptr[0]
    cdef const uint32_t* ix = &indices[0] if indices.shape[0] else NULL
    cdef const double* w = &weight_m[0] if weight_m.shape[0] else NULL
    cdef const int32_t* ts = &target_slot[0] if n_nodes else NULL
    cdef double* dp = &dist[0] if n_nodes else NULL
    if ok and n_nodes:
        with nogil:
            for j in range(lo, hi):
                if not _pairs_from(
                    ip, ix, w, <int32_t>j, <uint32_t>source_node[j], source_offset_m[j], ts,
                    cutoff_m, dp, &touched, &touched_cap, &hk, &hv, &heap_cap, &out,
                ):
                    ok = False
                    break
    free(touched)
    free(hk)
    free(hv)
    if not ok:
        free(out.source)
        free(out.slot)
        free(out.dist)
        raise MemoryError("pairs_within: out of memory")
    src = np.empty(out.size, dtype=np.int32)
    slot = np.empty(out.size, dtype=np.int32)
    dd = np.empty(out.size, dtype=np.float64)
    cdef int32_t[::1] sv = src
    cdef int32_t[::1] tv = slot
    cdef double[::1] dv = dd
    for j in range(out.size):
        sv[j] = out.source[j]
        tv[j] = out.slot[j]
        dv[j] = out.dist[j]
    free(out.source)
    free(out.slot)
    free(out.dist)
    return src, slot, dd
