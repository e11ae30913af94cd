"""The engine equals an independent Dijkstra, on hand-checkable grids and on random networks."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from wanzheng.errors import DataError
from wanzheng.network.engine import nearest_by_kind

INF = math.inf


def csr_from_edges(
    n_nodes: int, u: list[int], v: list[int], w: list[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected CSR (both directions, parallel edges kept) from an edge list."""
    uu = np.asarray(u + v, dtype=np.int64)
    vv = np.asarray(v + u, dtype=np.int64)
    ww = np.asarray(w + w, dtype=np.float64)
    order = np.lexsort((vv, uu))
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.add.at(indptr, uu + 1, 1)
    return np.cumsum(indptr), vv[order], ww[order]


def grid(n_side: int, spacing_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A square grid of ``n_side`` x ``n_side`` nodes, row-major, every edge ``spacing_m``."""
    u: list[int] = []
    v: list[int] = []
    for r in range(n_side):
        for c in range(n_side):
            node = r * n_side + c
            if c + 1 < n_side:
                u.append(node)
                v.append(node + 1)
            if r + 1 < n_side:
                u.append(node)
                v.append(node + n_side)
    return csr_from_edges(n_side * n_side, u, v, [spacing_m] * len(u))


def reference(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight_m: np.ndarray,
    starts: list[tuple[float, int]],
    cutoff_m: float,
) -> list[float]:
    """Textbook heapq Dijkstra from several (offset, node) starts; inf beyond the cutoff."""
    n_nodes = indptr.shape[0] - 1
    dist = [INF] * n_nodes
    heap: list[tuple[float, int]] = []
    for off, node in starts:
        if off < dist[node]:
            dist[node] = off
            heapq.heappush(heap, (off, node))
    done = [False] * n_nodes
    while heap:
        d, x = heapq.heappop(heap)
        if done[x]:
            continue
        done[x] = True
        for e in range(indptr[x], indptr[x + 1]):
            y = int(indices[e])
            nd = d + float(weight_m[e])
            if nd < dist[y]:
                dist[y] = nd
                heapq.heappush(heap, (nd, y))
    return [d if d <= cutoff_m else INF for d in dist]


# --- hand-checkable cases ----------------------------------------------------------------------


def test_corner_of_a_5x5_grid_reaches_the_opposite_corner_at_800_m() -> None:
    ip, ix, w = grid(5, 100.0)
    args = (ip, ix, w, [0], [0], [0.0])
    d, s = nearest_by_kind(*args, n_kinds=1, cutoff_m=1000.0)
    assert d.shape == (1, 25)
    assert d[0, 24] == 800.0
    assert d[0, 12] == 400.0  # centre: 2 + 2 edges
    assert d[0, 4] == 400.0
    assert (s[0] == 0).all()
    # Manhattan distance everywhere
    r, c = np.divmod(np.arange(25), 5)
    np.testing.assert_array_equal(d[0], 100.0 * (r + c))


def test_cutoff_is_inclusive() -> None:
    ip, ix, w = grid(5, 100.0)
    args = (ip, ix, w, [0], [0], [0.0])
    d, s = nearest_by_kind(*args, n_kinds=1, cutoff_m=700.0)
    assert d[0, 24] == INF and s[0, 24] == -1
    assert d[0, 23] == 700.0 and s[0, 23] == 0  # exactly at the cutoff counts
    d, s = nearest_by_kind(*args, n_kinds=1, cutoff_m=800.0)
    assert d[0, 24] == 800.0 and s[0, 24] == 0


def test_offset_counts_toward_the_cutoff() -> None:
    ip, ix, w = grid(5, 100.0)
    d, _ = nearest_by_kind(ip, ix, w, [0], [0], [50.0], n_kinds=1, cutoff_m=750.0)
    assert d[0, 0] == 50.0
    assert d[0, 23] == 750.0  # 700 m walk + 50 m leg, exactly at the cutoff
    assert d[0, 24] == INF  # 850 m
    # a source whose leg alone exceeds the cutoff reaches nothing
    d, s = nearest_by_kind(ip, ix, w, [0], [0], [751.0], n_kinds=1, cutoff_m=750.0)
    assert np.isinf(d).all() and (s == -1).all()


def test_two_kinds_and_a_kind_without_sources() -> None:
    ip, ix, w = grid(5, 100.0)
    # kind 0 at both ends of the diagonal, kind 2 at the centre, kind 1 has nothing
    d, s = nearest_by_kind(
        ip, ix, w, [0, 24, 12], [0, 0, 2], [0.0, 0.0, 0.0], n_kinds=3, cutoff_m=1000.0
    )
    assert d[0, 4] == 400.0  # top-right corner is 400 m from both
    assert d[0, 6] == 200.0 and s[0, 6] == 0
    assert d[0, 18] == 200.0 and s[0, 18] == 1
    assert np.isinf(d[1]).all() and (s[1] == -1).all()
    assert d[2, 0] == 400.0 and (s[2] == 2).all()


def test_several_sources_on_one_node_the_smallest_offset_wins() -> None:
    ip, ix, w = grid(3, 10.0)
    d, s = nearest_by_kind(
        ip, ix, w, [4, 4, 4], [0, 0, 0], [30.0, 5.0, 12.0], n_kinds=1, cutoff_m=100.0
    )
    assert d[0, 4] == 5.0 and s[0, 4] == 1
    assert d[0, 0] == 25.0 and s[0, 0] == 1


def test_a_farther_source_with_a_short_leg_beats_a_near_one_with_a_long_leg() -> None:
    # path 0 - 1 - 2 - 3, 100 m each; source A on node 0 with a 250 m leg, B on node 3 with 0 m
    ip, ix, w = csr_from_edges(4, [0, 1, 2], [1, 2, 3], [100.0, 100.0, 100.0])
    d, s = nearest_by_kind(ip, ix, w, [0, 3], [0, 0], [250.0, 0.0], n_kinds=1, cutoff_m=1000.0)
    np.testing.assert_array_equal(d[0], [250.0, 200.0, 100.0, 0.0])
    np.testing.assert_array_equal(s[0], [0, 1, 1, 1])


def test_zero_length_edges_and_disconnected_parts() -> None:
    # 0 -0m- 1 -10m- 2 ; 3 -0m- 4 (another island)
    ip, ix, w = csr_from_edges(5, [0, 1, 3], [1, 2, 4], [0.0, 10.0, 0.0])
    d, s = nearest_by_kind(ip, ix, w, [0], [0], [0.0], n_kinds=1, cutoff_m=10.0)
    np.testing.assert_array_equal(d[0], [0.0, 0.0, 10.0, INF, INF])
    np.testing.assert_array_equal(s[0], [0, 0, 0, -1, -1])


def test_zero_cutoff_and_infinite_cutoff() -> None:
    ip, ix, w = grid(4, 1.5)
    d, _ = nearest_by_kind(ip, ix, w, [5], [0], [0.0], n_kinds=1, cutoff_m=0.0)
    assert d[0, 5] == 0.0 and np.isinf(np.delete(d[0], 5)).all()
    d, _ = nearest_by_kind(ip, ix, w, [0], [0], [0.0], n_kinds=1, cutoff_m=INF)
    assert d[0, 15] == 9.0


def test_tiny_cutoffs_and_lengths_terminate_and_are_exact() -> None:
    # subnormal lengths and cutoffs once sent the bucket index to NaN; they must still work
    ip, ix, w = csr_from_edges(4, [0, 1, 2], [1, 2, 3], [0.0, 5e-324, 1e-310])
    for cutoff_m in (1e-310, 5e-324, 1e-300, 2e-310):
        d, _ = nearest_by_kind(ip, ix, w, [0], [0], [0.0], n_kinds=1, cutoff_m=cutoff_m)
        np.testing.assert_array_equal(d[0], reference(ip, ix, w, [(0.0, 0)], cutoff_m))


def test_a_search_that_outgrows_its_entry_pool_starts_again_and_is_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wanzheng.network import engine

    ip, ix, w = grid(20, 7.0)
    args = (ip, ix, w, [0, 399, 210], [0, 0, 1], [0.0, 3.0, 1.5])
    expected = nearest_by_kind(*args, n_kinds=2, cutoff_m=150.0)
    monkeypatch.setattr(engine, "_POOL_MIN", 1)
    monkeypatch.setattr(engine, "_POOL_DIVISOR", 10**9)
    got = nearest_by_kind(*args, n_kinds=2, cutoff_m=150.0, threads=1)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert np.isfinite(got[0]).sum() > 100


def test_no_sources_and_output_types() -> None:
    ip, ix, w = grid(3, 1.0)
    empty = np.empty(0, dtype=np.int64)
    d, s = nearest_by_kind(ip, ix, w, empty, empty, np.empty(0), n_kinds=4, cutoff_m=5.0)
    assert d.shape == (4, 9) and d.dtype == np.float64 and np.isinf(d).all()
    assert s.shape == (4, 9) and s.dtype.kind == "i" and (s == -1).all()


def test_agrees_with_scipy_on_a_random_weighted_grid_with_both_thread_counts() -> None:
    rng = np.random.default_rng(7)
    n_side = 60
    ip, ix, _ = grid(n_side, 1.0)
    # random symmetric weights: draw one per undirected edge
    graph = sp.csr_matrix((np.ones(ix.shape[0]), ix, ip), shape=(n_side**2,) * 2)
    upper = sp.triu(graph).tocoo()
    lengths = rng.uniform(0.0, 60.0, upper.nnz).round(3)
    lengths[rng.random(upper.nnz) < 0.05] = 0.0
    sym = sp.coo_matrix(
        (np.r_[lengths, lengths], (np.r_[upper.row, upper.col], np.r_[upper.col, upper.row])),
        shape=graph.shape,
    ).tocsr()
    n_kinds = 15
    counts = rng.integers(0, 40, n_kinds)
    source_node = np.concatenate([rng.choice(n_side**2, c, replace=False) for c in counts])
    source_kind = np.repeat(np.arange(n_kinds), counts)
    zero = np.zeros(source_node.shape[0])
    out = [
        nearest_by_kind(
            sym.indptr, sym.indices, sym.data, source_node, source_kind, zero,
            n_kinds=n_kinds, cutoff_m=300.0, threads=t,
        )
        for t in (1, 2)
    ]  # fmt: skip
    np.testing.assert_array_equal(out[0][0], out[1][0])
    d = out[0][0]
    for k in range(n_kinds):
        if counts[k] == 0:
            assert np.isinf(d[k]).all()
            continue
        ref = dijkstra(sym, indices=source_node[source_kind == k], min_only=True, limit=300.0)
        np.testing.assert_array_equal(d[k], ref)


# --- random networks against the textbook Dijkstra ----------------------------------------------

LENGTHS = st.one_of(
    st.just(0.0),
    st.integers(1, 30).map(float),
    st.floats(0.0, 50.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def networks(draw: st.DrawFn) -> dict[str, object]:
    n_nodes = draw(st.integers(1, 30))
    n_edges = draw(st.integers(0, 3 * n_nodes))
    u = draw(st.lists(st.integers(0, n_nodes - 1), min_size=n_edges, max_size=n_edges))
    v = draw(st.lists(st.integers(0, n_nodes - 1), min_size=n_edges, max_size=n_edges))
    w = draw(st.lists(LENGTHS, min_size=n_edges, max_size=n_edges))
    n_kinds = draw(st.integers(1, 4))
    n_sources = draw(st.integers(0, 8))
    nodes = draw(st.lists(st.integers(0, n_nodes - 1), min_size=n_sources, max_size=n_sources))
    kinds = draw(st.lists(st.integers(0, n_kinds - 1), min_size=n_sources, max_size=n_sources))
    offsets = draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(0.0, 40.0)),
            min_size=n_sources,
            max_size=n_sources,
        )
    )
    return {
        "n_nodes": n_nodes, "u": u, "v": v, "w": w, "n_kinds": n_kinds,
        "nodes": nodes, "kinds": kinds, "offsets": offsets,
    }  # fmt: skip


def check_against_reference(net: dict[str, object], cutoff_m: float, threads: int) -> None:
    n_nodes = int(net["n_nodes"])  # type: ignore[call-overload]
    ip, ix, w = csr_from_edges(n_nodes, net["u"], net["v"], net["w"])  # type: ignore[arg-type]
    nodes: list[int] = net["nodes"]  # type: ignore[assignment]
    kinds: list[int] = net["kinds"]  # type: ignore[assignment]
    offsets: list[float] = net["offsets"]  # type: ignore[assignment]
    n_kinds = int(net["n_kinds"])  # type: ignore[call-overload]
    d, s = nearest_by_kind(
        ip, ix, w, nodes, kinds, offsets, n_kinds=n_kinds, cutoff_m=cutoff_m, threads=threads
    )
    for k in range(n_kinds):
        starts = [(o, n) for o, n, kk in zip(offsets, nodes, kinds, strict=True) if kk == k]
        np.testing.assert_array_equal(d[k], reference(ip, ix, w, starts, cutoff_m))
        # the reported source is of this kind and really lies at the reported distance
        for node in range(n_nodes):
            src = int(s[k, node])
            if math.isinf(d[k, node]):
                assert src == -1
                continue
            assert kinds[src] == k
            own = reference(ip, ix, w, [(offsets[src], nodes[src])], INF)[node]
            assert own == pytest.approx(d[k, node], abs=1e-9)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(), cutoff_m=st.floats(0.0, 120.0), threads=st.integers(1, 2))
def test_random_networks_equal_a_textbook_dijkstra(
    net: dict[str, object], cutoff_m: float, threads: int
) -> None:
    check_against_reference(net, cutoff_m, threads)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(), pick=st.integers(0, 10_000))
def test_random_networks_with_the_cutoff_exactly_on_a_distance(
    net: dict[str, object], pick: int
) -> None:
    # choose the cutoff equal to a distance that really occurs, so a node sits on the boundary
    n_nodes = int(net["n_nodes"])  # type: ignore[call-overload]
    ip, ix, w = csr_from_edges(n_nodes, net["u"], net["v"], net["w"])  # type: ignore[arg-type]
    starts = list(zip(net["offsets"], net["nodes"], strict=True))  # type: ignore[call-overload]
    finite = sorted({d for d in reference(ip, ix, w, starts, INF) if math.isfinite(d)})
    cutoff_m = finite[pick % len(finite)] if finite else 10.0
    check_against_reference(net, cutoff_m, 1)
    check_against_reference(net, INF, 2)


# --- input validation --------------------------------------------------------------------------


def _triangle() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return csr_from_edges(3, [0, 1, 2], [1, 2, 0], [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weight_m": np.array([1.0, 1.0])}, "weight_m: expected one length per entry"),
        ({"weight_m": np.array([1.0, -1.0, 1.0, 1.0, 1.0, 1.0])}, r"weight_m\[1\].*>= 0"),
        ({"weight_m": np.array([1.0, np.nan, 1.0, 1.0, 1.0, 1.0])}, r"weight_m\[1\].*nan"),
        ({"indices": np.array([1, 2, 0, 2, 0, 7])}, r"indices\[5\].*0\.\.2, got 7"),
        ({"indptr": np.array([0, 2, 4])}, "indptr: expected to start at 0 and end"),
        ({"indptr": np.array([0, 4, 2, 6])}, r"indptr\[2\]: expected non-decreasing"),
        ({"source_node": [3]}, r"source_node\[0\].*0\.\.2, got 3"),
        ({"source_node": [-1]}, r"source_node\[0\]"),
        ({"source_kind": [2]}, r"source_kind\[0\].*0\.\.1, got 2"),
        ({"source_offset_m": [-0.5]}, r"source_offset_m\[0\].*>= 0 m, got -0.5"),
        ({"source_offset_m": [np.nan]}, r"source_offset_m\[0\].*nan"),
        ({"source_kind": [0, 1]}, "expected one entry per source each, got lengths 1, 2, 1"),
        ({"cutoff_m": -1.0}, "cutoff_m"),
        ({"cutoff_m": np.nan}, "cutoff_m"),
        ({"n_kinds": 0}, "n_kinds"),
        ({"threads": 0}, "threads"),
        ({"source_offset_m": ["a"]}, "source_offset_m: expected numbers"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(change: dict[str, object], message: str) -> None:
    ip, ix, w = _triangle()
    args: dict[str, object] = {
        "indptr": ip, "indices": ix, "weight_m": w, "source_node": [0],
        "source_kind": [0], "source_offset_m": [0.0],
    }  # fmt: skip
    options: dict[str, object] = {"n_kinds": 2, "cutoff_m": 10.0, "threads": None}
    for key, value in change.items():
        (options if key in options else args)[key] = value
    with pytest.raises(DataError, match=message) as info:
        nearest_by_kind(**args, **options)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
