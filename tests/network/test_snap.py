"""snap: hand-checkable grids and a brute-force check on the CAU network."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from wanzheng.data.osm import load_osm
from wanzheng.errors import RoutingError
from wanzheng.network.graph import WalkGraph, build_graph, graph_from_arrays
from wanzheng.network.snapping import snap

Grid = Callable[..., WalkGraph]
ToLonLat = Callable[[Any, Any], tuple[np.ndarray, np.ndarray]]


def _dist(graph: WalkGraph, source: int) -> np.ndarray:
    return np.asarray(dijkstra(graph.csr(), directed=False, indices=source))


def test_point_beside_an_edge(grid: Grid, to_lonlat: ToLonLat) -> None:
    g = grid()  # 4 × 4 nodes, 100 m squares, node 0 at (0, 0)
    lon, lat = to_lonlat([150.0], [30.0])
    g2, (s,) = snap(g, [(lon, lat)])
    # onto edge (100,0)–(200,0) at x = 150 with a 30 m leg
    assert s.leg_m[0] == pytest.approx(30.0, abs=1e-6)
    assert s.edge_fraction[0] == pytest.approx(0.5, abs=1e-9)
    assert {int(g.edge_u[s.edge[0]]), int(g.edge_v[s.edge[0]])} == {1, 2}
    new = int(s.node[0])
    assert new == g.n_nodes and g2.n_nodes == g.n_nodes + 1
    assert g2.node_osm_id[new] == -1
    assert g2.x[new] == pytest.approx(150.0, abs=1e-6) and g2.y[new] == pytest.approx(0.0, abs=1e-6)
    # walking from the point to node (0, 0): 30 m leg + 150 m along y = 0
    assert s.leg_m[0] + _dist(g2, new)[0] == pytest.approx(180.0, abs=1e-6)
    assert _dist(g2, new)[15] == pytest.approx(50.0 + 100.0 + 300.0, abs=1e-6)  # to (300, 300)
    assert g2.edge_length_m.sum() == pytest.approx(g.edge_length_m.sum(), abs=1e-9)
    assert g2.n_edges == g.n_edges + 1
    assert s.lon[0] == pytest.approx(g2.lon[new]) and s.lat[0] == pytest.approx(g2.lat[new])


def test_point_on_a_node_reuses_it(grid: Grid, to_lonlat: ToLonLat) -> None:
    g = grid()
    lon, lat = to_lonlat([100.0, -20.0], [100.0, -10.0])
    g2, (s,) = snap(g, [(lon, lat)])
    assert s.node.tolist() == [5, 0]
    assert s.leg_m[0] == pytest.approx(0.0, abs=1e-6)
    assert s.leg_m[1] == pytest.approx(np.hypot(20.0, 10.0), abs=1e-6)
    assert g2.n_nodes == g.n_nodes and g2.n_edges == g.n_edges


def test_several_points_on_one_edge(grid: Grid, to_lonlat: ToLonLat) -> None:
    g = grid()
    # three points onto edge (100,0)–(200,0), given out of order, and one on a second set
    lon, lat = to_lonlat([180.0, 120.0, 150.0], [-5.0, 5.0, 0.0])
    lon2, lat2 = to_lonlat([150.0], [-40.0])
    g2, (a, b) = snap(g, [(lon, lat), (lon2, lat2)])
    assert a.leg_m == pytest.approx([5.0, 5.0, 0.0], abs=1e-6)
    assert b.node[0] == a.node[2]  # the same snap point shares one node
    assert g2.n_nodes == g.n_nodes + 3
    assert g2.n_edges == g.n_edges + 3
    assert g2.edge_length_m.sum() == pytest.approx(g.edge_length_m.sum(), abs=1e-9)
    # pieces 20, 30, 30, 20 m along the edge
    pieces = np.sort(g2.edge_length_m[g2.edge_way == -1][-4:])
    assert pieces == pytest.approx([20.0, 20.0, 30.0, 30.0], abs=1e-9)
    d = _dist(g2, int(a.node[1]))
    assert d[a.node[2]] == pytest.approx(30.0, abs=1e-9)
    assert d[a.node[0]] == pytest.approx(60.0, abs=1e-9)
    assert d[1] == pytest.approx(20.0, abs=1e-9) and d[2] == pytest.approx(80.0, abs=1e-9)


def test_max_leg_and_bad_points(grid: Grid, to_lonlat: ToLonLat) -> None:
    g = grid()
    lon, lat = to_lonlat([150.0, 150.0], [500.0, 330.0])
    _, (s,) = snap(g, [([*lon, np.nan], [*lat, 40.0])], max_leg_m=100.0)
    assert s.node.tolist()[0] == -1 and s.node.tolist()[2] == -1
    assert np.isinf(s.leg_m[0]) and np.isinf(s.leg_m[2]) and np.isnan(s.edge_fraction[0])
    assert s.leg_m[1] == pytest.approx(30.0, abs=1e-6)
    assert s.snapped.tolist() == [False, True, False]
    _, (far,) = snap(g, [(lon[:1], lat[:1])])
    assert far.leg_m[0] == pytest.approx(200.0, abs=1e-6)


def test_largest_component_only_by_default(grid: Grid, to_lonlat: ToLonLat) -> None:
    g = grid(extra=[(1000.0, 0.0, 1100.0, 0.0)])  # an isolated 100 m fragment
    assert g.largest_component_size == 16
    lon, lat = to_lonlat([1050.0], [10.0])
    _, (s,) = snap(g, [(lon, lat)])
    # onto the grid's east edge x = 300 at y = 10, 750 m away
    assert s.leg_m[0] == pytest.approx(750.0, abs=1e-6)
    assert {int(g.edge_u[s.edge[0]]), int(g.edge_v[s.edge[0]])} == {3, 7}
    assert s.edge_fraction[0] == pytest.approx(0.1 if g.edge_u[s.edge[0]] == 3 else 0.9)
    _, (t,) = snap(g, [(lon, lat)], component="any")
    assert t.leg_m[0] == pytest.approx(10.0, abs=1e-6)
    with pytest.raises(RoutingError, match="component"):
        snap(g, [(lon, lat)], component="nearest")  # type: ignore[arg-type]
    with pytest.raises(RoutingError, match="point set 0"):
        snap(g, [([116.0, 116.1], [40.0])])


def test_empty_sets(grid: Grid) -> None:
    g = grid()
    g2, (s, t) = snap(g, [([], []), (np.zeros(0), np.zeros(0))])
    assert g2 is g and s.node.shape == (0,) and t.leg_m.shape == (0,)


class NoKinds:
    def kinds_for_tags(self, tags: Mapping[str, str]) -> frozenset[str]:
        return frozenset()


def _point_segment(px: float, py: float, g: WalkGraph, edges: np.ndarray) -> float:
    ax, ay = g.x[g.edge_u[edges]], g.y[g.edge_u[edges]]
    dx, dy = g.x[g.edge_v[edges]] - ax, g.y[g.edge_v[edges]] - ay
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0, 1)
    return float(np.min(np.hypot(px - ax - t * dx, py - ay - t * dy)))


def test_cau_snapping_is_exact(cau_pbf: Path) -> None:
    g = build_graph(load_osm(cau_pbf, rules=NoKinds()))
    rng = np.random.default_rng(3)
    lo_lon, lo_lat, hi_lon, hi_lat = 116.344, 39.998, 116.360, 40.009
    lon = rng.uniform(lo_lon, hi_lon, 300)
    lat = rng.uniform(lo_lat, hi_lat, 300)
    g2, (s,) = snap(g, [(lon, lat)])
    assert s.snapped.all()
    largest = np.flatnonzero(g.component[g.edge_u] == g.largest_component)
    px, py = g.projection.forward(lon, lat)
    brute = np.array([_point_segment(a, b, g, largest) for a, b in zip(px, py, strict=True)])
    np.testing.assert_allclose(s.leg_m, brute, atol=1e-6)
    assert g2.edge_length_m.sum() == pytest.approx(g.edge_length_m.sum(), rel=1e-12)
    assert g2.largest_component_size == g.largest_component_size + (g2.n_nodes - g.n_nodes)
    # inserting nodes leaves distances between the old nodes unchanged
    sources = rng.choice(np.flatnonzero(g.component == g.largest_component), 5, replace=False)
    before = dijkstra(g.csr(), directed=False, indices=sources)
    after = dijkstra(g2.csr(), directed=False, indices=sources)[:, : g.n_nodes]
    np.testing.assert_allclose(after, before, atol=1e-6)
    # snap points lie on their edges: distance along the edge to both ends adds up
    d = dijkstra(g2.csr(), directed=False, indices=s.node[:20])
    for row in range(20):
        e = s.edge[row]
        u, v = g.edge_u[e], g.edge_v[e]
        length = g.edge_length_m[e]
        f = s.edge_fraction[row]
        assert d[row, u] <= f * length + 1e-6
        assert d[row, v] <= (1 - f) * length + 1e-6


def test_split_distances_follow_from_the_old_graph(cau_pbf: Path) -> None:
    """From a node inserted on edge (u, v) at fraction f, every old node w is
    min(f·L + d(u, w), (1 − f)·L + d(v, w)) away, with d taken on the graph before snapping."""
    g = build_graph(load_osm(cau_pbf, rules=NoKinds()))
    rng = np.random.default_rng(5)
    lon = rng.uniform(116.344, 116.360, 15)
    lat = rng.uniform(39.998, 40.009, 15)
    g2, (s,) = snap(g, [(lon, lat)])
    # one inserted point per edge (two on one edge may reach each other more directly)
    edges, counts = np.unique(s.edge, return_counts=True)
    inserted = (s.node >= g.n_nodes) & np.isin(s.edge, edges[counts == 1])
    assert inserted.sum() >= 10
    e = s.edge[inserted]
    f = s.edge_fraction[inserted]
    length = g.edge_length_m[e]
    d_u = dijkstra(g.csr(), directed=False, indices=g.edge_u[e])
    d_v = dijkstra(g.csr(), directed=False, indices=g.edge_v[e])
    expected = np.minimum((f * length)[:, None] + d_u, ((1 - f) * length)[:, None] + d_v)
    got = dijkstra(g2.csr(), directed=False, indices=s.node[inserted])[:, : g.n_nodes]
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_snapped_graph_equals_a_full_rebuild(cau_pbf: Path) -> None:
    """snap reuses x / y and component labels of the old nodes and skips edge cleaning; a
    rebuild from its node and edge lists (projection, cleaning, component search anew) must
    give the same graph, across several components and with points on both fragments."""
    g = build_graph(load_osm(cau_pbf, rules=NoKinds()))
    assert int(g.component.max()) >= 2
    rng = np.random.default_rng(11)
    lon = rng.uniform(116.344, 116.360, 400)
    lat = rng.uniform(39.998, 40.009, 400)
    g2, (s,) = snap(g, [(lon, lat)], component="any")
    assert (s.node >= g.n_nodes).sum() > 100
    rebuilt = graph_from_arrays(
        g2.lon,
        g2.lat,
        g2.edge_u,
        g2.edge_v,
        node_osm_id=g2.node_osm_id,
        edge_way=g2.edge_way,
        edge_highway=g2.edge_highway,
        edge_length_m=g2.edge_length_m,
        projection=g2.projection,
        source=g2.source,
    )
    for name in ("x", "y", "edge_u", "edge_v", "edge_length_m", "indptr", "indices", "weight_m"):
        np.testing.assert_array_equal(getattr(g2, name), getattr(rebuilt, name), err_msg=name)
    np.testing.assert_array_equal(g2.component, rebuilt.component)
    assert (g2.largest_component, g2.largest_component_size) == (
        rebuilt.largest_component,
        rebuilt.largest_component_size,
    )
